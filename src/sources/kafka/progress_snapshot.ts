/**
 * The per-topic progress figures of the Kafka source, summed over its partitions, for `kafka_progress.ts`.
 * Pure.
 * @module
 */
import type { PartitionTracker } from "./offsets.ts";
import type { TopicProgress } from "./progress.ts";

/** What {@linkcode progressSnapshot} sums. */
export interface ProgressInputs {
  /** Topics subscribed to, in display order. */
  readonly topics: readonly string[];
  /** Trackers of the partitions assigned now. */
  readonly trackers: Iterable<PartitionTracker>;
  /** Records handed to the pipeline since start, per stream (`topic+partition`). */
  readonly doneByStream: ReadonlyMap<string, number>;
}

/** Progress per topic that has assigned partitions or delivered records, in the order of `topics`. */
export function progressSnapshot(inputs: ProgressInputs): TopicProgress[] {
  const byTopic = new Map<string, { total: number; partitions: number }>();
  for (const tracker of inputs.trackers) {
    const entry = byTopic.get(tracker.topic) ?? { total: 0, partitions: 0 };
    entry.total += Number(tracker.toDo);
    entry.partitions++;
    byTopic.set(tracker.topic, entry);
  }
  const doneByTopic = new Map<string, number>();
  for (const [stream, done] of inputs.doneByStream) {
    const topic = stream.slice(0, stream.lastIndexOf("+"));
    doneByTopic.set(topic, (doneByTopic.get(topic) ?? 0) + done);
  }
  return inputs.topics.filter((topic) => byTopic.has(topic) || doneByTopic.has(topic)).map((topic) => ({
    topic,
    done: doneByTopic.get(topic) ?? 0,
    total: byTopic.get(topic)?.total ?? 0,
    partitions: byTopic.get(topic)?.partitions ?? 0,
  }));
}
