import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { SourceMessage } from "../src/core/source.ts";
import {
  committedOffsets,
  createTopic,
  deleteTopics,
  drain,
  jsonMessages,
  makeSource,
  payload,
  produce,
  recreateTopic,
  uniqueName,
  withAdmin,
} from "./kafka_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function byStream(messages: readonly SourceMessage[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of messages) (out[m.stream] ??= []).push(Number(m.position));
  return out;
}

Deno.test("kafka source one-shot run reads every partition to its end and commits the next offsets", opts, async () => {
  const topic = await createTopic("oneshot", 3);
  const group = uniqueName("group");
  try {
    await produce(topic, jsonMessages(30, 3));
    const source = makeSource({ topics: [topic], group_id: group }, { untilCaughtUp: true });
    await source.connect();
    const messages = await drain(source);
    await source.close();
    assert.equal(messages.length, 30);
    assert.deepEqual(byStream(messages), {
      [`${topic}+0`]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [`${topic}+1`]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [`${topic}+2`]: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    });
    const first = messages.find((m) => m.stream === `${topic}+1`)!;
    assert.equal(first.position, "00000000000000000000");
    assert.deepEqual(first.metadata.slice(0, 3), [topic, 1, 0n]);
    assert.equal(typeof first.metadata[3], "number");
    assert.equal(first.timestampMs, first.metadata[3]);
    assert.deepEqual(payload(first), { n: 1 });
    assert.deepEqual(await committedOffsets(group, topic), { 0: 10, 1: 10, 2: 10 });
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka source second one-shot run only reads what is new", opts, async () => {
  const topic = await createTopic("incremental", 2);
  const group = uniqueName("group");
  try {
    await produce(topic, jsonMessages(10, 2));
    const first = makeSource({ topics: topic, group_id: group }, { untilCaughtUp: true });
    await first.connect();
    assert.equal((await drain(first)).length, 10);
    await first.close();
    await produce(topic, [{ partition: 1, value: '{"n":100}' }, { partition: 1, value: '{"n":101}' }]);
    const second = makeSource({ topics: topic, group_id: group }, { untilCaughtUp: true });
    await second.connect();
    const messages = await drain(second);
    await second.close();
    assert.deepEqual(byStream(messages), { [`${topic}+1`]: [5, 6] });
    assert.deepEqual(messages.map(payload), [{ n: 100 }, { n: 101 }]);
    assert.deepEqual(await committedOffsets(group, topic), { 0: 5, 1: 7 });
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test(
  "kafka source redelivers unacknowledged messages after a restart from the committed offset",
  opts,
  async () => {
    const topic = await createTopic("redeliver", 1);
    const group = uniqueName("group");
    try {
      await produce(topic, jsonMessages(10, 1));
      const first = makeSource({ topics: [topic], group_id: group }, { untilCaughtUp: true });
      await first.connect();
      const seen = await drain(first, { ack: (m) => Number(m.position) < 4 });
      await first.close();
      assert.equal(seen.length, 10);
      assert.deepEqual(await committedOffsets(group, topic), { 0: 4 });
      const second = makeSource({ topics: [topic], group_id: group }, { untilCaughtUp: true });
      await second.connect();
      const again = await drain(second);
      await second.close();
      assert.deepEqual(again.map((m) => m.position), seen.slice(4).map((m) => m.position));
      assert.deepEqual(await committedOffsets(group, topic), { 0: 10 });
    } finally {
      await deleteTopics(topic);
    }
  },
);

Deno.test("kafka source ends at once on an empty topic and on a pattern that matches nothing", opts, async () => {
  const topic = await createTopic("empty", 2);
  try {
    const source = makeSource({ topics: [topic], group_id: uniqueName("group") }, { untilCaughtUp: true });
    await source.connect();
    const signal = new AbortController().signal;
    assert.deepEqual(await source.read({ maxMessages: 10, maxWaitMs: 5000, signal }), { kind: "end" });
    await source.close();
    const none = makeSource({ topic_pattern: "fsds-test-nothing-matches-[0-9]{40}", group_id: uniqueName("g") }, {
      untilCaughtUp: true,
    });
    await none.connect();
    assert.deepEqual(await none.read({ maxMessages: 10, maxWaitMs: 5000, signal }), { kind: "end" });
    await none.close();
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka source fills key, headers and timestamp columns; binary keys become base64", opts, async () => {
  const topic = await createTopic("keys", 1);
  try {
    await produce(topic, [
      {
        key: "user-1",
        value: "{}",
        headers: { trace: "abc", kind: Buffer.from("hi") },
        timestamp: "1700000000000",
      },
      { key: Buffer.from([0xff, 0x00, 0xfe]), value: "{}", timestamp: "1700000001000" },
      { key: null, value: "{}" },
    ]);
    const source = makeSource({
      topics: [topic],
      group_id: uniqueName("group"),
      metadata_columns: { headers: true, offset: "off" },
    }, { untilCaughtUp: true });
    await source.connect();
    assert.deepEqual(source.metadataColumns.map((c) => `${c.name}:${c.type}`), [
      "kafka_topic:utf8",
      "kafka_partition:int32",
      "off:int64",
      "kafka_timestamp:timestamp_ms",
      "kafka_key:utf8",
      "kafka_headers:map_utf8",
    ]);
    const messages = await drain(source);
    await source.close();
    assert.equal(messages.length, 3);
    assert.deepEqual(messages[0]!.metadata.slice(3), [1700000000000, "user-1", { trace: "abc", kind: "hi" }]);
    assert.deepEqual(messages[1]!.metadata.slice(3), [1700000001000, "base64:/wD+", null]);
    assert.equal(messages[2]!.metadata[4], null);
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka source flags skipped tombstones and keeps them as null payloads when asked", opts, async () => {
  const topic = await createTopic("tombstones", 1);
  try {
    await produce(topic, [
      { key: "a", value: '{"v":1}' },
      { key: "a", value: null },
      { key: "b", value: '{"v":2}' },
      { key: "b", value: null },
    ]);
    const skipGroup = uniqueName("group");
    const skip = makeSource({ topics: [topic], group_id: skipGroup }, { untilCaughtUp: true });
    await skip.connect();
    const skipped = await drain(skip);
    await skip.close();
    assert.deepEqual(skipped.map((m) => [m.position.slice(-1), m.value === null, m.skip === true]), [
      ["0", false, false],
      ["1", true, true],
      ["2", false, false],
      ["3", true, true],
    ]);
    assert.equal(skip.stats.tombstones, 2);
    assert.deepEqual(await committedOffsets(skipGroup, topic), { 0: 4 });

    const keep = makeSource({ topics: [topic], group_id: uniqueName("group"), tombstones: "keep" }, {
      untilCaughtUp: true,
    });
    await keep.connect();
    const kept = await drain(keep);
    await keep.close();
    assert.deepEqual(kept.map((m) => [m.value === null, m.skip === true]), [
      [false, false],
      [true, false],
      [false, false],
      [true, false],
    ]);
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka source reads a 5 MB message", opts, async () => {
  const topic = await createTopic("big", 1, [{ name: "max.message.bytes", value: String(8 * 1024 * 1024) }]);
  try {
    const big = JSON.stringify({ blob: "x".repeat(5 * 1024 * 1024) });
    await produce(topic, [{ value: '{"small":1}' }, { value: big }, { value: '{"small":2}' }]);
    const source = makeSource({ topics: [topic], group_id: uniqueName("group") }, { untilCaughtUp: true });
    await source.connect();
    const messages = await drain(source);
    await source.close();
    assert.deepEqual(messages.map((m) => m.value?.byteLength), [11, big.length, 11]);
    assert.equal((payload(messages[1]!) as { blob: string }).blob.length, 5 * 1024 * 1024);
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka source start_from latest and a timestamp apply to a new group only", opts, async () => {
  const topic = await createTopic("startfrom", 1);
  try {
    await produce(topic, [
      { value: '{"n":0}', timestamp: "1700000000000" },
      { value: '{"n":1}', timestamp: "1700000100000" },
      { value: '{"n":2}', timestamp: "1700000200000" },
    ]);
    const byTime = makeSource({
      topics: [topic],
      group_id: uniqueName("group"),
      start_from: new Date(1700000100000).toISOString(),
    }, { untilCaughtUp: true });
    await byTime.connect();
    assert.deepEqual((await drain(byTime)).map(payload), [{ n: 1 }, { n: 2 }]);
    await byTime.close();

    const group = uniqueName("group");
    const latest = makeSource({ topics: [topic], group_id: group, start_from: "latest" });
    await latest.connect();
    assert.deepEqual(await committedOffsets(group, topic), { 0: 3 }, "the start point is committed at once");
    await produce(topic, [{ value: '{"n":3}' }]);
    const got = await drain(latest, { limit: 1, idleLimit: 30 });
    await latest.close();
    assert.deepEqual(got.map(payload), [{ n: 3 }]);
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka source reads topics chosen by pattern with exclusions", opts, async () => {
  const base = uniqueName("pattern");
  const topics = [`${base}-a`, `${base}-b`, `${base}-skip`];
  try {
    await withAdmin((admin) =>
      admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true })
    );
    for (const topic of topics) await produce(topic, [{ value: JSON.stringify({ topic }) }]);
    const source = makeSource({
      topic_pattern: `${base}-.*`,
      exclude: [".*-skip"],
      group_id: uniqueName("group"),
    }, { untilCaughtUp: true });
    await source.connect();
    assert.deepEqual(source.topics, [`${base}-a`, `${base}-b`]);
    const messages = await drain(source);
    await source.close();
    assert.deepEqual(messages.map((m) => m.stream).sort(), [`${base}-a+0`, `${base}-b+0`]);
  } finally {
    await deleteTopics(...topics);
  }
});

/**
 * A source reads `before` records of a topic with `partitions` partitions; the topic is deleted and recreated and
 * refilled with `after` records before the source fetches again. Each partition must be read from its new start
 * (positions 0.., payloads from 100), one reset per partition, and commits below the old offsets are accepted.
 */
async function recreatedMidRun(partitions: number, before: number, after: number): Promise<void> {
  const topic = await createTopic("recreate", partitions);
  const group = uniqueName("group");
  const source = makeSource({ topics: [topic], group_id: group });
  try {
    await produce(topic, jsonMessages(before, partitions));
    await source.connect();
    assert.equal((await drain(source, { limit: before })).length, before);
    await recreateTopic(topic, partitions);
    await produce(topic, jsonMessages(after, partitions, 100));
    const again = await drain(source, { limit: after, idleLimit: 100 });
    const perPartition = after / partitions;
    for (let partition = 0; partition < partitions; partition++) {
      const messages = again.filter((m) => m.stream === `${topic}+${partition}`);
      assert.deepEqual(
        messages.map((m) => Number(m.position)),
        [...Array(perPartition).keys()],
        `partition ${partition}`,
      );
    }
    const values = again.map((m) => (payload(m) as { n: number }).n).sort((a, b) => a - b);
    assert.deepEqual(values, Array.from({ length: after }, (_, i) => 100 + i), "the new records, once each");
    assert.equal(source.stats.resets, partitions, "one reset per partition");
    const committed = await committedOffsets(group, topic);
    assert.deepEqual(committed, Object.fromEntries([...Array(partitions).keys()].map((p) => [p, perPartition])));
  } finally {
    await source.close();
    await deleteTopics(topic);
  }
}

Deno.test(
  "kafka source detects a topic deleted and recreated mid-run and reads it from its start",
  opts,
  () => recreatedMidRun(1, 10, 3),
);

Deno.test(
  "kafka source sees a topic recreated with more records than it had read (new topic id) and skips none",
  opts,
  // Refilled past the old positions (5 per partition): offsets alone cannot tell, the topic id can.
  () => recreatedMidRun(2, 10, 40),
);

Deno.test("kafka source reads only committed transactions: aborted records are left out", opts, async () => {
  const topic = await createTopic("aborted", 1);
  const producer = await transactionalProducer();
  try {
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: jsonMessages(4, 1, 900) });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: jsonMessages(3, 1) });
    await committed.commit();
    await producer.disconnect();
    // 4 aborted records + abort marker + 3 records + commit marker.
    await waitForEndOffset(topic, 9);
    const source = makeSource({ topics: [topic], group_id: uniqueName("group") }, { untilCaughtUp: true });
    await source.connect();
    const messages = await drain(source);
    await source.close();
    assert.deepEqual(messages.map((m) => payload(m)), [{ n: 0 }, { n: 1 }, { n: 2 }], "only the committed records");
    assert.deepEqual(messages.map((m) => Number(m.position)), [5, 6, 7]);
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test(
  "kafka source one-shot run ends after a transaction's commit marker at the end of a partition",
  opts,
  async () => {
    const topic = await createTopic("transactions", 1);
    const producer = await transactionalProducer();
    try {
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: jsonMessages(5, 1) });
      await transaction.commit();
      await producer.disconnect();
      // The coordinator writes the commit marker after commit() returns; a one-shot run that starts before it is
      // written sees the transaction as open and (correctly) ends at its start. Start once the marker is there.
      await waitForEndOffset(topic, 6);
      const source = makeSource({
        topics: [topic],
        group_id: uniqueName("group"),
        extra_config: {
          isolation_level: "read_committed",
          // One record batch per fetch: the commit marker then arrives alone, in a batch with no record.
          max_partition_fetch_bytes: 64,
        },
      }, { untilCaughtUp: true });
      await source.connect();
      const messages = await drain(source);
      await source.close();
      assert.deepEqual(
        messages.map((m) => Number(m.position)),
        [0, 1, 2, 3, 4],
        "the marker (offset 5) is not a record",
      );
    } finally {
      await deleteTopics(topic);
    }
  },
);

/** A connected transactional producer (kafkajs, an independent client) with a new transactional id. */
async function transactionalProducer() {
  const { testClient } = await import("./kafka_helpers.ts");
  const producer = testClient().producer({
    transactionalId: uniqueName("tx"),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return producer;
}

/** Waits until partition 0 of `topic` ends at `offset` or later (records and markers written). */
async function waitForEndOffset(topic: string, offset: number): Promise<void> {
  const { withAdmin } = await import("./kafka_helpers.ts");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const end = await withAdmin(async (admin) => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return Number(offsets.find((o) => o.partition === 0)?.high ?? 0);
    });
    if (end >= offset) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`partition 0 of "${topic}" did not reach offset ${offset} in 15 s`);
}
