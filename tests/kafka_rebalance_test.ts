import assert from "node:assert/strict";
import type { SourceMessage } from "../src/core/source.ts";
import type { KafkaSource } from "../src/sources/kafka/source.ts";
import {
  committedOffsets,
  createTopic,
  deleteTopics,
  drain,
  jsonMessages,
  makeSource,
  produce,
  uniqueName,
} from "./kafka_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test(
  "kafka source: two consumers in one group split partitions, and a revoked partition is never committed",
  opts,
  async () => {
    const topic = await createTopic("rebalance", 4);
    const group = uniqueName("group");
    const sources: KafkaSource[] = [];
    try {
      await produce(topic, jsonMessages(400, 4));
      const revokedA: string[][] = [];
      let revokeFinished = false;
      const a = makeSource({ topics: [topic], group_id: group }, {
        listener: {
          async revoked(streams) {
            revokedA.push([...streams]);
            await new Promise((resolve) => setTimeout(resolve, 300));
            revokeFinished = true;
          },
        },
      });
      sources.push(a);
      await a.connect();
      assert.equal(a.assignedStreams.length, 4);
      // A reads without acknowledging: these records are in hand when B joins.
      const unacked = await drain(a, { ack: false, limit: 40, maxMessages: 40 });
      assert.ok(unacked.length >= 40);

      const b = makeSource({ topics: [topic], group_id: group });
      sources.push(b);
      await b.connect();
      await until("A's partitions were revoked", () => revokedA.length > 0);
      assert.deepEqual(revokedA[0]!.sort(), [0, 1, 2, 3].map((p) => `${topic}+${p}`));
      await until("both members hold partitions", () => a.assignedStreams.length > 0 && b.assignedStreams.length > 0);
      assert.equal(revokeFinished, true, "the new assignment waited for the listener");
      const owned = [...a.assignedStreams, ...b.assignedStreams].sort();
      assert.deepEqual(owned, [0, 1, 2, 3].map((p) => `${topic}+${p}`), "each partition has exactly one owner");

      // A acknowledges its old records late: partitions that moved to B must not be committed by A.
      const byStream = Map.groupBy(unacked, (m: SourceMessage) => m.stream);
      for (const [stream, messages] of byStream) await a.ack(stream, messages.map((m) => m.position));
      const committed = await committedOffsets(group, topic);
      for (const stream of b.assignedStreams) {
        const partition = Number(stream.split("+")[1]);
        assert.equal(committed[partition], -1, `${stream} moved to B and was not committed by A`);
      }

      // Both drain to the end; together they deliver every record and commit every partition to its end.
      const seen = new Map<string, Set<string>>();
      const record = (messages: SourceMessage[]) => {
        for (const m of messages) {
          const set = seen.get(m.stream) ?? new Set();
          set.add(m.position);
          seen.set(m.stream, set);
        }
      };
      let done = false;
      const pump = async (source: KafkaSource) => {
        while (!done) record(await drain(source, { limit: 200, idleLimit: 2 }));
      };
      const pumps = [pump(a), pump(b)];
      await until("every partition is committed to its end", async () => {
        const offsets = await committedOffsets(group, topic);
        return [0, 1, 2, 3].every((p) => offsets[p] === 100);
      });
      done = true;
      await Promise.all(pumps);
      for (let p = 0; p < 4; p++) assert.equal(seen.get(`${topic}+${p}`)?.size, 100, `partition ${p} fully delivered`);
    } finally {
      for (const source of sources) await source.close();
      await deleteTopics(topic);
    }
  },
);
