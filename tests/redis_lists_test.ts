/**
 * Integration tests of the redis source's lists against the kit's real Redis.
 * @module
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { adminClient, drain, makeSource, text, uniqueKey } from "./redis_helpers.ts";
import { ensureRunning } from "./services/endpoints.ts";
import type { RedisClient } from "../src/sources/redis/client.ts";
import type { SourceMessage } from "../src/core/source.ts";
import { ACK_SCRIPT, listKeysOf, MOVE_SCRIPT } from "../src/sources/redis/lists.ts";
import { formatListPosition, streamNameOf } from "../src/sources/redis/ids.ts";

await ensureRunning(["redis"]);

async function push(client: RedisClient, key: string, items: string[]): Promise<void> {
  for (let i = 0; i < items.length; i += 1000) await client.call("RPUSH", key, ...items.slice(i, i + 1000));
}

async function cleanup(client: RedisClient, keys: string[], consumer: string): Promise<void> {
  const all = keys.flatMap((k) => [k, ...Object.values(listKeysOf(k, "fs-data-sink", consumer))]);
  await client.call("DEL", ...all);
}

Deno.test("redis source consumes a list in order and empties its processing list after ack", async () => {
  const admin = await adminClient();
  const key = uniqueKey("list");
  try {
    const items = Array.from({ length: 300 }, (_, i) => JSON.stringify({ i }));
    await push(admin, key, items);
    const source = makeSource({ list_keys: [key], consumer_name: "c1", continuous: false });
    await source.connect();
    const messages = await drain(source, { maxMessages: 70 });
    await source.close();
    assertEquals(messages.map(text), items);
    assertEquals(messages.map((m) => m.position), items.map((_, i) => formatListPosition(i + 1)));
    assertEquals(messages[0]!.metadata, [key, "1", null]);
    assertEquals(new Set(messages.map((m) => m.stream)), new Set([streamNameOf(key, "c1")]));
    const names = listKeysOf(key, "fs-data-sink", "c1");
    assertEquals(await admin.call("LLEN", key), 0);
    assertEquals(await admin.call("LLEN", names.processing), 0);
  } finally {
    await cleanup(admin, [key], "c1");
    admin.close();
  }
});

Deno.test("redis source recovers unacknowledged list items after a restart with the same positions", async () => {
  const admin = await adminClient();
  const key = uniqueKey("recover");
  try {
    const items = Array.from({ length: 250 }, (_, i) => `item-${i}`);
    await push(admin, key, items);
    const first = makeSource({ list_keys: [key], consumer_name: "r" });
    await first.connect();
    const unacked = await drain(first, { ack: false, limit: 120, maxMessages: 50 });
    await first.close(); // as if killed: nothing acknowledged
    assertEquals(unacked.length, 120);
    const names = listKeysOf(key, "fs-data-sink", "r");
    // At least what was handed out is in the processing list (the source may have read ahead).
    assert(Number(await admin.call("LLEN", names.processing)) >= 120);

    const second = makeSource({ list_keys: [key], consumer_name: "r", continuous: false });
    await second.connect();
    const again = await drain(second, { maxMessages: 45 });
    await second.close();
    assertEquals(again.slice(0, 120).map((m) => [m.position, text(m)]), unacked.map((m) => [m.position, text(m)]));
    assertEquals(again.map(text), items);
    assertEquals(await admin.call("LLEN", names.processing), 0);
    assertEquals(await admin.call("LLEN", key), 0);
  } finally {
    await cleanup(admin, [key], "r");
    admin.close();
  }
});

Deno.test("redis source serves several list keys in turn", async () => {
  const admin = await adminClient();
  const keys = [uniqueKey("fair-a"), uniqueKey("fair-b"), uniqueKey("fair-c")];
  try {
    for (const key of keys) await push(admin, key, Array.from({ length: 100 }, (_, i) => `${key}/${i}`));
    const source = makeSource({ list_keys: keys, consumer_name: "f", continuous: false });
    await source.connect();
    const signal = new AbortController().signal;
    const first = await source.read({ maxMessages: 30, maxWaitMs: 100, signal });
    assert(first.kind === "messages");
    const firstMessages = first.messages;
    const perKey = keys.map((k) => firstMessages.filter((m) => m.metadata[0] === k).length);
    assertEquals(perKey, [10, 10, 10]);
    const rest = await drain(source, { maxMessages: 30 });
    await source.close();
    assertEquals(firstMessages.length + rest.length, 300);
    for (const key of keys) {
      const got = [...firstMessages, ...rest].filter((m) => m.metadata[0] === key).map(text);
      assertEquals(got, Array.from({ length: 100 }, (_, i) => `${key}/${i}`));
    }
  } finally {
    await cleanup(admin, keys, "f");
    admin.close();
  }
});

Deno.test("redis source wakes up for a list item pushed while it blocks, on any of its lists", async () => {
  const admin = await adminClient();
  const keys = [uniqueKey("bl-a"), uniqueKey("bl-b")];
  try {
    const source = makeSource({ list_keys: keys, consumer_name: "b", block_ms: 5000 });
    await source.connect();
    const signal = new AbortController().signal;
    assertEquals((await source.read({ maxMessages: 10, maxWaitMs: 50, signal })).kind, "idle");
    const reading = source.read({ maxMessages: 10, maxWaitMs: 10_000, signal });
    await new Promise((r) => setTimeout(r, 100));
    await admin.call("RPUSH", keys[1]!, "late");
    const result = await reading;
    assert(result.kind === "messages");
    assertEquals(result.messages.map(text), ["late"]);
    await source.ack(result.messages[0]!.stream, [result.messages[0]!.position]);
    await source.close();
    // The other list's blocking move ended with the connection; nothing may be stuck in staging.
    const names = listKeysOf(keys[1]!, "fs-data-sink", "b");
    assertEquals(await admin.call("LLEN", names.processing), 0);
    assertEquals(await admin.call("LLEN", names.staging), 0);
  } finally {
    await cleanup(admin, keys, "b");
    admin.close();
  }
});

Deno.test("redis source keeps an item a blocking move took when it stops, and delivers it on restart", async () => {
  const admin = await adminClient();
  const key = uniqueKey("staged");
  try {
    const names = listKeysOf(key, "fs-data-sink", "s");
    // As if a run was stopped right after its blocking move took the item into staging.
    await admin.call("RPUSH", names.staging, "staged-1");
    await admin.call("RPUSH", key, "queued-2");
    const source = makeSource({ list_keys: [key], consumer_name: "s", continuous: false });
    await source.connect();
    const got = await drain(source);
    await source.close();
    assertEquals(got.map(text), ["staged-1", "queued-2"]);
    assertEquals(await admin.call("LLEN", names.staging), 0);
    assertEquals(await admin.call("LLEN", names.processing), 0);
  } finally {
    await cleanup(admin, [key], "s");
    admin.close();
  }
});

Deno.test("redis source keeps binary list items byte for byte", async () => {
  const admin = await adminClient();
  const key = uniqueKey("binary");
  try {
    const bytes = new Uint8Array([0x82, 0xa1, 0x61, 0x01, 0x3a, 0x00, 0xff, 0x0a]);
    await admin.call("RPUSH", key, bytes);
    const source = makeSource({ list_keys: [key], consumer_name: "bin", continuous: false, value_format: "msgpack" });
    await source.connect();
    const got = await drain(source);
    await source.close();
    assertEquals(got.map((m) => Array.from(m.value!)), [Array.from(bytes)]);
  } finally {
    await cleanup(admin, [key], "bin");
    admin.close();
  }
});

Deno.test("redis source takes over a dead list consumer's items under its stream and gives the lease back", async () => {
  const admin = await adminClient();
  const key = uniqueKey("adopt");
  try {
    const items = Array.from({ length: 60 }, (_, i) => `job-${i}`);
    await push(admin, key, items);
    const dead = makeSource({ list_keys: [key], consumer_name: "dead", claim_idle_ms: 300 });
    await dead.connect();
    const held = await drain(dead, { ack: false, limit: 25, maxMessages: 25 });
    await dead.close();
    assertEquals(held.length, 25);
    await new Promise((r) => setTimeout(r, 500)); // the dead consumer's lease expires

    const live = makeSource({ list_keys: [key], consumer_name: "live", claim_idle_ms: 300, continuous: false });
    await live.connect();
    const signal = new AbortController().signal;
    const got: SourceMessage[] = [];
    for (;;) {
      const r = await live.read({ maxMessages: 10, maxWaitMs: 100, signal });
      if (r.kind === "end") break;
      if (r.kind === "messages") got.push(...r.messages);
    }
    const adopted = got.filter((m) => m.stream === streamNameOf(key, "dead"));
    assertEquals(adopted.slice(0, 25).map((m) => [m.position, text(m)]), held.map((m) => [m.position, text(m)]));
    assertEquals(got.map(text).sort(), [...items].sort());

    // The dead consumer comes back while its items are being finished: it waits for the lease.
    const back = makeSource({ list_keys: [key], consumer_name: "dead", claim_idle_ms: 300, continuous: false });
    let connected = false;
    const connecting = back.connect().then(() => connected = true);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(connected, false);
    for (const stream of new Set(got.map((m) => m.stream))) {
      await live.ack(stream, got.filter((m) => m.stream === stream).map((m) => m.position));
    }
    await connecting;
    assertEquals(await drain(back), []);
    await back.close();
    await live.close();
    const deadNames = listKeysOf(key, "fs-data-sink", "dead");
    assertEquals(await admin.call("LLEN", deadNames.processing), 0);
    assertEquals(await admin.call("LLEN", listKeysOf(key, "fs-data-sink", "live").processing), 0);
  } finally {
    await cleanup(admin, [key], "dead");
    await cleanup(admin, [key], "live");
    admin.close();
  }
});

Deno.test("redis source keeps a live list consumer's items while it holds its lease", async () => {
  const admin = await adminClient();
  const key = uniqueKey("lease");
  try {
    await push(admin, key, Array.from({ length: 10 }, (_, i) => `x${i}`));
    const holder = makeSource({ list_keys: [key], consumer_name: "holder", claim_idle_ms: 300 });
    await holder.connect();
    const held = await drain(holder, { ack: false, limit: 10 });
    await new Promise((r) => setTimeout(r, 700)); // longer than claim_idle_ms: only the refresh keeps the lease
    const other = makeSource({ list_keys: [key], consumer_name: "other", claim_idle_ms: 300, continuous: false });
    await other.connect();
    assertEquals(await drain(other), []);
    await other.close();
    await holder.ack(held[0]!.stream, held.map((m) => m.position));
    await holder.close();
    assertEquals(await admin.call("LLEN", listKeysOf(key, "fs-data-sink", "holder").processing), 0);
  } finally {
    await cleanup(admin, [key], "holder");
    await cleanup(admin, [key], "other");
    admin.close();
  }
});

Deno.test("redis list move repeated with the same token returns the same items and takes no more", async () => {
  const admin = await adminClient();
  const key = uniqueKey("token");
  try {
    await push(admin, key, Array.from({ length: 10 }, (_, i) => `t${i}`));
    const n = listKeysOf(key, "fs-data-sink", "tok");
    const keys = [key, n.staging, n.processing, n.counter, n.lastMove];
    const decode = (reply: unknown) => (reply as Uint8Array[]).map((b) => new TextDecoder().decode(b));
    const first = decode(await admin.evalScript(MOVE_SCRIPT, keys, [4, "LPOP", "token-a"]));
    const again = decode(await admin.evalScript(MOVE_SCRIPT, keys, [4, "LPOP", "token-a"]));
    assertEquals(first, ["1", "t0", "t1", "t2", "t3"]);
    assertEquals(again, first);
    assertEquals(await admin.call("LLEN", key), 6);
    const next = decode(await admin.evalScript(MOVE_SCRIPT, keys, [2, "LPOP", "token-b"]));
    assertEquals(next, ["5", "t4", "t5"]);
    assertEquals(await admin.call("LRANGE", n.processing, 0, -1), ["1:t0", "2:t1", "3:t2", "4:t3", "5:t4", "6:t5"]);
  } finally {
    await cleanup(admin, [key], "tok");
    admin.close();
  }
});

Deno.test("redis list acknowledgement removes exactly the items up to its number, gaps in the numbers included", async () => {
  const admin = await adminClient();
  const processing = uniqueKey("ack");
  // Numbers as two consumers of one list take them: rising, with gaps where the other consumer's items are.
  const seqs = [
    ...Array.from({ length: 300 }, (_, i) => 3 * i + 1),
    ...Array.from({ length: 200 }, (_, i) => 1000 + i),
  ];
  const reset = async () => {
    await admin.call("DEL", processing);
    for (let i = 0; i < seqs.length; i += 100) {
      await admin.call("RPUSH", processing, ...seqs.slice(i, i + 100).map((s) => `${s}:item-${s}`));
    }
  };
  const left = async () =>
    (await admin.call("LRANGE", processing, 0, -1) as string[]).map((v) => Number(v.split(":")[0]));
  try {
    // Every acknowledged number, one just before, at and after a gap, before the head, past the tail.
    for (const max of [0, 1, 2, 3, 4, 450, 451, 897, 898, 899, 999, 1000, 1001, 1150, 1199, 1200, 10_000]) {
      await reset();
      const removed = Number(await admin.evalScript(ACK_SCRIPT, [processing], [String(max)]));
      const expected = seqs.filter((s) => s > max);
      assertEquals(await left(), expected, `ack through ${max}`);
      assertEquals(removed, seqs.length - expected.length, `count removed through ${max}`);
    }
    // An empty list, and an item without a number at the head: nothing removed.
    await admin.call("DEL", processing);
    assertEquals(Number(await admin.evalScript(ACK_SCRIPT, [processing], ["5"])), 0);
    await admin.call("RPUSH", processing, "junk", "1:a");
    assertEquals(Number(await admin.evalScript(ACK_SCRIPT, [processing], ["5"])), 0);
    assertEquals(await admin.call("LLEN", processing), 2);
  } finally {
    await admin.call("DEL", processing);
    admin.close();
  }
});
