import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import "./test_plugins.ts";
import { type FlagValue, loadConfig } from "./load.ts";
import { formatOrigin } from "./origin.ts";

const BASE_YAML = `source:
  type: test-src
  topics: [orders]
sink:
  type: test-sink
  bucket: lake
`;

const TEMP_ROOT = Deno.makeTempDirSync({ prefix: "fsds_cfg_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TEMP_ROOT, { recursive: true }));
let fileCount = 0;

async function tempConfig(text: string, ext = ".yaml"): Promise<string> {
  const file = `${TEMP_ROOT}/config${++fileCount}${ext}`;
  await Deno.writeTextFile(file, text);
  return file;
}

function flag(path: string, value: string): FlagValue {
  return { path: path.split("."), value, text: true, flag: `--${path.split(".")[1]!.replaceAll("_", "-")}` };
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: "expected a ConfigError, nothing was thrown" });
}

function assertStringIncludes(actual: string, expected: string): void {
  assert(actual.includes(expected), `expected to find:\n${expected}\nin:\n${actual}`);
}

Deno.test("loadConfig() takes a flag over env over file over default for source.batch_size", async () => {
  const file = await tempConfig(BASE_YAML + "pipeline:\n  max_batches: 3\n" + "\n".repeat(0));
  const withFile = await tempConfig(BASE_YAML.replace("topics: [orders]", "topics: [orders]\n  batch_size: 10"));
  const env = { BATCH_SIZE: "20" };

  const fromDefault = await loadConfig({ file, env: {} });
  assertEquals(fromDefault.config.source.batch_size, 1000);
  assertEquals(fromDefault.origins.get("source.batch_size"), { kind: "default" });

  const fromFile = await loadConfig({ file: withFile, env: {} });
  assertEquals(fromFile.config.source.batch_size, 10);
  assertEquals(formatOrigin(fromFile.origins.get("source.batch_size")!), `${withFile}:4`);

  const fromEnv = await loadConfig({ file: withFile, env });
  assertEquals(fromEnv.config.source.batch_size, 20);
  assertEquals(formatOrigin(fromEnv.origins.get("source.batch_size")!), "env BATCH_SIZE");

  const fromFlag = await loadConfig({ file: withFile, env, flags: [flag("source.batch_size", "30")] });
  assertEquals(fromFlag.config.source.batch_size, 30);
  assertEquals(formatOrigin(fromFlag.origins.get("source.batch_size")!), "flag --batch-size");
  assertEquals(fromFlag.config.pipeline.max_batches, null);
});

Deno.test("loadConfig() applies plugin env bindings of the selected type and the global table", async () => {
  const loaded = await loadConfig({
    env: {
      SOURCE_TYPE: "test-src",
      SINK_TYPE: "test-sink",
      TEST_TOPICS: "a, b,c",
      TEST_POLL_MS: "250",
      TEST_BUCKET: "env-bucket",
      PARQUET_COMPRESSION: "zstd",
      COMPRESSION_LEVEL: "9",
      ROW_GROUP_SIZE: "5000",
      MAX_MESSAGES: "100",
      ERROR_HANDLING: "dead_letter",
      LOG_FORMAT: "json",
      OTEL_ENABLED: "true",
      OTEL_SERVICE_NAME: "svc",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      MAX_BATCHES: "",
    },
  });
  const { source, sink, pipeline, telemetry } = loaded.config;
  assertEquals(source.type, "test-src");
  assertEquals(source.topics, ["a", "b", "c"]);
  assertEquals(source.poll_ms, 250);
  assertEquals(sink.bucket, "env-bucket");
  assertEquals([sink.compression, sink.compression_level, sink.row_group_size], ["zstd", 9, 5000]);
  assertEquals([pipeline.max_messages, pipeline.error_handling, pipeline.max_batches], [100, "dead_letter", null]);
  assertEquals([telemetry.log_format, telemetry.enabled, telemetry.service_name], ["json", true, "svc"]);
  assertEquals(telemetry.otlp_endpoint, "http://127.0.0.1:4318");
  assertEquals(formatOrigin(loaded.origins.get("source.topics")!), "env TEST_TOPICS");
});

