/**
 * Consumer lag of the Redis source, per key, for `Source.lag()` and `fs_data_sink.consumer_lag`. Reported under
 * this instance's stream name of the key (`<key>+<consumer>`, the `fs_data_sink.stream` of its other metrics).
 *
 * Definition, like the Kafka source's committed lag: what is waiting for this consumer plus what it holds but has not
 * yet acknowledged (its files not yet durable).
 * - Stream: the group's `lag` from `XINFO GROUPS` (entries not yet delivered to any consumer of the group; Redis 7+)
 *   plus this consumer's pending count from `XINFO CONSUMERS`. Entries pending with other consumers are theirs.
 *   Redis answers no lag when it cannot tell (before 7.0, or after entries were deleted in the middle of the
 *   stream with XDEL): the key is then left out, and the health check does not count it as work.
 * - List: `LLEN` of the list (items waiting) plus this consumer's staging and processing lists (items taken, not
 *   yet acknowledged).
 * Values are read in one pipelined round trip, in the background, at most every `LAG_REFRESH_MS` while lag
 * is being read, never per read; a failed refresh keeps the last values.
 * @module
 */
import type { Logger } from "../../core/logger.ts";
import { BackgroundRefresh } from "../_common/lag_refresh.ts";
import type { RedisClient, RedisCommand } from "./client.ts";
import { streamNameOf } from "./ids.ts";
import { listKeysOf } from "./lists.ts";

/** Options of {@linkcode RedisLag}. */
export interface RedisLagOptions {
  /** Connection for the (non-blocking) info commands. */
  readonly client: Pick<RedisClient, "batch">;
  /** Consumer group. */
  readonly group: string;
  /** This instance's consumer name. */
  readonly consumer: string;
  /** Stream keys. */
  readonly streamKeys: readonly string[];
  /** List keys. */
  readonly listKeys: readonly string[];
  /** Logger of the source. */
  readonly log: Logger;
  /** Least time between two refreshes, ms; default `LAG_REFRESH_MS`. */
  readonly intervalMs?: number;
  /** Clock in ms; replaceable in tests. */
  readonly now?: () => number;
}

/** Fields of one row of an `XINFO GROUPS` / `XINFO CONSUMERS` reply (a flat name-value array in RESP2). */
function fieldsOf(row: unknown): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  if (Array.isArray(row)) {
    for (let i = 0; i + 1 < row.length; i += 2) fields.set(String(row[i]), row[i + 1]);
  } else if (row instanceof Map) {
    for (const [name, value] of row) fields.set(String(name), value);
  }
  return fields;
}

function count(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** The `lag` of `group` in an `XINFO GROUPS` reply; null when the group is missing or Redis cannot tell. */
export function groupLagOf(reply: unknown, group: string): number | null {
  if (!Array.isArray(reply)) return null;
  for (const row of reply) {
    const fields = fieldsOf(row);
    if (String(fields.get("name")) === group) return count(fields.get("lag"));
  }
  return null;
}

/** The `pending` count of `consumer` in an `XINFO CONSUMERS` reply; 0 when the consumer is not listed. */
export function consumerPendingOf(reply: unknown, consumer: string): number {
  if (!Array.isArray(reply)) return 0;
  for (const row of reply) {
    const fields = fieldsOf(row);
    if (String(fields.get("name")) === consumer) return count(fields.get("pending")) ?? 0;
  }
  return 0;
}

/** Lag per key of the configured streams and lists, refreshed in the background. */
export class RedisLag {
  readonly #o: RedisLagOptions;
  readonly #values: BackgroundRefresh<ReadonlyMap<string, number>>;
  readonly #unknown = new Set<string>();

  constructor(options: RedisLagOptions) {
    this.#o = options;
    this.#values = new BackgroundRefresh({
      load: () => this.#load(),
      what: "Redis consumer lag",
      log: options.log,
      intervalMs: options.intervalMs,
      now: options.now,
    });
  }

  /** The last values, by stream name `<key>+<consumer>`; empty until the first refresh finished. Never throws. */
  lags(): ReadonlyMap<string, number> {
    return this.#values.get() ?? new Map();
  }

  /** Resolves once a refresh in flight has finished (tests). */
  settled(): Promise<void> {
    return this.#values.settled();
  }

  /** Starts no more refreshes (the connection is closing). */
  stop(): void {
    this.#values.stop();
  }

  async #load(): Promise<ReadonlyMap<string, number>> {
    const { group, consumer, streamKeys, listKeys } = this.#o;
    const commands: RedisCommand[] = [];
    for (const key of streamKeys) commands.push(["XINFO", "GROUPS", key], ["XINFO", "CONSUMERS", key, group]);
    for (const key of listKeys) {
      const names = listKeysOf(key, group, consumer);
      commands.push(["LLEN", key], ["LLEN", names.staging], ["LLEN", names.processing]);
    }
    const replies = await this.#o.client.batch(commands);
    const out = new Map<string, number>();
    let i = 0;
    for (const key of streamKeys) {
      const lag = groupLagOf(replies[i++], group);
      const pending = consumerPendingOf(replies[i++], consumer);
      if (lag === null) {
        if (!this.#unknown.has(key)) {
          this.#unknown.add(key);
          this.#o.log.debug({ key, group }, "Redis reports no lag for the group (Redis < 7, or entries deleted)");
        }
        continue;
      }
      this.#unknown.delete(key);
      out.set(streamNameOf(key, consumer), lag + pending);
    }
    for (const key of listKeys) {
      const waiting = Number(replies[i++]) + Number(replies[i++]) + Number(replies[i++]);
      out.set(streamNameOf(key, consumer), waiting);
    }
    return out;
  }
}
