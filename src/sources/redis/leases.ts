/**
 * Leases that tell live consumers from dead ones. Each consumer holds a lease per key it reads
 * (`<key>:fsds:<group>:<consumer>:lease`, value: the holder, expiring after `claim_idle_ms`) and refreshes it while it
 * runs. Another instance takes over a consumer's unacknowledged work only after taking that consumer's lease, and a
 * consumer that comes back waits until whoever finishes its work gives the lease back. So at most one instance at a
 * time hands out a consumer's work, which keeps that consumer's checkpoint journal single-writer.
 *
 * A lease's value is `<consumer>#<run id>`: when a consumer starts and finds its own name from another run on the
 * lease, that run either crashed (take the lease at once) or is still running under the same name, a mistake that
 * would mix two writers into one journal (refuse to start). A live connection named after that run tells which.
 * @module
 */
import { ConfigError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { sleep } from "../../core/retry.ts";
import { LuaScript, type RedisClient, replyText } from "./client.ts";

/** KEYS: lease. ARGV: holder, ttl ms. Takes or refreshes the lease when free or held by `holder`: 1, else the holder. */
const TAKE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return cur
`);

/** KEYS: lease. ARGV: expected holder, new holder, ttl ms. Replaces the holder if it is still `expected`. */
const REPLACE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`);

/** KEYS: lease, [set]. ARGV: holder, [member]. Drops the lease if `holder` has it (and the member from the set). */
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if KEYS[2] then redis.call('SREM', KEYS[2], ARGV[2]) end
  return 1
end
return 0
`);

/** Name of the lease of `consumer` on `key` in `group`. */
export function leaseKeyOf(key: string, group: string, consumer: string): string {
  return `${key}:fsds:${group}:${consumer}:lease`;
}

/** What {@linkcode liveConnectionAddress} looks for. */
export interface LiveConnectionQuery {
  /** Connection name to find (another run's main connection). */
  readonly name: string;
  /** `CLIENT ID` of the asking connection, which never counts. */
  readonly ownId: string;
  /** A connection silent this long belongs to a dead instance; 0 counts every connection as live. */
  readonly claimIdleMs: number;
}

/**
 * Where a live connection named `query.name` comes from (its `addr`, or "another host" when the line has none),
 * read from a `CLIENT LIST` reply; undefined when there is none. A connection silent for `claimIdleMs` belongs to a
 * dead instance the server has not noticed yet, so it does not count. Pure.
 */
export function liveConnectionAddress(clientList: string, query: LiveConnectionQuery): string | undefined {
  for (const line of clientList.split("\n")) {
    const fields = new Map(
      line.trim().split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    if (fields.get("name") !== query.name || fields.get("id") === query.ownId) continue;
    const idleMs = Number(fields.get("idle") ?? 0) * 1000;
    if (query.claimIdleMs > 0 && idleMs >= query.claimIdleMs) continue;
    return fields.get("addr") ?? "another host";
  }
  return undefined;
}

/** Options of {@linkcode Leases}. */
export interface LeasesOptions {
  readonly client: RedisClient;
  /** This instance's consumer name. */
  readonly consumer: string;
  /** Identifies this run; leases hold `<consumer>#<run id>`. */
  readonly runId: string;
  /** Where the run `runId` of this consumer is connected from while it is alive; undefined when it is gone. */
  readonly findLiveRun: (runId: string) => Promise<string | undefined>;
  /** Lease lifetime; refreshed every third of it. */
  readonly ttlMs: number;
  readonly log: Logger;
}

/** What a stream or list reader knows that its leases need. */
export type ReaderLeaseOptions = Omit<LeasesOptions, "ttlMs"> & { readonly claimIdleMs: number };

/** The leases of a reader, or undefined when taking over dead consumers is off (`claim_idle_ms: 0`). */
export function readerLeases(options: ReaderLeaseOptions): Leases | undefined {
  if (options.claimIdleMs <= 0) return undefined;
  const { client, consumer, runId, findLiveRun, log } = options;
  return new Leases({ client, consumer, runId, findLiveRun, ttlMs: options.claimIdleMs, log });
}

/** The leases one instance holds, kept alive by a timer. */
export class Leases {
  readonly #o: LeasesOptions;
  /** The value of the leases this run holds. */
  readonly holder: string;
  readonly #held = new Set<string>();
  #timer?: ReturnType<typeof setInterval>;

  constructor(options: LeasesOptions) {
    this.#o = options;
    this.holder = `${options.consumer}#${options.runId}`;
  }

  /**
   * Takes this consumer's own lease: at once when it is free or left by a crashed run of this consumer; waiting while
   * another consumer holds it (it is finishing our work). Throws a {@linkcode ConfigError} when another live instance
   * runs under this consumer name.
   */
  async acquireOwn(lease: string, what: string): Promise<void> {
    const { client, consumer, ttlMs, log } = this.#o;
    const holder = this.holder;
    const deadline = Date.now() + 10 * ttlMs + 60_000;
    for (let attempt = 1;; attempt++) {
      const got = await client.evalScript(TAKE, [lease], [holder, ttlMs]);
      if (got === 1) break;
      const current = replyText(got);
      const cut = current.lastIndexOf("#");
      if (current.slice(0, cut) === consumer) {
        const where = await this.#o.findLiveRun(current.slice(cut + 1));
        if (where !== undefined) {
          throw new ConfigError(
            `Cannot start consumer "${consumer}" on ${what}: a running instance with that name is connected from ${where}`,
            { hint: "Give each running instance its own consumer_name or instance_id (stable across its restarts)" },
          );
        }
        // Left by an earlier run of this consumer that stopped or crashed: ours.
        if (await client.evalScript(REPLACE, [lease], [current, holder, ttlMs]) === 1) break;
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`Cannot read ${what}: consumer "${current}" keeps holding our unacknowledged work`);
      }
      if (attempt === 1) log.warn({ what, holder: current }, "Another instance is finishing our work; waiting");
      await sleep(Math.min(1000, Math.max(50, ttlMs / 3)));
    }
    this.#held.add(lease);
    this.#start();
  }

  /** Takes a lease if it is free (its consumer is dead) or already ours; true when we hold it now. */
  async tryTake(lease: string): Promise<boolean> {
    const got = await this.#o.client.evalScript(TAKE, [lease], [this.holder, this.#o.ttlMs]);
    if (got !== 1) return false;
    this.#held.add(lease);
    this.#start();
    return true;
  }

  /** Gives a lease back (and removes `member` from `set`), if we hold it. */
  async release(lease: string, set?: { key: string; member: string }): Promise<void> {
    this.#held.delete(lease);
    const keys = set ? [lease, set.key] : [lease];
    const args = set ? [this.holder, set.member] : [this.holder];
    await this.#o.client.evalScript(RELEASE, keys, args);
  }

  /** Stops refreshing (the leases expire by themselves, so a restart within `ttlMs` finds its own lease). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #start(): void {
    if (this.#timer !== undefined) return;
    const timer = setInterval(() => this.#refresh().catch(() => {}), Math.max(50, this.#o.ttlMs / 3));
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  async #refresh(): Promise<void> {
    const { client, ttlMs, log } = this.#o;
    const holder = this.holder;
    for (const lease of this.#held) {
      const got = await client.evalScript(TAKE, [lease], [holder, ttlMs]);
      if (got !== 1) {
        log.error(
          { lease, holder: replyText(got) },
          "Lost a lease: this instance stalled longer than claim_idle_ms and another took over its work",
        );
      }
    }
  }
}
