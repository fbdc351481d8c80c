import assert, { deepEqual as assertEquals, throws } from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import "../config/test_plugins.ts";
import { loadConfig } from "../config/load.ts";
import { formatOrigin } from "../config/origin.ts";
import { parseCommandLine, parseSetFlag } from "./flags.ts";

const BASE_YAML = `source:
  type: test-src
  topics: [orders]
sink:
  type: test-sink
  bucket: lake
`;

async function tempConfig(text: string): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "fsds_flags_", suffix: ".yaml" });
  await Deno.writeTextFile(file, text);
  return file;
}

Deno.test("parseCommandLine() keeps only the flags given, in order, with run as the default command", () => {
  const line = parseCommandLine(["-c", "a.yaml", "--max-batches", "5", "--until-caught-up", "--sink-type=s3"]);
  assertEquals(line.command, "run");
  assertEquals(line.configFile, "a.yaml");
  assertEquals(line.flags, [
    { path: ["pipeline", "max_batches"], value: "5", text: true, flag: "--max-batches" },
    { path: ["pipeline", "until_caught_up"], value: true, text: false, flag: "--until-caught-up" },
    { path: ["sink", "type"], value: "s3", text: true, flag: "--sink-type" },
  ]);
  assertEquals(parseCommandLine(["validate"]).flags, []);
  assertEquals(parseCommandLine(["run", "--help"]).command, "help");
  assertEquals(parseCommandLine(["-V"]).command, "version");
});

Deno.test("parseSetFlag() reads brackets and quotes as YAML and other values as text for the schema", () => {
  assertEquals(parseSetFlag("source.topics=[a, b]"), {
    path: ["source", "topics"],
    value: ["a", "b"],
    text: false,
    flag: "--set source.topics",
  });
  assertEquals(parseSetFlag("pipeline.max_batches=10"), {
    path: ["pipeline", "max_batches"],
    value: "10",
    text: true,
    flag: "--set pipeline.max_batches",
  });
  assertEquals(parseSetFlag("sink.prefix=a=b").value, "a=b");
  assertEquals(parseSetFlag("source.path=-").value, "-");
  assertEquals(parseSetFlag('sink.prefix="007"').value, "007");
  assertEquals(parseSetFlag("source.extra_config={a: 1}").value, { a: 1 });
  throws(() => parseSetFlag("max_batches=3"), ConfigError);
  throws(() => parseSetFlag("pipeline.max_batches"), ConfigError);
  throws(() => parseSetFlag("source.topics=[a"), ConfigError);
});

function usageError(args: string[]): ConfigError {
  try {
    parseCommandLine(args);
  } catch (error) {
    assert(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: `no error for ${JSON.stringify(args)}` });
}

Deno.test("parseCommandLine() turns bad usage into a ConfigError with a hint", () => {
  const flag = usageError(["--max-batchs", "3"]);
  assertEquals(flag.message, 'Unknown flag "--max-batchs"');
  assert(flag.hint?.startsWith('did you mean "--max-batches"?'), flag.hint);
  const command = usageError(["valdate"]);
  assertEquals(command.message, 'Unknown command "valdate"');
  assert(command.hint?.includes('did you mean "validate"?'));
  assert(usageError(["--config"]).message.startsWith("Invalid command line:"));
  assertEquals(usageError(["run", "extra"]).message, 'Unexpected argument "extra"');
});

Deno.test("loadConfig() never lets a flag that was not typed override env or file", async () => {
  const file = await tempConfig(BASE_YAML + "pipeline:\n  until_caught_up: true\n  error_handling: raise\n");
  const line = parseCommandLine(["validate", "--config", file, "--log-level", "debug"]);
  assertEquals(line.flags.length, 1);
  const loaded = await loadConfig({ file: line.configFile, env: { MAX_BATCHES: "7" }, flags: line.flags });
  assertEquals(loaded.config.pipeline.until_caught_up, true);
  assertEquals(loaded.config.pipeline.error_handling, "raise");
  assertEquals(loaded.config.pipeline.max_batches, 7);
  assertEquals(loaded.config.telemetry.log_level, "DEBUG");
  assertEquals(formatOrigin(loaded.origins.get("telemetry.log_level")!), "flag --log-level");
});

Deno.test("loadConfig() applies --set values in command-line order, typed by the schema, after the named flags", async () => {
  const line = parseCommandLine([
    "--set",
    "source.topics=[x, y]",
    "--max-batches",
    "3",
    "--set",
    "pipeline.max_batches=9",
    "--set",
    "sink.partition_by=date,hour",
    "--set",
    "source.label=2024",
    "--set",
    "pipeline.flatten.hoist_key=null",
  ]);
  const loaded = await loadConfig({
    env: { SOURCE_TYPE: "test-src", SINK_TYPE: "test-sink", TEST_BUCKET: "b" },
    ...line,
  });
  assertEquals(loaded.config.source.topics, ["x", "y"]);
  assertEquals(loaded.config.pipeline.max_batches, 9);
  assertEquals(formatOrigin(loaded.origins.get("pipeline.max_batches")!), "flag --set pipeline.max_batches");
  assertEquals(loaded.config.sink.partition_by, ["date", "hour"]);
  assertEquals(loaded.config.source.label, "2024");
  assertEquals(loaded.config.pipeline.flatten.hoist_key, null);
});
