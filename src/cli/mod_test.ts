import assert, { deepEqual as assertEquals, rejects } from "node:assert/strict";
import "../config/test_plugins.ts";
import type { AppConfig } from "../config/app_config.ts";
import { ConfigError } from "../core/errors.ts";
import type { RunSummary } from "../pipeline/pipeline.ts";
import type { RunOptions } from "../pipeline/run.ts";
import { configureLogging } from "../telemetry/log.ts";
import { FLAGS } from "./flags.ts";
import { type CliOptions, runCli } from "./mod.ts";
import { SIGNAL_BURST_MS } from "./run.ts";
import { VERSION } from "./version.ts";

const ENV = { SOURCE_TYPE: "test-src", TEST_TOPICS: "orders", SINK_TYPE: "test-sink", TEST_BUCKET: "lake" };
const SUMMARY: RunSummary = {
  messagesRead: 10,
  recordsWritten: 9,
  filesWritten: 2,
  bytesWritten: 1234,
  recordsFailed: 0,
  recordsDeadLettered: 0,
  files: ["a.parquet", "b.parquet"],
};

function capture(): { out: string[]; err: string[]; logs: string[]; options: CliOptions } {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  configureLogging({ writer: (line) => logs.push(line) });
  return { out, err, logs, options: { env: ENV, stdout: (t) => out.push(t), stderr: (t) => err.push(t) } };
}

Deno.test("runCli() run passes the merged config to the pipeline and logs the summary as JSON", async () => {
  const io = capture();
  let seen: AppConfig | undefined;
  const code = await runCli(["--max-batches", "4", "--log-format", "json", "--batch-size", "50"], {
    ...io.options,
    signals: () => () => {},
    runPipeline: (config) => {
      seen = config;
      return Promise.resolve(SUMMARY);
    },
  });
  assertEquals(code, 0);
  assertEquals([seen?.pipeline.max_batches, seen?.source.batch_size, seen?.sink.type], [4, 50, "test-sink"]);
  const finished = io.logs.map((l) => JSON.parse(l)).find((l) => l.message === "Pipeline finished");
  assertEquals(finished?.records_written, 9);
  assertEquals(finished?.files_written, 2);
  assertEquals(finished?.name, "fs_data_sink.cli");
  assertEquals(finished?.level, "INFO");
});

Deno.test("runCli() run aborts the pipeline on the first signal and exits with 130 on the second", async () => {
  const io = capture();
  let listener: ((signal: string) => void) | undefined;
  let unsubscribed = false;
  const exits: number[] = [];
  const code = await runCli(["--log-format", "json"], {
    ...io.options,
    signals: (l) => {
      listener = l;
      return () => unsubscribed = true;
    },
    exit: (c) => exits.push(c),
    runPipeline: (_config, options: RunOptions) =>
      new Promise((resolve) => {
        options.signal.addEventListener("abort", () => {
          listener?.("SIGTERM");
          resolve({ ...SUMMARY, recordsWritten: 3 });
        });
        listener?.("SIGINT");
      }),
  });
  assertEquals(code, 0);
  assertEquals(exits, [130]);
  assert(unsubscribed);
  const finished = io.logs.map((l) => JSON.parse(l)).find((l) => l.message === "Pipeline finished");
  assertEquals([finished?.records_written, finished?.stopped_by_signal], [3, true]);
});

Deno.test("runCli() run counts copies of one signal arriving together once; the same signal later exits with 130", async () => {
  const io = capture();
  let listener: ((signal: string) => void) | undefined;
  const exits: number[] = [];
  const code = await runCli(["--log-format", "json"], {
    ...io.options,
    signals: (l) => {
      listener = l;
      return () => {};
    },
    exit: (c) => exits.push(c),
    runPipeline: (_config, options: RunOptions) =>
      new Promise((resolve) => {
        options.signal.addEventListener("abort", async () => {
          listener?.("SIGINT"); // the copy forwarded by `deno task`, a millisecond later
          const afterBurst = exits.length;
          await new Promise((r) => setTimeout(r, SIGNAL_BURST_MS + 50));
          listener?.("SIGINT"); // a person pressing Ctrl-C again
          resolve({ ...SUMMARY, recordsWritten: afterBurst });
        });
        listener?.("SIGINT");
      }),
  });
  assertEquals(code, 0);
  const finished = io.logs.map((l) => JSON.parse(l)).find((l) => l.message === "Pipeline finished");
  assertEquals(finished?.records_written, 0, "no exit after the burst");
  assertEquals(exits, [130]);
});