Deno.test("loadConfig() maps OUTPUT_DIR to sink.path only for the local sink and warns about obsolete variables", async () => {
  const local = await loadConfig({
    env: { SOURCE_TYPE: "test-src", TEST_TOPICS: "t", SINK_TYPE: "local", OUTPUT_DIR: "/data/out", MAX_WORKERS: "4" },
  });
  assertEquals(local.config.sink.path, "/data/out");
  assertEquals(formatOrigin(local.origins.get("sink.path")!), "env OUTPUT_DIR");
  assertEquals(local.warnings.length, 1);
  assertStringIncludes(local.warnings[0]!, "MAX_WORKERS is no longer needed");

  const other = await loadConfig({
    env: {
      SOURCE_TYPE: "test-src",
      TEST_TOPICS: "t",
      SINK_TYPE: "test-sink",
      TEST_BUCKET: "b",
      OUTPUT_DIR: "/data/out",
      SKIP_EXISTING_CHECK: "true",
    },
  });
  assertEquals(other.config.sink.path, undefined);
  assert(other.warnings.some((w) => w.startsWith("OUTPUT_DIR is ignored")));
  assert(other.warnings.some((w) => w.startsWith("SKIP_EXISTING_CHECK is no longer needed")));
});

Deno.test("loadConfig() expands ${VAR} and ${VAR:-default} and coerces the result by the schema", async () => {
  const file = await tempConfig(`source:
  type: test-src
  topics: ["\${TOPIC}", fixed]
  poll_ms: \${POLL}
  enabled: \${ENABLED:-false}
  label: "\${LABEL:-fallback} and $\${literal}"
sink:
  type: test-sink
  bucket: \${BUCKET}
`);
  const loaded = await loadConfig({ file, env: { TOPIC: "orders", POLL: "75", BUCKET: "lake", ENABLED: "" } });
  assertEquals(loaded.config.source.topics, ["orders", "fixed"]);
  assertEquals(loaded.config.source.poll_ms, 75);
  assertEquals(loaded.config.source.enabled, false);
  assertEquals(loaded.config.source.label, "fallback and ${literal}");
  assertEquals(loaded.config.sink.bucket, "lake");
});

Deno.test("loadConfig() reports an unset ${VAR} without default with its file:line and name", async () => {
  const file = await tempConfig(
    BASE_YAML.replace("bucket: lake", "bucket: ${BUCKET_VAR}") +
      "  access_key: ${NO_SUCH_VAR}\n  prefix: ${ALSO_MISSING}\n",
  );
  const error = await configError(loadConfig({ file, env: {} }));
  assert(error.message.startsWith("Invalid configuration (3 problems)"), error.message);
  assertStringIncludes(error.message, `sink.bucket: environment variable "BUCKET_VAR" is not set (from ${file}:6)`);
  assertStringIncludes(
    error.message,
    `sink.access_key: environment variable "NO_SUCH_VAR" is not set (from ${file}:7)`,
  );
  assertStringIncludes(error.message, `environment variable "ALSO_MISSING" is not set (from ${file}:8)`);
});

Deno.test("loadConfig() coerces INI text by the type the schema expects", async () => {
  const file = await tempConfig(
    `; existing installation
[source]
type = test-src
topics = orders,payments
poll_ms = 250
enabled = false
ratio = null
label = true
brokers[] = b1:9092
brokers[] = b2:9092

[source.extra_config]
auto.offset.reset = earliest

[sink]
type = test-sink
bucket = \${BUCKET:-lake}
partition_by = date,hour
row_group_size = 5000

[pipeline]
max_batches = 5
flush_interval_seconds = 2.5
`,
    ".ini",
  );
  const loaded = await loadConfig({ file, env: {} });
  const { source, sink, pipeline } = loaded.config;
  assertEquals(source.topics, ["orders", "payments"]);
  assertEquals([source.poll_ms, source.enabled, source.ratio, source.label], [250, false, null, "true"]);
  assertEquals(source.brokers, ["b1:9092", "b2:9092"]);
  assertEquals(source.extra_config, { "auto.offset.reset": "earliest" });
  assertEquals([sink.bucket, sink.partition_by, sink.row_group_size], ["lake", ["date", "hour"], 5000]);
  assertEquals([pipeline.max_batches, pipeline.batch_timeout_seconds], [5, 2.5]);
  assertEquals(formatOrigin(loaded.origins.get("source.poll_ms")!), `${file}:5`);
  assertEquals(formatOrigin(loaded.origins.get("sink.partition_by")!), `${file}:18`);
  assertEquals(formatOrigin(loaded.origins.get("pipeline.batch_timeout_seconds")!), `${file}:23`);
});

