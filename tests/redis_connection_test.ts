/**
 * Integration tests of the redis source's connection: ACL users, the url form, wrong credentials, and the server
 * restarting under a running reader.
 * @module
 */
import assert, { deepEqual as assertEquals, rejects } from "node:assert/strict";
import type { SourceMessage } from "../src/core/source.ts";
import { ConfigError } from "../src/core/errors.ts";
import { listKeysOf } from "../src/sources/redis/lists.ts";
import { configureLogging } from "../src/telemetry/log.ts";
import { ackAll, addEntries, adminClient, drain, makeSource, pendingCount, text, uniqueKey } from "./redis_helpers.ts";
import { endpoints, ensureRunning, startService, stopService } from "./services/endpoints.ts";

await ensureRunning(["redis"]);

Deno.test("redis source authenticates as an ACL user, by keys and by url, and refuses a wrong password", async () => {
  const admin = await adminClient();
  const user = `fsds_test_${crypto.randomUUID().slice(0, 8)}`;
  const password = `pw-${crypto.randomUUID()}`;
  const stream = uniqueKey("acl-stream");
  const list = uniqueKey("acl-list");
  try {
    await admin.call("ACL", "SETUSER", user, "reset", "on", `>${password}`, "~fsds-test:*", "+@all");
    await addEntries(admin, stream, 5, (i) => ({ n: String(i) }));
    await admin.call("RPUSH", list, "a", "b");
    const byKeys = makeSource({
      stream_keys: [stream],
      list_keys: [list],
      username: user,
      password,
      consumer_name: "acl",
      continuous: false,
    });
    await byKeys.connect();
    const got = await drain(byKeys);
    await byKeys.close();
    assertEquals(got.length, 7);
    assertEquals(got.filter((m) => m.metadata[0] === list).map(text), ["a", "b"]);

    await addEntries(admin, stream, 3, (i) => ({ n: String(10 + i) }));
    const { host, port } = endpoints().redis;
    const url = `redis://${user}:${encodeURIComponent(password)}@${host}:${port}/0`;
    const byUrl = makeSource({ url, host: undefined, port: undefined, stream_keys: [stream], continuous: false });
    await byUrl.connect();
    assertEquals((await drain(byUrl)).map((m) => m.fields?.n), ["10", "11", "12"]);
    await byUrl.close();

    const wrong = makeSource({ stream_keys: [stream], username: user, password: "wrong", continuous: false });
    await rejects(wrong.connect(), (error: Error) => {
      assert(error.message.startsWith("Cannot connect to Redis"), error.message);
      assert(!error.message.includes("wrong"), "the password must not appear in the error");
      return true;
    });
    await wrong.close();
    assertEquals(await pendingCount(admin, stream), 0);
  } finally {
    await admin.call("ACL", "DELUSER", user);
    await admin.call("DEL", stream, list, ...Object.values(listKeysOf(list, "fs-data-sink", "acl")));
    admin.close();
  }
});

