/**
 * Rebalance plumbing of the Kafka source. kafkajs has no "partitions revoked" callback, so its consumer group's
 * `joinAndSync` is wrapped: before a member (re)joins its group, the hook registered for that member id runs and is
 * awaited, so the pipeline lets go of the revoked partitions before the group can hand them to another member.
 * Does not import `kafkajs`: `source.ts` (which owns the library) passes the group class in.
 * @module
 */

/** Error types kafkajs raises when the group is rebalancing or this member was expelled. */
const REBALANCE_ERRORS = new Set([
  "REBALANCE_IN_PROGRESS",
  "NOT_COORDINATOR_FOR_GROUP",
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
]);

/** Is this a kafkajs error saying the group is rebalancing or this member was expelled? */
export function isRebalanceError(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    REBALANCE_ERRORS.has(String((error as { type?: unknown }).type));
}

/** Per group member id: what must finish before that member rejoins its group. */
const beforeRejoin = new Map<string, () => Promise<void>>();
let joinHookInstalled = false;

/** Registers what must finish before the member `memberId` rejoins its group (replacing an earlier hook). */
export function setRejoinHook(memberId: string, hook: () => Promise<void>): void {
  beforeRejoin.set(memberId, hook);
}

/** Forgets the hook of the member `memberId`. */
export function deleteRejoinHook(memberId: string): void {
  beforeRejoin.delete(memberId);
}

/**
 * Makes kafkajs await our hooks before every join of a group, so that on a rebalance the pipeline lets go of the
 * revoked partitions (finishes or drops what it holds for them) before the group can hand them to another member.
 * `consumerGroup` is kafkajs's internal `ConsumerGroup` class (pinned version 2.2.4); installed once per process.
 * @throws {TypeError} when the class has no `joinAndSync` method.
 */
export function installJoinHook(consumerGroup: unknown): void {
  if (joinHookInstalled) return;
  joinHookInstalled = true;
  const prototype = (consumerGroup as { prototype: Record<string, unknown> }).prototype;
  const original = prototype.joinAndSync as (...args: unknown[]) => Promise<unknown>;
  if (typeof original !== "function") throw new TypeError("Cannot hook kafkajs: ConsumerGroup.joinAndSync is missing");
  prototype.joinAndSync = async function (this: { memberId: string | null }, ...args: unknown[]) {
    const hook = this.memberId ? beforeRejoin.get(this.memberId) : undefined;
    if (hook) await hook();
    return original.apply(this, args);
  };
}