Deno.test("loadConfig() reads a file without a known extension as INI when it starts with a section", async () => {
  const file = await tempConfig(
    "# legacy\n[source]\ntype = test-src\ntopics = t\n[sink]\ntype = test-sink\nbucket = b\n",
    "",
  );
  const loaded = await loadConfig({ file, env: {} });
  assertEquals(loaded.config.source.topics, ["t"]);
});

Deno.test("loadConfig() maps flush_interval_batches onto records per file and flush_interval_seconds onto batch_timeout", async () => {
  const file = await tempConfig(
    BASE_YAML.replace("[orders]", "[orders]\n  batch_size: 500") +
      "pipeline:\n  flush_interval_seconds: 12\n  flush_interval_batches: 4\n",
  );
  const loaded = await loadConfig({ file, env: {} });
  assertEquals(loaded.config.source.batch_size, 2000);
  assertEquals(loaded.config.pipeline.batch_timeout_seconds, 12);
  assertEquals(loaded.config.pipeline.flush_interval_batches, undefined);
  assertEquals(loaded.config.pipeline.flush_interval_seconds, undefined);
  assertEquals(formatOrigin(loaded.origins.get("source.batch_size")!), `${file}:10`);

  const both = await loadConfig({ file, env: {}, flags: [flag("pipeline.batch_timeout_seconds", "5")] });
  assertEquals(both.config.pipeline.batch_timeout_seconds, 5);
  assert(both.warnings.some((w) => w.includes("flush_interval_seconds") && w.includes("is ignored")));
});

Deno.test("loadConfig() reports every problem at once, each naming path, value and origin", async () => {
  const file = await tempConfig(`source:
  type: test-src
  topcs: [orders]
  poll_ms: soon
sink:
  type: test-sink
  compression: snapy
telemetry:
  log_level: LOUD
pipeline:
  error_handling: explode
sources:
  x: 1
`);
  const error = await configError(loadConfig({ file, env: { BATCH_SIZE: "many" } }));
  const lines = error.message.split("\n").slice(1);
  const expected = [
    `sources: unknown section (from ${file}:12); did you mean "source"?`,
    `source.batch_size: expected number, got "many" (from env BATCH_SIZE)`,
    `source.topics: required value is missing (expected array); set topics in the [source] section`,
    `source.poll_ms: expected number, got "soon" (from ${file}:4)`,
    `source.topcs: unknown key (value ["orders"], from ${file}:3); did you mean "topics"?`,
    `sink.bucket: required value is missing (expected string); set bucket in the [sink] section of the config file, or TEST_BUCKET in the environment`,
    `sink.compression: expected one of snappy, gzip, brotli, zstd, lz4, none; got "snapy" (from ${file}:7); did you mean "snappy"?`,
    `pipeline.error_handling: expected one of log, raise, ignore, dead_letter; got "explode" (from ${file}:11)`,
    `telemetry.log_level: unknown level "LOUD" (from ${file}:9); expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL`,
  ];
  for (const text of expected) assert(lines.some((l) => l.includes(text)), `missing line: ${text}\n${error.message}`);
  assert(error.message.startsWith("Invalid configuration (9 problems):"), error.message);
  assert(error.hint?.includes("validate"));
});

Deno.test("loadConfig() names unknown and missing plugin types with the valid ones", async () => {
  const unknown = await configError(
    loadConfig({ env: { SOURCE_TYPE: "test-sr" }, flags: [flag("sink.type", "s4")] }),
  );
  assertStringIncludes(
    unknown.message,
    `source.type: unknown source type "test-sr" (from env SOURCE_TYPE); did you mean "test-src"? valid source types: test-src`,
  );
  assertStringIncludes(unknown.message, `sink.type: unknown sink type "s4" (from flag --type)`);
  assertStringIncludes(unknown.message, "valid sink types: local, test-sink");
  const missing = await configError(loadConfig({ env: { SINK_TYPE: "test-sink", TEST_BUCKET: "b" } }));
  assertStringIncludes(missing.message, "source.type: required value is missing; set source.type in the config file");
  assertStringIncludes(missing.message, "Invalid configuration (1 problem)");
});

