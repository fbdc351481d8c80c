/**
 * Leases that tell live consumers from dead ones. Each consumer holds a lease per key it reads
 * (`<key>:fsds:<group>:<consumer>:lease`, value: the holder, expiring after `claim_idle_ms`) and refreshes it while it
 * runs. Another instance takes over a consumer's unacknowledged work only after taking that consumer's lease, and a
 * consumer that comes back waits until whoever finishes its work gives the lease back. So at most one instance at a
 * time hands out a consumer's work, which keeps that consumer's checkpoint journal single-writer.
 * @module
 */
import type { Logger } from "../telemetry/log.ts";
import { LuaScript, type RedisClient, replyText } from "./redis_client.ts";
import { sleep } from "./redis_ids.ts";

/** KEYS: lease. ARGV: holder, ttl ms. Takes or refreshes the lease when free or held by `holder`: 1, else the holder. */
const TAKE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return cur
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

/** Options of {@linkcode Leases}. */
export interface LeasesOptions {
  readonly client: RedisClient;
  /** This instance's consumer name, the value of the leases it holds. */
  readonly holder: string;
  /** Lease lifetime; refreshed every third of it. */
  readonly ttlMs: number;
  readonly log: Logger;
}

/** The leases one instance holds, kept alive by a timer. */
export class Leases {
  readonly #o: LeasesOptions;
  readonly #held = new Set<string>();
  #timer?: ReturnType<typeof setInterval>;

  constructor(options: LeasesOptions) {
    this.#o = options;
  }

  /** Takes this consumer's own lease, waiting while another instance holds it (it is finishing our work). */
  async acquireOwn(lease: string, what: string): Promise<void> {
    const { client, holder, ttlMs, log } = this.#o;
    const deadline = Date.now() + 10 * ttlMs + 60_000;
    for (let attempt = 1;; attempt++) {
      const got = await client.evalScript(TAKE, [lease], [holder, ttlMs]);
      if (got === 1) break;
      if (Date.now() > deadline) {
        throw new Error(`Cannot read ${what}: consumer "${replyText(got)}" keeps holding our unacknowledged work`);
      }
      if (attempt === 1) log.warn({ what, holder: replyText(got) }, "Another instance is finishing our work; waiting");
      await sleep(Math.min(1000, Math.max(50, ttlMs / 3)));
    }
    this.#held.add(lease);
    this.#start();
  }

  /** Takes a lease if it is free (its consumer is dead) or already ours; true when we hold it now. */
  async tryTake(lease: string): Promise<boolean> {
    const got = await this.#o.client.evalScript(TAKE, [lease], [this.#o.holder, this.#o.ttlMs]);
    if (got !== 1) return false;
    this.#held.add(lease);
    this.#start();
    return true;
  }

  /** Gives a lease back (and removes `member` from `set`), if we hold it. */
  async release(lease: string, set?: { key: string; member: string }): Promise<void> {
    this.#held.delete(lease);
    const keys = set ? [lease, set.key] : [lease];
    const args = set ? [this.#o.holder, set.member] : [this.#o.holder];
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
    const { client, holder, ttlMs, log } = this.#o;
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
