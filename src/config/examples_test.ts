import assert, { deepEqual as assertEquals } from "node:assert/strict";
import "../plugins.ts";
import { loadConfig } from "./load.ts";
import { renderConfig } from "./render.ts";
import { formatOrigin } from "./origin.ts";

const CONFIG_DIR = new URL("../../config/", import.meta.url).pathname;

Deno.test("config/example-kafka-to-s3.yaml validates with the kafka source and s3 sink", async () => {
  const file = `${CONFIG_DIR}example-kafka-to-s3.yaml`;
  const { config, origins } = await loadConfig({ file, env: { KAFKA_BROKER: "127.0.0.1:19092" } });
  assertEquals(config.source.type, "kafka");
  assertEquals(config.source.bootstrap_servers, ["127.0.0.1:19092"]);
  assertEquals(config.source.topics, ["orders", "payments"]);
  assertEquals(config.source.extra_config, { auto_offset_reset: "earliest" });
  assertEquals([config.sink.type, config.sink.bucket, config.sink.prefix], ["s3", "my-data-bucket", "raw-data"]);
  assertEquals(config.sink.partition_by, ["date", "hour"]);
  assertEquals([config.telemetry.log_format, config.pipeline.max_batches], ["json", null]);
  assertEquals(formatOrigin(origins.get("sink.bucket")!), `${file}:23`);
});

Deno.test("config/example-redis-to-hdfs.ini validates with the redis source and hdfs sink, older keys mapped", async () => {
  const file = `${CONFIG_DIR}example-redis-to-hdfs.ini`;
  const { config } = await loadConfig({ file, env: { REDIS_PASSWORD: "redis-pw-123" } });
  assertEquals([config.source.type, config.source.host, config.source.port, config.source.db], [
    "redis",
    "localhost",
    6379,
    0,
  ]);
  assertEquals(config.source.stream_keys, ["events", "clicks"]);
  assertEquals(config.source.list_keys, ["jobs"]);
  assertEquals(config.source.password, "redis-pw-123");
  assertEquals(config.source.batch_size, 10_000);
  assertEquals([config.sink.type, config.sink.base_path, config.sink.user], ["hdfs", "/data/raw", "hdfs"]);
  assertEquals(config.sink.partition_by, ["date"]);
  assertEquals(config.pipeline.batch_timeout_seconds, 60);
});

Deno.test("config/example-kafka-to-local.ini validates with the collector's variables", async () => {
  const file = `${CONFIG_DIR}example-kafka-to-local.ini`;
  const loaded = await loadConfig({
    file,
    env: { BOOTSTRAP_SERVERS: "127.0.0.1:19092", OUTPUT_DIR: "/tmp/collector-out", MAX_MESSAGES: "500" },
  });
  const { config } = loaded;
  assertEquals(config.source.bootstrap_servers, ["127.0.0.1:19092"]);
  assertEquals(config.source.topics, ["market_data", "trades", "quotes"]);
  assertEquals([config.source.value_format, config.source.batch_size], ["auto", 100_000]);
  assertEquals([config.sink.type, config.sink.path], ["local", "/tmp/collector-out"]);
  assertEquals(config.sink.path_template, "{year}/{month}/{day}/{topic}");
  assertEquals([config.pipeline.until_caught_up, config.pipeline.max_messages], [true, 500]);
  assertEquals(formatOrigin(loaded.origins.get("pipeline.max_messages")!), "env MAX_MESSAGES");
});

Deno.test("validate output of the redis example masks the password given in the environment", async () => {
  const loaded = await loadConfig({
    file: `${CONFIG_DIR}example-redis-to-hdfs.ini`,
    env: { REDIS_PASSWORD: "redis-pw-123" },
  });
  const text = renderConfig(loaded);
  assert(!text.includes("redis-pw-123"));
  assert(text.includes(`  password: "***"  # env REDIS_PASSWORD\n`), text);
});
