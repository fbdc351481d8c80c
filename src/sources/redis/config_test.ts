import assert, { deepEqual as assertEquals, throws } from "node:assert/strict";
import { ConfigError } from "../../core/errors.ts";
import { parseRedisConfig, parseRedisUrl, resolveConsumerName, resolveEndpoint } from "./config.ts";
import { buildRedisOptions } from "./client.ts";
import { Logger } from "../../telemetry/log.ts";

Deno.test("parseRedisConfig() fills the documented defaults", () => {
  const config = parseRedisConfig({ type: "redis", stream_keys: ["orders"] });
  assertEquals(config.consumer_group, "fs-data-sink");
  assertEquals(config.start_id, "0");
  assertEquals(config.continuous, true);
  assertEquals(config.claim_idle_ms, 300_000);
  assertEquals(config.list_keys, []);
  assertEquals(config.value_format, "json");
  assertEquals(config.batch_size, 1000);
  assertEquals(resolveEndpoint(config), {
    host: "localhost",
    port: 6379,
    db: 0,
    username: undefined,
    password: undefined,
    tls: undefined,
  });
});

Deno.test("parseRedisConfig() refuses unknown keys, no keys at all, a key named twice and bad ids", () => {
  const bad = [
    { type: "redis", stream_keys: ["a"], hots: "x" },
    { type: "redis" },
    { type: "redis", stream_keys: ["a"], list_keys: ["a"] },
    { type: "redis", stream_keys: ["a"], start_id: "yesterday" },
    { type: "redis", stream_keys: ["a"], consumer_name: "a+b" },
    { type: "redis", stream_keys: ["a"], url: "http://host" },
  ];
  for (const section of bad) throws(() => parseRedisConfig(section), ConfigError, JSON.stringify(section));
});

Deno.test("parseRedisUrl() reads user, password, host, port, db and the TLS scheme", () => {
  assertEquals(parseRedisUrl("rediss://app:p%40ss@cache.example:6380/3"), {
    host: "cache.example",
    port: 6380,
    db: 3,
    username: "app",
    password: "p@ss",
    tls: true,
  });
  assertEquals(parseRedisUrl("redis://:secret@[::1]"), {
    host: "::1",
    port: undefined,
    db: undefined,
    username: undefined,
    password: "secret",
    tls: false,
  });
  throws(() => parseRedisUrl("redis://h/x"), TypeError);
});

Deno.test("resolveEndpoint() lets explicit keys win over the url, and rediss:// turns TLS on", () => {
  const config = parseRedisConfig({
    type: "redis",
    list_keys: ["q"],
    url: "rediss://u:p@h1:7000/2",
    port: 7001,
    password: "explicit",
  });
  const endpoint = resolveEndpoint(config);
  assertEquals([endpoint.host, endpoint.port, endpoint.db, endpoint.username, endpoint.password], [
    "h1",
    7001,
    2,
    "u",
    "explicit",
  ]);
  assertEquals(endpoint.tls?.reject_unauthorized, true);
  const off = parseRedisConfig({ type: "redis", list_keys: ["q"], url: "rediss://h1", tls: { enabled: false } });
  assertEquals(resolveEndpoint(off).tls, undefined);
});

Deno.test("resolveConsumerName() is stable for one host and instance, and honours consumer_name", () => {
  const config = parseRedisConfig({ type: "redis", stream_keys: ["s"], instance_id: "2" });
  assertEquals(resolveConsumerName(config, "worker 7.local"), "worker_7.local-2");
  assertEquals(resolveConsumerName(config, "worker 7.local"), resolveConsumerName(config, "worker 7.local"));
  const named = parseRedisConfig({ type: "redis", stream_keys: ["s"], consumer_name: "etl-1" });
  assertEquals(resolveConsumerName(named, "any"), "etl-1");
});

Deno.test("buildRedisOptions() passes credentials and TLS settings to the client", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    const config = parseRedisConfig({
      type: "redis",
      stream_keys: ["s"],
      host: "h",
      username: "u",
      password: "p",
      tls: { ca_file: `${dir}/ca.pem`, reject_unauthorized: false },
    });
    const options = await buildRedisOptions({
      endpoint: resolveEndpoint(config),
      connectionName: "n",
      log: new Logger("test"),
    });
    assertEquals([options.host, options.port, options.username, options.password], ["h", 6379, "u", "p"]);
    assertEquals(options.tls?.servername, "h");
    assertEquals(options.tls?.rejectUnauthorized, false);
    assert(String(options.tls?.ca).includes("BEGIN CERTIFICATE"));
    assertEquals(typeof options.retryStrategy, "function");
    const missing = parseRedisConfig({ type: "redis", stream_keys: ["s"], tls: { ca_file: `${dir}/none.pem` } });
    await assert.rejects(
      buildRedisOptions({ endpoint: resolveEndpoint(missing), connectionName: "n", log: new Logger("test") }),
      /Cannot read the TLS CA/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
