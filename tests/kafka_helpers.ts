/**
 * Helpers of the Kafka integration and end-to-end tests: a client on the kit's broker, topics with unique names,
 * a producer, a source built from a config section, a reader loop that acknowledges like the pipeline does, and the
 * group's committed offsets as the admin API sees them.
 * @module
 */
import { type Admin, Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import type { AssignmentListener, SourceMessage } from "../src/core/source.ts";
import { configSchema as kafkaSourceSchema } from "../src/sources/kafka/config.ts";
import { KafkaSource } from "../src/sources/kafka/source.ts";
import { Logger } from "../src/telemetry/log.ts";
import { endpoints } from "./services/endpoints.ts";

/** A logger for tests. */
export const testLog: Logger = new Logger("test.kafka");

/** Bootstrap servers of the kit's broker. */
export function brokers(): string[] {
  return endpoints().kafka.brokers;
}

/** A kafkajs client on the kit's broker for setting up and checking. */
export function testClient(): Kafka {
  return new Kafka({ clientId: "fsds-test", brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** A name no other test uses. */
export function uniqueName(label: string): string {
  return `fsds-test-${label}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `fn` with a connected admin client. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testClient().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic with a unique name and returns the name. */
export async function createTopic(
  label: string,
  partitions: number,
  configEntries: { name: string; value: string }[] = [],
): Promise<string> {
  const topic = uniqueName(label);
  await withAdmin(async (admin) => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }],
      waitForLeaders: true,
    });
    if (!created) throw new Error(`Cannot create topic "${topic}": it exists`);
  });
  return topic;
}

/** Deletes `topic` and creates it again empty; deletion completes asynchronously, so creation is retried. */
export async function recreateTopic(topic: string, partitions: number): Promise<void> {
  await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
  await withAdmin(async (admin) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
        .catch(() => false);
      if (created) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`Cannot recreate topic "${topic}"`);
  });
}

/** Deletes topics (cleanup; errors ignored). */
export async function deleteTopics(...topics: string[]): Promise<void> {
  await withAdmin((admin) => admin.deleteTopics({ topics })).catch(() => {});
}

/** Produces messages (with `partition` set when given) and waits for the broker's acknowledgement. */
export async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = testClient().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({ topic, messages: messages.slice(i, i + 5000), acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/** `count` JSON messages `{"n": i}` spread round-robin over `partitions` partitions. */
export function jsonMessages(count: number, partitions: number, start = 0): Message[] {
  return Array.from({ length: count }, (_, i) => ({
    partition: (start + i) % partitions,
    value: JSON.stringify({ n: start + i }),
  }));
}

/** The group's committed offset per partition (-1 when none), read through the admin API. */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, number>> {
  const answer = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  const out: Record<number, number> = {};
  for (const partition of answer[0]?.partitions ?? []) out[partition.partition] = Number(partition.offset);
  return out;
}

/** Sources made in one-shot mode: {@linkcode drain} reads them until `end`, never stopping on idleness. */
const oneShot = new WeakSet<KafkaSource>();

/** A Kafka source on the kit's broker; `section` adds or overrides keys of the `source` section. */
export function makeSource(
  section: Record<string, unknown>,
  options: { untilCaughtUp?: boolean; listener?: AssignmentListener } = {},
): KafkaSource {
  const config = kafkaSourceSchema.parse({ type: "kafka", bootstrap_servers: brokers(), progress: "off", ...section });
  const source = new KafkaSource(config, { untilCaughtUp: options.untilCaughtUp ?? false, log: testLog });
  if (options.listener) source.setAssignmentListener(options.listener);
  if (options.untilCaughtUp) oneShot.add(source);
  return source;
}

/** Options of {@linkcode drain}. */
export interface DrainOptions {
  /** Acknowledge each read's messages per stream; default true. */
  readonly ack?: boolean | ((message: SourceMessage) => boolean);
  /** Stop after this many messages (continuous runs); default: read until `end`. */
  readonly limit?: number;
  /** Continuous runs: stop after this many idle answers in a row; default 10. One-shot runs must reach `end`. */
  readonly idleLimit?: number;
  /** Messages per read; default 500. */
  readonly maxMessages?: number;
}

/** Reads until `end`, a limit or repeated idleness, acknowledging per stream as the pipeline would. */
export async function drain(source: KafkaSource, options: DrainOptions = {}): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  const signal = new AbortController().signal;
  let idle = 0;
  while (out.length < (options.limit ?? Infinity)) {
    const result = await source.read({ maxMessages: options.maxMessages ?? 500, maxWaitMs: 300, signal });
    if (result.kind === "end") break;
    if (result.kind === "idle") {
      if (++idle < (options.idleLimit ?? 10)) continue;
      if (oneShot.has(source) && options.limit === undefined) {
        throw new Error(`One-shot source did not end: idle ${idle} times after ${out.length} messages`);
      }
      break;
    }
    idle = 0;
    out.push(...result.messages);
    const ack = options.ack ?? true;
    if (ack === false) continue;
    const byStream = new Map<string, string[]>();
    for (const message of result.messages) {
      if (ack !== true && !ack(message)) continue;
      const positions = byStream.get(message.stream);
      if (positions) positions.push(message.position);
      else byStream.set(message.stream, [message.position]);
    }
    for (const [stream, positions] of byStream) await source.ack(stream, positions);
  }
  return out;
}

/** The decoded JSON payload of a message. */
export function payload(message: SourceMessage): unknown {
  return message.value === null ? null : JSON.parse(new TextDecoder().decode(message.value));
}