Deno.test("loadConfig() never shows secret values in errors", async () => {
  const file = await tempConfig(BASE_YAML.replace(
    "[orders]",
    `[orders]
  api_key: 123456789
  api_kye: hunter2-typo
  sasl:
    mechanism: plain
    username: u
    password: 42424242
  brokers: ["http://user:pa55word@host:9092"]
  enabled: [hunter3]`,
  ));
  const error = await configError(loadConfig({ file, env: {} }));
  for (const secret of ["123456789", "hunter2", "42424242", "pa55word"]) {
    assert(!error.message.includes(secret), `secret ${secret} leaked:\n${error.message}`);
  }
  assertStringIncludes(error.message, `source.api_key: expected string, got "***" (from ${file}:4)`);
  assertStringIncludes(
    error.message,
    `source.api_kye: unknown key (value "***", from ${file}:5); did you mean "api_key"?`,
  );
  assertStringIncludes(error.message, `source.sasl.password: expected string, got "***" (from ${file}:9)`);
  assertStringIncludes(error.message, `source.enabled: expected boolean, got ["hunter3"]`);
});

Deno.test("loadConfig() rejects a bad file: missing, YAML syntax, not a mapping, empty section value", async () => {
  const missing = await configError(loadConfig({ file: "/nonexistent/fsds.yaml", env: {} }));
  assertStringIncludes(missing.message, `Cannot read config file "/nonexistent/fsds.yaml": no such file`);
  const syntax = await configError(loadConfig({ file: await tempConfig("source:\n  type: [a\n"), env: {} }));
  assertStringIncludes(syntax.message, "Cannot parse config file");
  const list = await configError(loadConfig({ file: await tempConfig("- a\n- b\n"), env: {} }));
  assertStringIncludes(list.message, "the top level must be a mapping of sections");
  const scalar = await configError(loadConfig({ file: await tempConfig(BASE_YAML + "pipeline: fast\n"), env: {} }));
  assertStringIncludes(scalar.message, `pipeline: expected a mapping of keys, got "fast"`);
});

Deno.test("loadConfig() normalizes log level aliases and rejects unknown levels", async () => {
  const file = await tempConfig(BASE_YAML);
  const warn = await loadConfig({ file, env: { LOG_LEVEL: "warn" } });
  assertEquals(warn.config.telemetry.log_level, "WARNING");
  const bad = await configError(loadConfig({ file, env: { LOG_LEVEL: "chatty" } }));
  assertStringIncludes(bad.message, `telemetry.log_level: unknown level "chatty" (from env LOG_LEVEL)`);
});

Deno.test("loadConfig() names an unknown INI section at its header line", async () => {
  const file = await tempConfig(
    "[source]\ntype = test-src\ntopics = t\n\n[sinks]\ntype = test-sink\nbucket = b\n",
    ".ini",
  );
  const error = await configError(loadConfig({ file, env: {} }));
  assertStringIncludes(error.message, `sinks: unknown section (from ${file}:5); did you mean "sink"?`);
  assertStringIncludes(error.message, "sink.type: required value is missing");
});

Deno.test("loadConfig() reports a rule about a whole section without printing the section's secrets", async () => {
  const file = await tempConfig(BASE_YAML.replace(
    "[orders]",
    `[orders]
  label: forbidden
  api_key: very-secret-key
  sasl: { mechanism: plain, username: u, password: pw-999999 }`,
  ));
  const error = await configError(loadConfig({ file, env: {} }));
  assertStringIncludes(error.message, `  - source: label "forbidden" is reserved (from ${file}:2)`);
  assert(!error.message.includes("very-secret-key") && !error.message.includes("pw-999999"), error.message);
});

Deno.test("loadConfig() follows YAML anchors and merge keys, the map's own keys winning", async () => {
  const file = await tempConfig(`source:
  type: test-src
  topics: &topics [a, b]
  brokers: *topics
sink:
  <<: &common
    type: test-sink
    bucket: shared
    compression: zstd
  bucket: own
`);
  const { config, origins } = await loadConfig({ file, env: {} });
  assertEquals(config.source.brokers, ["a", "b"]);
  assertEquals([config.sink.bucket, config.sink.compression], ["own", "zstd"]);
  assertEquals(formatOrigin(origins.get("sink.bucket")!), `${file}:10`);
});

