/**
 * End-to-end tests of the command line: spawn `deno run -A main.ts ...` and check exit codes and output.
 * @module
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { FLAGS } from "../src/cli/flags.ts";
import { GLOBAL_ENV_VARS } from "../src/config/env_vars.ts";
import { decodeParquet } from "../src/parquet/writer.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;

/** Only what deno needs; the variables the CLI reads come from each test. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fsds_cli_" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
}

async function parquetFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "_fsds") found.push(...await parquetFiles(path));
    else if (entry.isFile && entry.name.endsWith(".parquet")) found.push(path);
  }
  return found;
}

Deno.test("fs-data-sink --help lists every flag, command, plugin type and environment variable; exit 0", async () => {
  const { code, stdout } = await cli(["--help"]);
  assertEquals(code, 0);
  for (const flag of FLAGS) assert(stdout.includes(`--${flag.name}`), `--${flag.name} missing`);
  for (const text of ["  run ", "  validate ", "kafka", "redis", "file", "s3", "hdfs", "local", "KAFKA_TOPICS"]) {
    assert(stdout.includes(text), `${text} missing from --help`);
  }
  for (const variable of GLOBAL_ENV_VARS) assert(stdout.includes(variable.env), `${variable.env} missing`);
});

Deno.test("fs-data-sink --version prints the version of deno.json; exit 0", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const { code, stdout } = await cli(["--version"]);
  assertEquals(code, 0);
  assert(stdout.startsWith(`fs-data-sink ${version}`), stdout);
});

Deno.test("fs-data-sink validate prints the effective config with origins and masked secrets; exit 0", async () => {
  const { code, stdout, stderr } = await cli(
    ["validate", "--config", "config/example-kafka-to-s3.yaml", "--max-batches", "7", "--set", "sink.prefix=2024"],
    {
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI-secret",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      KAFKA_TOPICS: "t1,t2",
      KAFKA_SASL_USERNAME: "svc",
      KAFKA_SASL_PASSWORD: "kafka-pw-777",
      MAX_WORKERS: "8",
      BATCH_SIZE: "250",
    },
  );
  assertEquals(code, 0, stderr);
  assert(!stdout.includes("wJalrXUtnFEMI-secret") && !stdout.includes("kafka-pw-777"), stdout);
  assert(!stderr.includes("wJalrXUtnFEMI-secret") && !stderr.includes("kafka-pw-777"), stderr);
  const lines = stdout.split("\n");
  for (
    const line of [
      `  aws_secret_access_key: "***"  # env AWS_SECRET_ACCESS_KEY`,
      `    password: "***"  # env KAFKA_SASL_PASSWORD`,
      `  topics: [ t1, t2 ]  # env KAFKA_TOPICS`,
      `  batch_size: 250  # env BATCH_SIZE`,
      `  max_batches: 7  # flag --max-batches`,
      `  prefix: "2024"  # flag --set sink.prefix`,
      `  bucket: my-data-bucket  # config/example-kafka-to-s3.yaml:23`,
      `  row_group_size: 100000  # default`,
    ]
  ) assert(lines.includes(line), `missing ${JSON.stringify(line)} in:\n${stdout}`);
  assert(stderr.includes("warning: MAX_WORKERS is no longer needed"), stderr);
});

Deno.test("fs-data-sink validate accepts the INI examples of existing installations; exit 0", async () => {
  for (const file of ["config/example-redis-to-hdfs.ini", "config/example-kafka-to-local.ini"]) {
    const { code, stdout, stderr } = await cli(["validate", "-c", file], { REDIS_PASSWORD: "pw-31337" });
    assertEquals(code, 0, `${file}: ${stderr}`);
    assert(stdout.includes(`  type: `) && !stdout.includes("pw-31337"), stdout);
  }
});

Deno.test("fs-data-sink validate of a bad config exits 2 listing every problem with origins, secrets masked", async () => {
  const dir = await tempDir();
  const file = `${dir}/bad.yaml`;
  await Deno.writeTextFile(
    file,
    "source:\n  type: kafka\n  topics: [orders]\n  group_idd: g\n  sasl:\n    username: u\n    password: 12345678\n" +
      "sink:\n  type: s33\ntelemetry:\n  log_format: xml\n",
  );
  const { code, stdout, stderr } = await cli(["validate", "--config", file], { MAX_BATCHES: "lots" });
  assertEquals(code, 2);
  assertEquals(stdout, "");
  for (
    const text of [
      `source.group_idd: unknown key (value "g", from ${file}:4); did you mean "group_id"?`,
      `source.sasl.password: expected string, got "***" (from ${file}:7)`,
      `sink.type: unknown sink type "s33" (from ${file}:9); did you mean "s3"?`,
      `telemetry.log_format: expected one of text, json; got "xml" (from ${file}:11)`,
      `pipeline.max_batches: expected number, got "lots" (from env MAX_BATCHES)`,
      `source.bootstrap_servers: required value is missing`,
      "hint: ",
    ]
  ) assert(stderr.includes(text), `missing ${JSON.stringify(text)} in:\n${stderr}`);
  assert(!stderr.includes("12345678"), stderr);
});

Deno.test("fs-data-sink exits 2 on bad usage: unknown flag, unknown command, missing config file", async () => {
  const flag = await cli(["--max-batchs", "3"]);
  assertEquals(flag.code, 2);
  assert(flag.stderr.includes(`Unknown flag "--max-batchs"`) && flag.stderr.includes(`did you mean "--max-batches"?`));
  const command = await cli(["vaildate"]);
  assertEquals(command.code, 2);
  assert(command.stderr.includes(`did you mean "validate"?`), command.stderr);
  const missing = await cli(["run", "--config", "/nonexistent/fsds.yaml"]);
  assertEquals(missing.code, 2);
  assert(missing.stderr.includes(`Cannot read config file "/nonexistent/fsds.yaml": no such file`), missing.stderr);
});

Deno.test("fs-data-sink run writes the records and exits 0; a record failure under raise exits 1", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/in.ndjson`, '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n{"id":3,"name":"c"}\n');
  const ok = await cli([
    "--source-type",
    "file",
    "--sink-type",
    "local",
    "--set",
    `source.path=${dir}/in.ndjson`,
    "--set",
    `sink.path=${dir}/out`,
    "--log-format",
    "json",
  ]);
  assertEquals(ok.code, 0, ok.stderr);
  const finished = ok.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .find((l) => l.message === "Pipeline finished");
  assertEquals([finished?.records_written, finished?.files_written], [3, 1]);
  assertEquals((await parquetFiles(`${dir}/out`)).length, 1);

  await Deno.writeTextFile(`${dir}/bad.ndjson`, '{"id":1}\nnot json\n');
  const failed = await cli(["run", "--source-type", "file", "--sink-type", "local", "--error-handling", "raise"], {
    FILE_SOURCE_PATH: `${dir}/bad.ndjson`,
    LOCAL_PATH: `${dir}/out-bad`,
  });
  assertEquals(failed.code, 1, failed.stderr);
  assert(failed.stderr.includes("fs-data-sink: error: "), failed.stderr);
  assert(!failed.stderr.includes("    at "), "no stack trace without DEBUG");
});

Deno.test("fs-data-sink run writes the collector's {year}/{month}/{day}/{topic} folders, escaped, in a time zone", async () => {
  const dir = await tempDir();
  const records = [
    { id: 1, ts: "2025-10-17T21:59:59Z", kind: "a/b" }, // 23:59:59 in Berlin (CEST)
    { id: 2, ts: "2025-10-17T22:00:00Z", kind: "a/b" }, // midnight in Berlin: the next day
    { id: 3, ts: "2025-10-18T10:00:00Z", kind: null },
    { id: 4, kind: "x" },
    { id: 5, ts: "2025-10-17T12:00:00Z", kind: "a/b" },
  ];
  await Deno.writeTextFile(`${dir}/流 orders.ndjson`, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    JSON.stringify({
      source: { type: "file", path: `${dir}/流 orders.ndjson` },
      sink: {
        type: "local",
        path: `${dir}/out`,
        path_template: "{year}/{month}/{day}/{topic}",
        partition_by: ["kind"],
        timestamp_field: "ts",
        timezone: "Europe/Berlin",
      },
    }),
  );
  const run = await cli(["run", "--config", `${dir}/config.yaml`]);
  assertEquals(run.code, 0, run.stderr);
  const rows = new Map<string, number[]>();
  for (const path of await parquetFiles(`${dir}/out`)) {
    const folder = path.slice(`${dir}/out/`.length, path.lastIndexOf("/") + 1);
    const ids = decodeParquet(await Deno.readFile(path)).toArray().map((row) => Number(row.toJSON().id));
    rows.set(folder, [...(rows.get(folder) ?? []), ...ids].sort());
  }
  const none = "__HIVE_DEFAULT_PARTITION__";
  assertEquals(
    rows,
    new Map([
      ["2025/10/17/流 orders/kind=a%2Fb/", [1, 5]],
      ["2025/10/18/流 orders/kind=a%2Fb/", [2]],
      [`2025/10/18/流 orders/kind=${none}/`, [3]],
      [`${none}/${none}/${none}/流 orders/kind=x/`, [4]],
    ]),
  );
});

/** A child's stderr as lines: `until` reads until the lines so far satisfy `done`, `rest` reads to the end. */
function stderrLines(child: Deno.ChildProcess) {
  const lines: string[] = [];
  let buffer = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const more = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += value;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    return true;
  };
  return {
    async until(done: (lines: readonly string[]) => boolean): Promise<void> {
      while (!done(lines) && await more());
    },
    async rest(): Promise<string[]> {
      while (await more());
      lines.push(buffer);
      buffer = "";
      return lines;
    },
  };
}