Deno.test("redis source reconnects after Redis restarts under it and loses nothing", async () => {
  const admin = await adminClient();
  const stream = uniqueKey("restart-stream");
  const list = uniqueKey("restart-list");
  const source = makeSource({ stream_keys: [stream], list_keys: [list], consumer_name: "rs", block_ms: 500 });
  try {
    await addEntries(admin, stream, 100, (i) => ({ n: String(i) }));
    await admin.call("RPUSH", list, ...Array.from({ length: 100 }, (_, i) => `item-${i}`));
    await source.connect();
    const before = await drain(source, { limit: 120, maxMessages: 40 });
    assertEquals(before.length, 120);

    // A reader keeps reading (and backing off) while the server is gone.
    const signal = new AbortController();
    const during: SourceMessage[] = [];
    const reader = (async () => {
      while (!signal.signal.aborted) {
        const r = await source.read({ maxMessages: 20, maxWaitMs: 200, signal: signal.signal });
        if (r.kind === "messages") {
          during.push(...r.messages);
          await ackAll(source, r.messages);
        }
      }
    })();
    await stopService("redis");
    await new Promise((r) => setTimeout(r, 500));
    await startService("redis");
    const fresh = await adminClient();
    await addEntries(fresh, stream, 50, (i) => ({ n: String(100 + i) }));
    await fresh.call("RPUSH", list, ...Array.from({ length: 50 }, (_, i) => `item-${100 + i}`));
    const deadline = Date.now() + 60_000;
    while (before.length + during.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    signal.abort();
    await reader;
    const all = [...before, ...during];
    const streamNs = all.filter((m) => m.metadata[0] === stream).map((m) => Number(m.fields?.n));
    const listItems = all.filter((m) => m.metadata[0] === list).map(text);
    assertEquals(streamNs, Array.from({ length: 150 }, (_, i) => i));
    assertEquals(listItems, Array.from({ length: 150 }, (_, i) => `item-${i}`));
    assertEquals(await pendingCount(fresh, stream), 0);
    assertEquals(await fresh.call("LLEN", listKeysOf(list, "fs-data-sink", "rs").processing), 0);
    await fresh.call("DEL", stream, list, ...Object.values(listKeysOf(list, "fs-data-sink", "rs")));
    fresh.close();
  } finally {
    await source.close();
    admin.close();
  }
});

Deno.test("redis source backs off with growing delays while Redis is down, then reads again", async () => {
  const admin = await adminClient();
  const stream = uniqueKey("backoff");
  const source = makeSource({ stream_keys: [stream], consumer_name: "bo", block_ms: 200 });
  const lines: string[] = [];
  try {
    await source.connect();
    await stopService("redis");
    configureLogging({ level: "WARNING", format: "json", writer: (line) => lines.push(line) });
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) {
      assertEquals((await source.read({ maxMessages: 10, maxWaitMs: 100, signal })).kind, "idle");
    }
    configureLogging({ level: "INFO", format: "text", writer: (line) => console.error(line) });
    const retries = lines.map((l) => JSON.parse(l)).filter((l) => l.message === "Cannot read from Redis; retrying");
    // Normally three; fewer only if something else brought the shared Redis back meanwhile.
    assert(retries.length >= 2, `retries logged: ${retries.length}`);
    assertEquals(retries.map((l) => [l.attempt, l.delay_ms]), retries.map((_, i) => [i + 1, 100 * 2 ** i]));
    // A source started while Redis is still down keeps trying to connect for a while.
    const lateKey = uniqueKey("late");
    const late = makeSource({ stream_keys: [lateKey], consumer_name: "late", continuous: false });
    const lateConnected = late.connect();
    await startService("redis");
    await lateConnected;
    assertEquals(await drain(late), []);
    await late.close();
    const fresh = await adminClient();
    await fresh.call("DEL", lateKey);
    await addEntries(fresh, stream, 3, (i) => ({ n: String(i) }));
    const got = await drain(source, { limit: 3, idleLimit: 50 });
    assertEquals(got.map((m) => m.fields?.n), ["0", "1", "2"]);
    assertEquals(await pendingCount(fresh, stream), 0);
    await fresh.call("DEL", stream);
    fresh.close();
  } finally {
    configureLogging({ level: "INFO", format: "text", writer: (line) => console.error(line) });
    await startService("redis");
    await source.close();
    admin.close();
  }
});

Deno.test("redis source refuses to start under a consumer name a running instance uses", async () => {
  const admin = await adminClient();
  const stream = uniqueKey("dup");
  const first = makeSource({ stream_keys: [stream], consumer_name: "same" });
  const second = makeSource({ stream_keys: [stream], consumer_name: "same" });
  const otherGroup = makeSource({ stream_keys: [stream], consumer_name: "same", consumer_group: "another" });
  try {
    await first.connect();
    await rejects(second.connect(), (error: Error) => {
      assert(error instanceof ConfigError, String(error));
      assert(error.message.includes('consumer "same"'), error.message);
      return true;
    });
    await otherGroup.connect(); // the same name in another group is another consumer
    await first.close();
    const again = makeSource({ stream_keys: [stream], consumer_name: "same" });
    await again.connect(); // the name is free once the first instance is gone
    await again.close();
  } finally {
    await first.close();
    await second.close();
    await otherGroup.close();
    await admin.call("DEL", stream);
    admin.close();
  }
});
