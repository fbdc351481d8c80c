/**
 * Integration tests of the redis source's streams against the kit's real Redis.
 * @module
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { ackAll, addEntries, adminClient, drain, makeSource, pendingCount, text, uniqueKey } from "./redis_helpers.ts";
import { ensureRunning } from "./services/endpoints.ts";
import { streamNameOf } from "../src/sources/redis/ids.ts";

await ensureRunning(["redis"]);

Deno.test("redis source reads every stream entry once and leaves nothing pending after ack", async () => {
  const admin = await adminClient();
  const keys = [uniqueKey("s1"), uniqueKey("s2")];
  try {
    await addEntries(admin, keys[0]!, 250, (i) => ({ n: String(i), k: "a" }));
    await addEntries(admin, keys[1]!, 120, (i) => ({ n: String(i), k: "b" }));
    const source = makeSource({ stream_keys: keys, consumer_name: "c1", continuous: false });
    await source.connect();
    const messages = await drain(source, { maxMessages: 64 });
    await source.close();
    assertEquals(messages.length, 370);
    const byKey = (k: string) => messages.filter((m) => m.metadata[0] === k);
    assertEquals(byKey(keys[0]!).map((m) => m.fields?.n), Array.from({ length: 250 }, (_, i) => String(i)));
    assertEquals(byKey(keys[1]!).map((m) => m.fields?.k), Array.from({ length: 120 }, () => "b"));
    assertEquals(new Set(messages.map((m) => m.stream)), new Set(keys.map((k) => streamNameOf(k, "c1"))));
    const first = byKey(keys[0]!)[0]!;
    assertEquals(first.position, first.metadata[1]);
    assertEquals(first.metadata[2], Number(first.position.split("-")[0]));
    assertEquals(first.timestampMs, first.metadata[2]);
    assertEquals(await pendingCount(admin, keys[0]!), 0);
    assertEquals(await pendingCount(admin, keys[1]!), 0);
  } finally {
    await admin.call("DEL", ...keys);
    admin.close();
  }
});

Deno.test("redis source hands the payload field's bytes to the decoder", async () => {
  const admin = await adminClient();
  const key = uniqueKey("payload");
  try {
    await addEntries(admin, key, 10, (i) => ({ data: JSON.stringify({ id: i }), other: "x" }));
    await admin.call("XADD", key, "*", "nopayload", "1");
    const source = makeSource({ stream_keys: [key], payload_field: "data", continuous: false });
    await source.connect();
    const messages = await drain(source);
    await source.close();
    assertEquals(messages.slice(0, 10).map((m) => JSON.parse(text(m)).id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assertEquals(messages.slice(0, 10).every((m) => m.fields === undefined), true);
    // An entry without the payload field falls back to its fields as columns.
    assertEquals(messages[10]!.fields, { nopayload: "1" });
    assertEquals(messages[10]!.value, null);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});

Deno.test("redis source re-reads its pending entries after a restart with the same positions", async () => {
  const admin = await adminClient();
  const key = uniqueKey("pending");
  try {
    await addEntries(admin, key, 100, (i) => ({ n: String(i) }));
    const first = makeSource({ stream_keys: [key], consumer_name: "restarting" });
    await first.connect();
    const unacked = await drain(first, { ack: false, limit: 60 });
    await first.close();
    assertEquals(unacked.length, 60);
    // At least what was handed out is pending (the source may have read ahead).
    assert(await pendingCount(admin, key) >= 60);
    await addEntries(admin, key, 20, (i) => ({ n: String(100 + i) }));

    const second = makeSource({ stream_keys: [key], consumer_name: "restarting", continuous: false });
    await second.connect();
    const again = await drain(second, { maxMessages: 25 });
    await second.close();
    assertEquals(again.slice(0, 60).map((m) => m.position), unacked.map((m) => m.position));
    assertEquals(again.slice(0, 60).map((m) => m.stream), unacked.map((m) => m.stream));
    assertEquals(again.map((m) => Number(m.fields?.n)), Array.from({ length: 120 }, (_, i) => i));
    assertEquals(await pendingCount(admin, key), 0);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});

Deno.test("redis source takes over a dead consumer's entries under that consumer's stream", async () => {
  const admin = await adminClient();
  const key = uniqueKey("claim");
  try {
    await addEntries(admin, key, 80, (i) => ({ n: String(i) }));
    const dead = makeSource({ stream_keys: [key], consumer_name: "dead", claim_idle_ms: 300 });
    await dead.connect();
    const held = await drain(dead, { ack: false, limit: 50 });
    await dead.close();
    assertEquals(held.length, 50);
    await new Promise((r) => setTimeout(r, 500)); // its entries idle and its lease expired

    const live = makeSource({ stream_keys: [key], consumer_name: "live", claim_idle_ms: 300, continuous: false });
    await live.connect();
    const got = await drain(live, { ack: false });
    const adopted = got.filter((m) => m.stream === streamNameOf(key, "dead"));
    const own = got.filter((m) => m.stream === streamNameOf(key, "live"));
    // Everything the dead consumer held (what it handed out, and what it had read ahead) comes back under its stream.
    assertEquals(adopted.slice(0, 50).map((m) => m.position), held.map((m) => m.position));
    assertEquals([...adopted, ...own].map((m) => Number(m.fields?.n)), Array.from({ length: 80 }, (_, i) => i));

    // The dead consumer comes back while its entries are being finished: it waits for its lease.
    const back = makeSource({ stream_keys: [key], consumer_name: "dead", claim_idle_ms: 300, continuous: false });
    let connected = false;
    const connecting = back.connect().then(() => connected = true);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(connected, false);
    await ackAll(live, got);
    await connecting;
    assertEquals(await drain(back), []);
    await back.close();
    await live.close();
    assertEquals(await pendingCount(admin, key), 0);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});

Deno.test("redis source keeps entries it holds from being taken over while it is alive", async () => {
  const admin = await adminClient();
  const key = uniqueKey("fresh");
  try {
    await addEntries(admin, key, 20, (i) => ({ n: String(i) }));
    const holder = makeSource({ stream_keys: [key], consumer_name: "holder", claim_idle_ms: 300 });
    await holder.connect();
    const held = await drain(holder, { ack: false, limit: 20 });
    assertEquals(held.length, 20);
    await new Promise((r) => setTimeout(r, 700)); // longer than claim_idle_ms: only the refresh keeps them
    const other = makeSource({ stream_keys: [key], consumer_name: "other", claim_idle_ms: 300, continuous: false });
    await other.connect();
    const got = await drain(other);
    await other.close();
    assertEquals(got.length, 0);
    await ackAll(holder, held);
    await holder.close();
    assertEquals(await pendingCount(admin, key), 0);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});

Deno.test("redis source splits a stream between two consumers of one group", async () => {
  const admin = await adminClient();
  const key = uniqueKey("split");
  try {
    await addEntries(admin, key, 300, (i) => ({ n: String(i) }));
    const a = makeSource({ stream_keys: [key], consumer_name: "a", continuous: false });
    const b = makeSource({ stream_keys: [key], consumer_name: "b", continuous: false });
    await a.connect();
    await b.connect();
    const signal = new AbortController().signal;
    const got = { a: [] as string[], b: [] as string[] };
    const done = { a: false, b: false };
    while (!done.a || !done.b) {
      for (const [name, source] of [["a", a], ["b", b]] as const) {
        if (done[name]) continue;
        const r = await source.read({ maxMessages: 10, maxWaitMs: 100, signal });
        if (r.kind === "end") done[name] = true;
        if (r.kind !== "messages") continue;
        got[name].push(...r.messages.map((m) => String(m.fields!.n)));
        await ackAll(source, r.messages);
      }
    }
    await a.close();
    await b.close();
    assert(got.a.length > 0 && got.b.length > 0, `both consumers read: ${got.a.length} / ${got.b.length}`);
    const all = [...got.a, ...got.b].map(Number).sort((x, y) => x - y);
    assertEquals(all, Array.from({ length: 300 }, (_, i) => i));
    assertEquals(await pendingCount(admin, key), 0);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});

Deno.test("redis source wakes up for a stream entry added while it blocks", async () => {
  const admin = await adminClient();
  const key = uniqueKey("block");
  try {
    const source = makeSource({ stream_keys: [key], block_ms: 5000 });
    await source.connect();
    const signal = new AbortController().signal;
    const idle = await source.read({ maxMessages: 10, maxWaitMs: 50, signal });
    assertEquals(idle.kind, "idle");
    const reading = source.read({ maxMessages: 10, maxWaitMs: 10_000, signal });
    await new Promise((r) => setTimeout(r, 100));
    await admin.call("XADD", key, "*", "hello", "world");
    const result = await reading;
    assertEquals(result.kind, "messages");
    if (result.kind === "messages") {
      assertEquals(result.messages.map((m) => m.fields), [{ hello: "world" }]);
      await ackAll(source, result.messages);
    }
    await source.close();
    assertEquals(await pendingCount(admin, key), 0);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});

Deno.test("redis source hands out entries a lost read reply left pending before any newer entry", async () => {
  const admin = await adminClient();
  const key = uniqueKey("lost");
  try {
    await addEntries(admin, key, 30, (i) => ({ n: String(i) }));
    const source = makeSource({ stream_keys: [key], consumer_name: "lost" });
    await source.connect();
    const first = await drain(source, { limit: 10, maxMessages: 10 });
    // As if a read of this consumer was executed by Redis but its reply never arrived.
    await admin.call("XREADGROUP", "GROUP", "fs-data-sink", "lost", "COUNT", 20, "STREAMS", key, ">");
    await addEntries(admin, key, 5, (i) => ({ n: String(30 + i) }));
    const rest = await drain(source, { maxMessages: 7 });
    await source.close();
    assertEquals([...first, ...rest].map((m) => Number(m.fields?.n)), Array.from({ length: 35 }, (_, i) => i));
    assertEquals(await pendingCount(admin, key), 0);
  } finally {
    await admin.call("DEL", key);
    admin.close();
  }
});
