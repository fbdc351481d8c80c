/**
 * `fs-data-sink preview` for the Kafka source: the next records the configured group would read, fetched with the
 * source's client at chosen offsets, from where a run would start each partition (the group's committed offset,
 * else `start_from`, as `startOffset` decides) up to the partition's high watermark at start. Nothing joins the
 * group and nothing is committed: the group is only asked for its committed offsets.
 * @module
 */
import { ConfigError } from "../../core/errors.ts";
import type { Peek, PeekContext } from "../../core/peek.ts";
import type { SourceMessage } from "../../core/source.ts";
import { kafkaFailure, probeClient, probeSettings } from "./check.ts";
import { KafkaClient } from "./client.ts";
import { type Config, metadataColumnList, resolveKafkaOptions } from "./config.ts";
import { toSourceMessage } from "./message.ts";
import { type StartDecision, startOffset, streamName } from "./offsets.ts";
import { selectTopics, topicSelection } from "./topics.ts";

/** One partition to read: from where a run would start, up to its end at start. */
export interface PartitionPlan {
  readonly topic: string;
  readonly partition: number;
  readonly stream: string;
  /** First offset to read. */
  readonly from: bigint;
  /** Offset after the last one to read (the high watermark at start). */
  readonly until: bigint;
  /** Why it starts there. */
  readonly decision: StartDecision;
}

/** A line for the operator saying where a partition's preview starts and why. Pure. */
export function planNote(plan: PartitionPlan): string {
  const range = `offsets ${plan.from}..${plan.until}`;
  const left = plan.until > plan.from ? `${plan.until - plan.from} to read` : "nothing new";
  switch (plan.decision.kind) {
    case "committed":
      return `${plan.stream}: from the group's committed offset ${plan.decision.committed} (${range}, ${left})`;
    case "earliest":
      return `${plan.stream}: no committed offset, from the earliest (${range}, ${left})`;
    case "start_from":
      return `${plan.stream}: no committed offset, from start_from (${range}, ${left})`;
    case "past_end":
      return `${plan.stream}: committed offset ${plan.decision.committed} is past the end, from the start (${range})`;
  }
}

/** Describes a message as the Kafka source does: `topic "orders" partition 3 offset 1200`. */
export function describeKafkaMessage(message: SourceMessage): string {
  const at = message.stream.lastIndexOf("+");
  return `topic "${message.stream.slice(0, at)}" partition ${message.stream.slice(at + 1)} offset ${
    BigInt(message.position)
  }`;
}

/** Reads up to `context.maxMessages` records without joining the group or committing; see the module doc. */
export async function peekKafka(config: Config, context: PeekContext): Promise<Peek> {
  const options = resolveKafkaOptions(config);
  const where = options.brokers.join(",");
  const columns = metadataColumnList(config.metadata_columns);
  const fields = columns.map((c) => c.field);
  const base = { metadataColumns: columns.map(({ name, type }) => ({ name, type })), describe: describeKafkaMessage };
  const settings = await probeSettings(config);
  try {
    await KafkaClient.probe(settings);
  } catch (error) {
    const failure = kafkaFailure("kafka brokers", error, `Cannot connect to Kafka at "${where}"`);
    if (failure.kind === "misconfigured") throw new ConfigError(failure.cause, { hint: failure.hint, cause: error });
    throw new Error(failure.kind === "failed" ? failure.cause : String(error), { cause: error });
  }
  const client = probeClient(settings, context);
  try {
    const topics = selectTopics(topicSelection(config), await client.listTopics());
    if (topics.length === 0) return { ...base, messages: [], notes: ["no topic on the cluster matches the selection"] };
    const plans = await planPartitions(client, topics, config);
    const messages = await fetchPlanned(client, plans, {
      max: context.maxMessages,
      deadline: Date.now() + context.timeoutMs,
      skipTombstones: config.tombstones === "skip",
      fields,
    });
    return { ...base, messages, notes: plans.map(planNote) };
  } finally {
    await client.close();
  }
}

async function planPartitions(client: KafkaClient, topics: string[], config: Config): Promise<PartitionPlan[]> {
  const startFrom = resolveKafkaOptions(config).startFrom;
  const counts = await client.partitionCounts(topics);
  const partitions = new Map(topics.map((t) => [t, Array.from({ length: counts.get(t) ?? 0 }, (_, i) => i)]));
  const [marks, committed, atTime] = await Promise.all([
    client.watermarks(topics),
    client.committed(partitions),
    startFrom.kind === "timestamp" ? client.offsetsAtTime(topics, startFrom.ms) : Promise.resolve(new Map()),
  ]);
  const plans: PartitionPlan[] = [];
  for (const [topic, list] of partitions) {
    for (const partition of list) {
      const stream = streamName(topic, partition);
      const mark = marks.get(stream) ?? { low: 0n, high: 0n };
      const decision = startOffset({
        committed: committed.get(stream) ?? null,
        low: mark.low,
        high: mark.high,
        atTime: atTime.get(stream) ?? null,
      }, startFrom);
      plans.push({ topic, partition, stream, from: decision.start, until: mark.high, decision });
    }
  }
  return plans;
}

interface FetchOptions {
  readonly max: number;
  readonly deadline: number;
  readonly skipTombstones: boolean;
  readonly fields: Parameters<typeof toSourceMessage>[1]["fields"];
}

/** Fetches the planned ranges, all partitions together as a run does, until `max` records, their ends or the deadline. */
async function fetchPlanned(
  client: KafkaClient,
  plans: PartitionPlan[],
  options: FetchOptions,
): Promise<SourceMessage[]> {
  const next = new Map(plans.map((p) => [p.stream, p.from]));
  const out: SourceMessage[] = [];
  while (out.length < options.max && Date.now() < options.deadline) {
    const open = plans.filter((p) => (next.get(p.stream) ?? p.until) < p.until);
    if (open.length === 0) break;
    const fetched = await client.fetch(
      open.map((p) => ({ topic: p.topic, partition: p.partition, offset: next.get(p.stream)! })),
    );
    let moved = false;
    for (const part of fetched) {
      const plan = open.find((p) => p.topic === part.topic && p.partition === part.partition);
      if (!plan) continue;
      const from = next.get(plan.stream)!;
      const { topic, partition, stream } = plan;
      const origin = { fields: options.fields, topic, partition, stream, skipTombstones: options.skipTombstones };
      if (part.errorCode !== 0) {
        // The range cannot be read as planned (records deleted meanwhile, a leader move): stop this partition.
        next.set(plan.stream, plan.until);
        continue;
      }
      for (const record of part.records) {
        if (record.offset < from || record.offset >= plan.until || out.length >= options.max) continue;
        out.push(toSourceMessage(record, origin));
      }
      const after = part.nextOffset ?? from;
      if (after > from) {
        next.set(plan.stream, after);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return out;
}