Deno.test("runCli() run lets a pipeline failure through and a bad config fails before the pipeline starts", async () => {
  const io = capture();
  let started = false;
  await rejects(
    runCli([], { ...io.options, signals: () => () => {}, runPipeline: () => Promise.reject(new Error("disk full")) }),
    { message: "disk full" },
  );
  await rejects(
    runCli(["--batch-size=-3"], {
      ...io.options,
      signals: () => () => {},
      runPipeline: () => {
        started = true;
        return Promise.resolve(SUMMARY);
      },
    }),
    (error: unknown) => error instanceof ConfigError && error.message.includes("source.batch_size"),
  );
  assertEquals(started, false);
});

Deno.test("runCli() validate prints the YAML and warnings; --help lists every flag, type and variable", async () => {
  const io = capture();
  assertEquals(
    await runCli(["validate", "--set", "pipeline.max_messages=5"], {
      ...io.options,
      env: { ...ENV, MAX_WORKERS: "2" },
    }),
    0,
  );
  const yaml = io.out.join("");
  assert(yaml.includes("  max_messages: 5  # flag --set pipeline.max_messages\n"), yaml);
  assert(yaml.includes("  topics: [ orders ]  # env TEST_TOPICS\n"), yaml);
  assert(io.err.join("").startsWith("warning: MAX_WORKERS is no longer needed"));

  io.out.length = 0;
  assertEquals(await runCli(["--help"], io.options), 0);
  const help = io.out.join("");
  for (const flag of FLAGS) assert(help.includes(`--${flag.name}`), `--${flag.name} missing from help`);
  for (const name of ["-c, --config", "test-src", "Test source for configuration tests", "test-sink", "TEST_TOPICS"]) {
    assert(help.includes(name), `${name} missing from help`);
  }
  for (
    const env of ["SOURCE_TYPE", "MAX_MESSAGES", "PARQUET_COMPRESSION", "OUTPUT_DIR", "OTEL_EXPORTER_OTLP_ENDPOINT"]
  ) {
    assert(help.includes(env), `${env} missing from help`);
  }
  for (const command of ["run", "validate"]) assert(help.includes(`  ${command} `));

  io.out.length = 0;
  assertEquals(await runCli(["--version"], io.options), 0);
  assertEquals(io.out.join(""), `fs-data-sink ${VERSION}\n`);
});

Deno.test("runCli() with no --config, no flags and no SOURCE_TYPE/SINK_TYPE says so and shows the usage line", async () => {
  const io = capture();
  await rejects(
    runCli([], { ...io.options, env: {}, signals: () => () => {} }),
    (error: unknown) =>
      error instanceof ConfigError && error.message.startsWith("No configuration given") &&
      (error.hint ?? "").includes("--config FILE"),
  );
});

for (const [policy, code] of [["log", 3], ["ignore", 0], ["dead_letter", 0]] as const) {
  Deno.test(`runCli() run exits ${code} when records failed under error_handling ${policy}`, async () => {
    const io = capture();
    const exitCode = await runCli(["--log-format", "json", "--set", `pipeline.error_handling=${policy}`], {
      ...io.options,
      signals: () => () => {},
      runPipeline: () => Promise.resolve({ ...SUMMARY, recordsFailed: 1 }),
    });
    assertEquals(exitCode, code);
    const logs = io.logs.map((l) => JSON.parse(l));
    assertEquals(logs.filter((l) => l.message === "Pipeline finished").length, 1);
    if (code !== 0) assert(logs.some((l) => l.message === "1 record failed and skipped (error_handling: log)"));
  });
}

Deno.test("runCli() run exits 4 when a one-shot drain is incomplete, naming what another consumer holds", async () => {
  const io = capture();
  const held = 'stream "s": 10 entries pending at consumer "old"';
  const exitCode = await runCli(["--log-format", "json"], {
    ...io.options,
    signals: () => () => {},
    runPipeline: () => Promise.resolve({ ...SUMMARY, incomplete: [held] }),
  });
  assertEquals(exitCode, 4);
  assert(io.logs.map((l) => JSON.parse(l)).some((l) => l.level === "ERROR" && l.message.includes(held)));
});