Deno.test("fs-data-sink run from stdin stops on SIGINT and exits 0 with what it wrote", async () => {
  const dir = await tempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "--source-type",
      "file",
      "--sink-type",
      "local",
      "--set",
      "source.path=-",
      "--batch-size",
      "1",
    ],
    cwd: ROOT,
    env: { ...baseEnv(), LOCAL_PATH: `${dir}/out`, LOG_FORMAT: "json" },
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode('{"id":1}\n{"id":2}\n'));
  const stderr = stderrLines(child);
  // Wait until both records are written (batch_size 1), so the signal meets a running, idle pipeline.
  await stderr.until((lines) => lines.filter((l) => l.includes('"message":"Wrote batch')).length >= 2);
  // stdin stays open: the signal alone must stop the run (closing stdin too would race it with end of input).
  child.kill("SIGINT");
  const lines = await stderr.rest();
  const status = await child.status;
  await writer.close().catch(() => {});
  assertEquals(status.code, 0, lines.join("\n"));
  const records = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert(records.some((r) => r.message.startsWith("Stopping") && r.signal === "SIGINT"), lines.join("\n"));
  const finished = records.find((r) => r.message === "Pipeline finished");
  assertEquals([finished?.stopped_by_signal, finished?.records_written, finished?.files_written], [true, 2, 2]);
  assertEquals((await parquetFiles(`${dir}/out`)).length, 2);
});

