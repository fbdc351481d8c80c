/**
 * Consumer lag of the Kafka source against the kit's broker: `lag()` per assigned partition is the high watermark
 * minus the committed offset (records read but not yet durable still count), follows new records without a read,
 * and forgets partitions that a rebalance takes away.
 * @module
 */
import assert from "node:assert/strict";
import type { SourceMessage } from "../src/core/source.ts";
import { configSchema as kafkaSourceSchema } from "../src/sources/kafka/config.ts";
import { KafkaSource } from "../src/sources/kafka/source.ts";
import {
  brokers,
  committedOffsets,
  createTopic,
  deleteTopics,
  drain,
  jsonMessages,
  produce,
  testLog,
  uniqueName,
} from "./kafka_helpers.ts";
import { ensureRunning } from "./services/endpoints.ts";

await ensureRunning(["kafka"]);

// kafkajs keeps timers and sockets a little after disconnecting.
const opts = { sanitizeOps: false, sanitizeResources: false };

/** A continuous Kafka source on the kit's broker refreshing high watermarks every 100 ms. */
function makeSource(topic: string, group: string, untilCaughtUp = false): KafkaSource {
  const config = kafkaSourceSchema.parse({
    type: "kafka",
    bootstrap_servers: brokers(),
    progress: "off",
    topics: [topic],
    group_id: group,
  });
  return new KafkaSource(config, { untilCaughtUp, log: testLog }, { lagRefreshMs: 100 });
}

/** Polls `read` until it returns `expected` (watermarks refresh in the background) or 30 s passed; the last value. */
async function settle<T>(read: () => T, expected: T): Promise<T> {
  const deadline = Date.now() + 30_000;
  let value = read();
  while (JSON.stringify(value) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = read();
  }
  return value;
}

/** The lag as a plain object sorted by stream, for comparisons. */
function lagOf(source: KafkaSource): Record<string, number> {
  return Object.fromEntries([...source.lag()].sort(([a], [b]) => a < b ? -1 : 1));
}

Deno.test("kafka source lag is the high watermark minus the committed offset per partition", opts, async () => {
  const topic = await createTopic("lag", 2);
  const group = uniqueName("lag-group");
  const source = makeSource(topic, group);
  const [p0, p1] = [`${topic}+0`, `${topic}+1`];
  try {
    await produce(topic, jsonMessages(30, 2));
    await source.connect();
    const lag = () => lagOf(source);
    assert.deepEqual(await settle(lag, { [p0]: 15, [p1]: 15 }), { [p0]: 15, [p1]: 15 });

    // Everything read, nothing durable yet: nothing is committed, so all of it is still lag.
    const read = await drain(source, { ack: false, limit: 30 });
    assert.equal(read.length, 30);
    assert.deepEqual(lag(), { [p0]: 15, [p1]: 15 });

    const ofPartition = (stream: string) => read.filter((m: SourceMessage) => m.stream === stream);
    await source.ack(p0, ofPartition(p0).slice(0, 10).map((m) => m.position));
    await source.ack(p1, ofPartition(p1).map((m) => m.position));
    assert.deepEqual(lag(), { [p0]: 5, [p1]: 0 });
    assert.deepEqual(await committedOffsets(group, topic), { 0: 10, 1: 15 });

    // New records raise the lag without the pipeline reading anything.
    await produce(
      topic,
      Array.from({ length: 7 }, (_, i) => ({ partition: 1, value: JSON.stringify({ n: 100 + i }) })),
    );
    assert.deepEqual(await settle(lag, { [p0]: 5, [p1]: 7 }), { [p0]: 5, [p1]: 7 });

    const more = await drain(source, { limit: 7 });
    assert.deepEqual(
      more.map((m) => [m.stream, Number(m.position)]),
      Array.from({ length: 7 }, (_, i) => [p1, 15 + i]),
    );
    assert.deepEqual(lag(), { [p0]: 5, [p1]: 0 });
  } finally {
    await source.close();
    await deleteTopics(topic);
  }
});

Deno.test("kafka source lag resumes from the committed offset after a restart", opts, async () => {
  const topic = await createTopic("lag-restart", 1);
  const group = uniqueName("lag-group");
  const stream = `${topic}+0`;
  let source = makeSource(topic, group);
  try {
    await produce(topic, jsonMessages(20, 1));
    await source.connect();
    const read = await drain(source, { ack: false, limit: 20 });
    await source.ack(stream, read.slice(0, 8).map((m) => m.position));
    assert.deepEqual(lagOf(source), { [stream]: 12 });
    await source.close();

    source = makeSource(topic, group);
    await source.connect();
    assert.deepEqual(await settle(() => lagOf(source), { [stream]: 12 }), { [stream]: 12 });
    const again = await drain(source, { limit: 12 });
    assert.equal(Number(again[0]!.position), 8);
    assert.deepEqual(lagOf(source), { [stream]: 0 });
  } finally {
    await source.close();
    await deleteTopics(topic);
  }
});

Deno.test(
  "kafka source lag of a one-shot run paused at its end follows new records through the admin API",
  opts,
  async () => {
    const topic = await createTopic("lag-oneshot", 1);
    const group = uniqueName("lag-group");
    const stream = `${topic}+0`;
    const source = makeSource(topic, group, true);
    try {
      await produce(topic, jsonMessages(6, 1));
      await source.connect();
      // One-shot: reads up to the end offset taken at start, acknowledges, then the partition stays paused.
      assert.equal((await drain(source)).length, 6);
      assert.deepEqual(lagOf(source), { [stream]: 0 });
      await produce(topic, jsonMessages(4, 1, 6));
      // Nothing is fetched any more, so only the background refresh of the high watermark can see these.
      assert.deepEqual(await settle(() => lagOf(source), { [stream]: 4 }), { [stream]: 4 });
      assert.equal(
        (await source.read({ maxMessages: 10, maxWaitMs: 100, signal: new AbortController().signal })).kind,
        "end",
      );
    } finally {
      await source.close();
      await deleteTopics(topic);
    }
  },
);

Deno.test("kafka source lag drops the partitions a rebalance takes away", opts, async () => {
  const topic = await createTopic("lag-rebalance", 2);
  const group = uniqueName("lag-group");
  const a = makeSource(topic, group);
  const b = makeSource(topic, group);
  try {
    await produce(topic, jsonMessages(10, 2));
    await a.connect();
    assert.deepEqual(await settle(() => lagOf(a), { [`${topic}+0`]: 5, [`${topic}+1`]: 5 }), {
      [`${topic}+0`]: 5,
      [`${topic}+1`]: 5,
    });
    await b.connect();
    const deadline = Date.now() + 60_000;
    while ((a.assignedStreams.length !== 1 || b.assignedStreams.length !== 1) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(a.assignedStreams.length, 1);
    assert.deepEqual(Object.keys(lagOf(a)), a.assignedStreams);
    assert.deepEqual(Object.keys(lagOf(b)), b.assignedStreams);
    assert.deepEqual({ ...lagOf(a), ...lagOf(b) }, { [`${topic}+0`]: 5, [`${topic}+1`]: 5 });
  } finally {
    await a.close();
    await b.close();
    await deleteTopics(topic);
  }
});