Deno.test("loadConfig() reads configparser-style `key: value` INI lines, keeping URLs after `=` whole", async () => {
  const file = await tempConfig(
    "[source]\ntype: test-src\ntopics: a,b\nbrokers = http://h:9092,h2:9092\n[sink]\ntype = test-sink\nbucket: b\n",
    ".cfg",
  );
  const { config, origins } = await loadConfig({ file, env: {} });
  assertEquals(config.source.topics, ["a", "b"]);
  assertEquals(config.source.brokers, ["http://h:9092", "h2:9092"]);
  assertEquals(config.sink.bucket, "b");
  assertEquals(formatOrigin(origins.get("sink.bucket")!), `${file}:7`);
});

Deno.test("an empty section written as {} is the same as leaving it out", async () => {
  const file = await tempConfig(BASE_YAML + "pipeline: {}\n");
  const { config } = await loadConfig({ file, env: {} });
  assertEquals(config.pipeline.error_handling, "log");
});

Deno.test("sink.compression_level is range-checked per codec and named with its origin", async () => {
  const file = await tempConfig(
    BASE_YAML.replace("  bucket: lake\n", "  bucket: lake\n  compression: zstd\n  compression_level: 40\n"),
  );
  const error = await configError(loadConfig({ file, env: {} }));
  assertStringIncludes(error.message, 'sink.compression_level: cannot use compression level 40 with "zstd"');
  assertStringIncludes(error.message, ":8)");
  const ok = await tempConfig(
    BASE_YAML.replace("  bucket: lake\n", "  bucket: lake\n  compression: zstd\n  compression_level: 9\n"),
  );
  const { warnings } = await loadConfig({ file: ok, env: {} });
  assert.ok(warnings.some((w) => w.includes("compression_level 9 is checked but not applied")));
});

Deno.test("loadConfig() reports an unknown log level together with another telemetry problem", async () => {
  const file = await tempConfig(BASE_YAML + "telemetry:\n  log_level: VERBOSE\n  prometheus_port: 99999\n");
  const error = await configError(loadConfig({ file, env: {} }));
  assertStringIncludes(error.message, `telemetry.log_level: unknown level "VERBOSE" (from ${file}:8)`);
  assertStringIncludes(error.message, `telemetry.prometheus_port: must be at most 65535; got 99999 (from ${file}:9)`);
  assert(!error.message.includes("Too big"), error.message);
});

Deno.test("loadConfig() --set key=null unsets a file value of a key that takes no null; a nullable key gets null", async () => {
  const file = await tempConfig(BASE_YAML + "telemetry:\n  prometheus_port: 9100\n");
  const setNull = (path: string): FlagValue => ({
    path: path.split("."),
    value: "null",
    text: true,
    flag: "--set " + path,
  });
  const loaded = await loadConfig({
    file,
    env: {},
    flags: [setNull("telemetry.prometheus_port"), setNull("pipeline.flatten.hoist_key")],
  });
  assertEquals(loaded.config.telemetry.prometheus_port, undefined);
  assertEquals(loaded.config.pipeline.flatten.hoist_key, null);
  const without = await loadConfig({ file, env: {} });
  assertEquals(without.config.telemetry.prometheus_port, 9100);
});

Deno.test("loadConfig() names the over-indented line, not the key above it whose value the parser blames", async () => {
  const file = await tempConfig("source:\n  type: test-src\n    topics: [orders]\nsink:\n  type: test-sink\n");
  const error = await configError(loadConfig({ file, env: {} }));
  assertStringIncludes(error.message, `line 3 ("topics: [orders]") is indented deeper than "type" on line 2`);
});

Deno.test("loadConfig() sets sink.table_format and sink.table from SINK_TABLE_FORMAT and SINK_TABLE", async () => {
  const loaded = await loadConfig({
    env: {
      SOURCE_TYPE: "test-src",
      TEST_TOPICS: "t",
      SINK_TYPE: "local",
      OUTPUT_DIR: "/data/out",
      SINK_TABLE_FORMAT: "iceberg",
      SINK_TABLE: "events",
    },
  });
  assertEquals([loaded.config.sink.table_format, loaded.config.sink.table], ["iceberg", "events"]);
  assertEquals(formatOrigin(loaded.origins.get("sink.table_format")!), "env SINK_TABLE_FORMAT");
});
