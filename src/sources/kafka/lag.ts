/**
 * Consumer lag of the Kafka source, per assigned partition, for `Source.lag()` and `fs_data_sink.consumer_lag`.
 *
 * Definition (committed lag, what `kafka-consumer-groups --describe` and operators' dashboards show): the high
 * watermark minus the group's committed offset, i.e. `high watermark - (last acknowledged offset + 1)`. Records
 * fetched and buffered, or being written, still count until their files are durable and committed. Two refinements:
 * - the committed offset is never taken below the first offset still in the log (records removed by retention can
 *   never be read, so they are not waiting);
 * - when every record handed to the pipeline is committed, offsets the client stepped over without delivering
 *   (transaction markers, compacted gaps) are not counted, so a caught-up consumer reports 0 instead of being stuck
 *   at 1 on a transactional topic (which would also look like a stall to the health check).
 *
 * The high watermark comes from fetched batches (free) and, at most every `LAG_REFRESH_MS` while lag is
 * being read, from the admin API in the background: a consumer blocked on a full buffer or paused at its one-shot
 * end fetches nothing, yet its lag still grows with what is produced. Revoked partitions disappear from the result.
 * @module
 */
import type { Logger } from "../../core/logger.ts";
import { BackgroundRefresh } from "../_common/lag_refresh.ts";

/** What the lag of one partition is computed from; a `PartitionTracker` fits. */
export interface PartitionLagState {
  /** Topic of the partition. */
  readonly topic: string;
  /** Stream name `<topic>+<partition>`. */
  readonly stream: string;
  /** Latest high watermark seen in a fetched batch (or at assignment). */
  readonly highWatermark: bigint;
  /** Offset the group has committed (next to read), null when it never committed. */
  readonly committed: bigint | null;
  /** First offset this assignment delivers (not below the log start). */
  readonly start: bigint;
  /** Next offset the client will hand over. */
  readonly nextOffset: bigint;
  /** Offset of the last message handed to the pipeline in this assignment, null before the first. */
  readonly lastDelivered: bigint | null;
}

/** Committed lag of one partition (see the module doc) against `highWatermark`; never negative. */
export function partitionLag(state: PartitionLagState, highWatermark: bigint = state.highWatermark): number {
  const committed = state.committed ?? state.start;
  let base = committed > state.start ? committed : state.start;
  const unacknowledged = state.lastDelivered !== null && state.lastDelivered >= base;
  if (!unacknowledged && state.nextOffset > base) base = state.nextOffset;
  const lag = highWatermark - base;
  return lag > 0n ? Number(lag) : 0;
}

/** Options of {@linkcode KafkaLag}. */
export interface KafkaLagOptions {
  /** The partitions assigned now. */
  readonly partitions: () => Iterable<PartitionLagState>;
  /** High watermark per stream `<topic>+<partition>` of the given topics (the admin API). */
  readonly fetchHighWatermarks: (topics: readonly string[]) => Promise<ReadonlyMap<string, bigint>>;
  /** Logger of the source (failed refreshes at debug). */
  readonly log: Logger;
  /** Least time between two admin refreshes, ms; default `LAG_REFRESH_MS`. */
  readonly intervalMs?: number;
  /** Clock in ms; replaceable in tests. */
  readonly now?: () => number;
}

/** Lag per assigned partition, with high watermarks refreshed in the background. */
export class KafkaLag {
  readonly #partitions: () => Iterable<PartitionLagState>;
  readonly #log: Logger;
  readonly #marks: BackgroundRefresh<ReadonlyMap<string, bigint>>;

  constructor(options: KafkaLagOptions) {
    this.#partitions = options.partitions;
    this.#log = options.log;
    this.#marks = new BackgroundRefresh({
      load: () => {
        const topics = new Set<string>();
        for (const partition of this.#partitions()) topics.add(partition.topic);
        return topics.size === 0
          ? Promise.resolve(new Map<string, bigint>())
          : options.fetchHighWatermarks([...topics]);
      },
      what: "Kafka high watermarks",
      log: options.log,
      intervalMs: options.intervalMs,
      now: options.now,
    });
  }

  /** Lag per assigned stream, taking the newer of the fetched and the refreshed high watermark. Never throws. */
  lags(): Map<string, number> {
    const out = new Map<string, number>();
    try {
      const marks = this.#marks.get();
      for (const partition of this.#partitions()) {
        const refreshed = marks?.get(partition.stream);
        const high = refreshed !== undefined && refreshed > partition.highWatermark
          ? refreshed
          : partition.highWatermark;
        out.set(partition.stream, partitionLag(partition, high));
      }
    } catch (error) {
      this.#log.debug({ error }, "Cannot compute the Kafka consumer lag");
    }
    return out;
  }

  /** Resolves once a refresh in flight has finished (tests). */
  settled(): Promise<void> {
    return this.#marks.settled();
  }

  /** Starts no more refreshes (the admin client is disconnecting). */
  stop(): void {
    this.#marks.stop();
  }
}