/** The process group that `setsid` made: its own pid's when it did not need to fork, else its child's. */
async function processGroupOf(pid: number): Promise<number> {
  const out = new TextDecoder().decode(
    (await new Deno.Command("ps", { args: ["-eo", "pid=,ppid=,pgid="] }).output()).stdout,
  );
  const rows = out.trim().split("\n").map((line) => line.trim().split(/\s+/).map(Number));
  const own = rows.find(([p]) => p === pid);
  if (own && own[2] === pid) return pid;
  const forked = rows.find(([, parent]) => parent === pid);
  assert(forked, `no process group found for setsid ${pid}`);
  return forked[2]!;
}

Deno.test("Ctrl-C on deno task run (SIGINT to the process group) stops gracefully: writes what is in hand, exit 0", async () => {
  const dir = await tempDir();
  // setsid: the task runs in a process group of its own, like a terminal's foreground job; `kill -INT -<pgid>` is
  // what Ctrl-C does: deno task and the tool both get the signal, and deno task forwards its copy as well.
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "task",
      "run",
      "--source-type",
      "file",
      "--sink-type",
      "local",
      "--set",
      "source.path=-",
      "--batch-size",
      "100",
      "--set",
      "pipeline.batch_timeout_seconds=3600",
    ],
    cwd: ROOT,
    env: { ...baseEnv(), LOCAL_PATH: `${dir}/out`, LOG_FORMAT: "json", LOG_LEVEL: "DEBUG" },
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode('{"id":1}\n{"id":2}\n{"id":3}\n'));
  const stderr = stderrLines(child);
  // Three records read, none written (batch_size 100, an hour's timeout): the batch is in hand.
  await stderr.until((lines) => lines.some((l) => l.includes('"message":"Started"')));
  await new Promise((r) => setTimeout(r, 1000)); // let the three records reach the open batch
  const kill = await new Deno.Command("kill", { args: ["-INT", "--", `-${await processGroupOf(child.pid)}`] }).output();
  assertEquals(kill.code, 0, new TextDecoder().decode(kill.stderr));
  const lines = await stderr.rest();
  const status = await child.status;
  await writer.close().catch(() => {});
  const records = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert(!records.some((r) => r.message.startsWith("Second signal")), lines.join("\n"));
  assertEquals(status.code, 0, lines.join("\n"));
  const finished = records.find((r) => r.message === "Pipeline finished");
  assertEquals([finished?.stopped_by_signal, finished?.records_written], [true, 3], lines.join("\n"));
  assertEquals((await parquetFiles(`${dir}/out`)).length, 1);
});
