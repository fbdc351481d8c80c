/**
 * Progress of the Kafka source per topic, for `Source.progress()`: the figures of the assigned partitions summed per
 * topic ({@linkcode progressSnapshot}, pure). The display itself (bars, log lines, rates, ETA) is the run's, in
 * `src/telemetry/progress.ts`.
 * @module
 */
import type { SourceProgress } from "../../core/source.ts";
import type { PartitionTracker } from "./offsets.ts";

/** What {@linkcode progressSnapshot} sums. */
export interface ProgressInputs {
  /** Topics subscribed to, in display order. */
  readonly topics: readonly string[];
  /** Trackers of the partitions assigned now. */
  readonly trackers: Iterable<PartitionTracker>;
  /** Records handed to the pipeline since start, per stream (`topic+partition`). */
  readonly doneByStream: ReadonlyMap<string, number>;
  /** One-shot run: totals are the records up to the end offsets at start; continuous runs show the lag instead. */
  readonly oneShot: boolean;
  /**
   * One-shot: every assigned partition was read up to its end and all of it handed to the pipeline. The totals are
   * then the records delivered: offsets that held no record (transaction markers, compacted gaps) are not waited for.
   */
  readonly caughtUp?: boolean;
  /** Committed lag per assigned stream (`Source.lag()`); streams left out count as unknown. */
  readonly lags: ReadonlyMap<string, number>;
}

/**
 * Progress per topic that has assigned partitions or delivered records, in the order of `topics`: records handed
 * to the pipeline, in one-shot runs the records to read from the start points up to the end offsets at start (the
 * total; once caught up, the records delivered), in continuous runs the committed lag of its assigned partitions. Pure.
 */
export function progressSnapshot(inputs: ProgressInputs): SourceProgress[] {
  const byTopic = new Map<string, { total: number; partitions: number; lag: number | null }>();
  for (const tracker of inputs.trackers) {
    const entry = byTopic.get(tracker.topic) ?? { total: 0, partitions: 0, lag: 0 };
    entry.total += Number(tracker.toDo);
    entry.partitions++;
    const lag = inputs.lags.get(tracker.stream);
    entry.lag = lag === undefined || entry.lag === null ? null : entry.lag + lag;
    byTopic.set(tracker.topic, entry);
  }
  const doneByTopic = new Map<string, number>();
  for (const [stream, done] of inputs.doneByStream) {
    const topic = stream.slice(0, stream.lastIndexOf("+"));
    doneByTopic.set(topic, (doneByTopic.get(topic) ?? 0) + done);
  }
  return inputs.topics.filter((topic) => byTopic.has(topic) || doneByTopic.has(topic)).map((topic) => {
    const entry = byTopic.get(topic);
    const partitions = entry?.partitions ?? 0;
    const done = doneByTopic.get(topic) ?? 0;
    return {
      label: "topic",
      name: topic,
      done,
      total: inputs.oneShot ? (inputs.caughtUp ? done : entry?.total ?? 0) : null,
      lag: inputs.oneShot ? null : entry?.lag ?? null,
      note: `${partitions} ${partitions === 1 ? "partition" : "partitions"}`,
    };
  });
}
