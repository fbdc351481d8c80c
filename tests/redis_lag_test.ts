/**
 * Consumer lag of the redis source against the kit's Redis: `lag()` counts what waits for this consumer plus what it
 * holds unacknowledged, for streams and lists; and end to end, the real CLI serves it as
 * `fs_data_sink_consumer_lag` on its Prometheus endpoint and as the health endpoint's backlog.
 * @module
 */
import { deepEqual as assertEquals } from "node:assert/strict";
import type { SourceMessage } from "../src/core/source.ts";
import { RedisSource } from "../src/sources/redis/source.ts";
import type { RedisClient } from "../src/sources/redis/client.ts";
import { parseRedisConfig } from "../src/sources/redis/config.ts";
import { listKeysOf } from "../src/sources/redis/lists.ts";
import { ackAll, addEntries, adminClient, testLog, uniqueKey } from "./redis_helpers.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";

await ensureRunning(["redis"]);

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CONSUMER = "lag-test";

/** A source on the kit's Redis refreshing its lag every 100 ms. */
function makeSource(section: Record<string, unknown>): RedisSource {
  const { host, port } = endpoints().redis;
  const config = parseRedisConfig({ type: "redis", host, port, consumer_name: CONSUMER, ...section });
  return new RedisSource(config, { untilCaughtUp: false, log: testLog }, { lagRefreshMs: 100 });
}

/**
 * Polls `read` until it returns `expected` (the lag is refreshed in the background) or 20 s passed; returns the
 * last value, so a mismatch shows in the assertion.
 */
async function settle<T>(read: () => T, expected: T): Promise<T> {
  const deadline = Date.now() + 20_000;
  let value = read();
  while (JSON.stringify(value) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = read();
  }
  return value;
}

/** Reads exactly `count` messages without acknowledging them. */
async function take(source: RedisSource, count: number): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  const signal = new AbortController().signal;
  for (let idle = 0; out.length < count && idle < 20;) {
    const result = await source.read({ maxMessages: count - out.length, maxWaitMs: 200, signal });
    if (result.kind === "messages") out.push(...result.messages);
    else idle++;
  }
  return out;
}

async function cleanup(client: RedisClient, streams: string[], lists: string[], consumer = CONSUMER) {
  const bookkeeping = lists.flatMap((k) => Object.values(listKeysOf(k, "fs-data-sink", consumer)));
  await client.call("DEL", ...streams, ...lists, ...bookkeeping);
}

Deno.test("redis stream lag counts entries not yet delivered plus this consumer's unacknowledged ones", async () => {
  const admin = await adminClient();
  const key = uniqueKey("lag-stream");
  const stream = `${key}+${CONSUMER}`;
  const source = makeSource({ stream_keys: [key] });
  try {
    await source.connect();
    await addEntries(admin, key, 30, (i) => ({ n: String(i) }));
    const lag = () => Object.fromEntries(source.lag());
    assertEquals(await settle(lag, { [stream]: 30 }), { [stream]: 30 });

    // Read but not durable yet: still counted (delivered to us, pending).
    const first = await take(source, 12);
    assertEquals(first.length, 12);
    assertEquals(await settle(lag, { [stream]: 30 }), { [stream]: 30 });

    await ackAll(source, first);
    assertEquals(await settle(lag, { [stream]: 18 }), { [stream]: 18 });

    const rest = await take(source, 18);
    assertEquals(
      rest.map((m) => m.position),
      (await admin.call("XRANGE", key, "-", "+") as string[][]).slice(12).map((e) => e[0]),
    );
    await ackAll(source, rest);
    assertEquals(await settle(lag, { [stream]: 0 }), { [stream]: 0 });

    // Another consumer's pending entries are its own work, not ours.
    await addEntries(admin, key, 5, (i) => ({ n: String(30 + i) }));
    await admin.call("XREADGROUP", "GROUP", "fs-data-sink", "someone-else", "COUNT", 2, "STREAMS", key, ">");
    assertEquals(await settle(lag, { [stream]: 3 }), { [stream]: 3 });
  } finally {
    await source.close();
    await cleanup(admin, [key], []);
    await admin.quit();
  }
});

