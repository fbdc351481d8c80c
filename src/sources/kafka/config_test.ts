import assert from "node:assert/strict";
import {
  configSchema as kafkaSourceSchema,
  mapExtraConfig,
  metadataColumnList,
  parseStartFrom,
  resolveKafkaOptions,
} from "./config.ts";

const base = { type: "kafka", bootstrap_servers: ["127.0.0.1:9092"], topics: ["orders"] };

function issues(input: unknown): string[] {
  const result = kafkaSourceSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

Deno.test("kafka schema accepts the seed's example and fills defaults", () => {
  const config = kafkaSourceSchema.parse({
    ...base,
    bootstrap_servers: ["broker1:9092", "broker2:9092"],
    topics: ["topic1", "topic2"],
    group_id: "my-consumer-group",
    value_format: "json",
    batch_size: 1000,
    extra_config: { auto_offset_reset: "earliest", enable_auto_commit: true },
  });
  assert.deepEqual(config.bootstrap_servers, ["broker1:9092", "broker2:9092"]);
  assert.equal(config.group_id, "my-consumer-group");
  assert.equal(config.tombstones, "skip");
  assert.equal(config.concurrency, 4);
  const options = resolveKafkaOptions(config);
  assert.deepEqual(options.startFrom, { kind: "earliest" });
  assert.deepEqual(options.ignored.map((entry) => entry.key), ["enable_auto_commit"]);
});

Deno.test("kafka schema splits comma-separated brokers and topics and defaults the group to fs-data-sink", () => {
  const config = kafkaSourceSchema.parse({ type: "kafka", bootstrap_servers: "a:1, b:2", topics: "x,y" });
  assert.deepEqual(config.bootstrap_servers, ["a:1", "b:2"]);
  assert.deepEqual(config.topics, ["x", "y"]);
  assert.equal(config.group_id, "fs-data-sink");
});

Deno.test("kafka schema requires exactly one topic selection", () => {
  assert.match(
    issues({ type: "kafka", bootstrap_servers: "a:1" }).join("\n"),
    /set topics, topic_pattern or all_topics/,
  );
  assert.match(issues({ ...base, all_topics: true }).join("\n"), /exclude each other/);
  assert.deepEqual(issues({ type: "kafka", bootstrap_servers: "a:1", all_topics: true, exclude: ["tmp-.*"] }), []);
});

Deno.test("kafka schema rejects unknown keys, unknown extra_config keys and bad regexes with clear messages", () => {
  assert.match(issues({ ...base, topic: "x" }).join("\n"), /topic/);
  const extra = issues({ ...base, extra_config: { "fetch.wait.forever": 1 } }).join("\n");
  assert.match(
    extra,
    /Unknown extra_config key "fetch.wait.forever": the Kafka source understands .*auto_offset_reset/,
  );
  assert.match(issues({ ...base, topics: undefined, topic_pattern: "(" }).join("\n"), /Invalid topic_pattern "\("/);
  assert.match(issues({ ...base, extra_config: { session_timeout_ms: "soon" } }).join("\n"), /positive integer/);
  assert.match(issues({ ...base, start_from: "yesterday" }).join("\n"), /Cannot parse start_from "yesterday"/);
});

Deno.test("mapExtraConfig() maps dotted Kafka names to the source's settings", () => {
  const { settings, errors } = mapExtraConfig({
    "auto.offset.reset": "latest",
    "session.timeout.ms": 45000,
    max_bytes: "1048576",
    "max.partition.fetch.bytes": 2097152,
    "isolation.level": "read_uncommitted",
    "request.timeout.ms": 5000,
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.plain.username": "u",
    "sasl.plain.password": "p",
  });
  assert.deepEqual(errors, []);
  assert.equal(settings.startFrom, "latest");
  assert.deepEqual(settings.consumer, {
    sessionTimeout: 45000,
    maxBytes: 1048576,
    maxBytesPerPartition: 2097152,
    readUncommitted: true,
  });
  assert.deepEqual(settings.client, { requestTimeout: 5000 });
  assert.deepEqual(settings.sasl, { mechanism: "scram-sha-512", username: "u", password: "p" });
  assert.equal(settings.tls.enabled, true);
});

Deno.test("resolveKafkaOptions() lets explicit keys win over extra_config", () => {
  const config = kafkaSourceSchema.parse({
    ...base,
    start_from: "2025-01-31T00:00:00Z",
    sasl: { mechanism: "scram-sha-256", username: "alice", password: "secret" },
    tls: { ca_file: "/ca.pem", reject_unauthorized: false },
    extra_config: { auto_offset_reset: "latest", sasl_plain_username: "bob", max_poll_records: 10 },
  });
  const options = resolveKafkaOptions(config);
  assert.deepEqual(options.startFrom, { kind: "timestamp", ms: Date.parse("2025-01-31T00:00:00Z") });
  assert.deepEqual(options.sasl, { mechanism: "scram-sha-256", username: "alice", password: "secret" });
  assert.equal(options.tls?.caFile, "/ca.pem");
  assert.equal(options.tls?.rejectUnauthorized, false);
  assert.equal(options.bufferMaxMessages, 10);
});

Deno.test("parseStartFrom() reads earliest, latest, ISO times and epoch milliseconds", () => {
  assert.deepEqual(parseStartFrom(undefined), { kind: "earliest" });
  assert.deepEqual(parseStartFrom("LATEST"), { kind: "latest" });
  assert.deepEqual(parseStartFrom(1700000000000), { kind: "timestamp", ms: 1700000000000 });
  assert.deepEqual(parseStartFrom("1700000000000"), { kind: "timestamp", ms: 1700000000000 });
  assert.deepEqual(parseStartFrom("2024-01-01T00:00:00Z"), { kind: "timestamp", ms: 1704067200000 });
  assert.throws(() => parseStartFrom("soon"), SyntaxError);
});

Deno.test("metadataColumnList() renames, drops and adds the headers column", () => {
  const defaults = kafkaSourceSchema.parse(base).metadata_columns;
  assert.deepEqual(metadataColumnList(defaults).map((c) => `${c.name}:${c.type}`), [
    "kafka_topic:utf8",
    "kafka_partition:int32",
    "kafka_offset:int64",
    "kafka_timestamp:timestamp_ms",
    "kafka_key:utf8",
  ]);
  const custom = kafkaSourceSchema.parse({ ...base, metadata_columns: { key: false, offset: "off", headers: true } });
  assert.deepEqual(metadataColumnList(custom.metadata_columns).map((c) => c.name), [
    "kafka_topic",
    "kafka_partition",
    "off",
    "kafka_timestamp",
    "kafka_headers",
  ]);
  assert.deepEqual(
    metadataColumnList(kafkaSourceSchema.parse({ ...base, metadata_columns: false }).metadata_columns),
    [],
  );
  assert.match(issues({ ...base, metadata_columns: { key: "kafka_topic" } }).join("\n"), /Duplicate metadata column/);
});