Deno.test("redis list lag counts items waiting in the list plus those taken and not yet acknowledged", async () => {
  const admin = await adminClient();
  const key = uniqueKey("lag-list");
  const stream = `${key}+${CONSUMER}`;
  const source = makeSource({ list_keys: [key] });
  try {
    await source.connect();
    await admin.call("RPUSH", key, ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ n: i })));
    const lag = () => Object.fromEntries(source.lag());
    assertEquals(await settle(lag, { [stream]: 20 }), { [stream]: 20 });

    const first = await take(source, 8);
    assertEquals(first.length, 8);
    // Moved into the processing list, not durable yet: still counted.
    assertEquals(await settle(lag, { [stream]: 20 }), { [stream]: 20 });
    assertEquals(Number(await admin.call("LLEN", key)) < 20, true);

    await ackAll(source, first);
    assertEquals(await settle(lag, { [stream]: 12 }), { [stream]: 12 });

    const rest = await take(source, 12);
    assertEquals(rest.length, 12);
    await ackAll(source, rest);
    assertEquals(await settle(lag, { [stream]: 0 }), { [stream]: 0 });
  } finally {
    await source.close();
    await cleanup(admin, [], [key]);
    await admin.quit();
  }
});

/** The value of `fs_data_sink_consumer_lag` for `stream` in a Prometheus scrape, or undefined. */
function scrapedLag(text: string, stream: string): number | undefined {
  const prefix = `fs_data_sink_consumer_lag{fs_data_sink_stream="${stream}"} `;
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

Deno.test("the CLI serves the redis consumer lag on its Prometheus endpoint and as the health backlog", async () => {
  const admin = await adminClient();
  const key = uniqueKey("lag-e2e");
  const consumer = "lag-e2e";
  const stream = `${key}+${consumer}`;
  const dir = await Deno.makeTempDir({ prefix: "fsds-redis-lag-e2e-" });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const { host, port: redisPort } = endpoints().redis;
  const config = {
    source: {
      type: "redis",
      host,
      port: redisPort,
      list_keys: [key],
      consumer_name: consumer,
      continuous: true,
      value_format: "json",
      batch_size: 1000,
    },
    sink: { type: "local", path: `${dir}/out` },
    // Items are read and held (no cut for 10 minutes), so the lag stays at what is not yet durable.
    pipeline: { batch_timeout_seconds: 600 },
    telemetry: { log_level: "WARNING", prometheus_port: port, health_port: port },
  };
  await Deno.writeTextFile(`${dir}/config.yaml`, JSON.stringify(config));
  await admin.call("RPUSH", key, ...Array.from({ length: 25 }, (_, i) => JSON.stringify({ n: i })));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "run", "--config", `${dir}/config.yaml`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const scrape = async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        return scrapedLag(await response.text(), stream);
      } catch {
        return undefined; // not listening yet
      }
    };
    const deadline = Date.now() + 30_000;
    let value = await scrape();
    // All 25 items end up taken into the processing list, none acknowledged: the lag stays 25.
    while ((value !== 25 || Number(await admin.call("LLEN", key)) !== 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      value = await scrape();
    }
    assertEquals(value, 25);
    assertEquals(Number(await admin.call("LLEN", listKeysOf(key, "fs-data-sink", consumer).processing)), 25);

    await admin.call("RPUSH", key, ...Array.from({ length: 5 }, (_, i) => JSON.stringify({ n: 25 + i })));
    const until = Date.now() + 30_000;
    while (value !== 30 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      value = await scrape();
    }
    assertEquals(value, 30);
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
    assertEquals([health.status, health.backlog], ["ok", 30]);
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    const log = await stderr;
    await cleanup(admin, [], [key], consumer);
    await admin.quit();
    assertEquals(status.code, 0, log);
  }
});
