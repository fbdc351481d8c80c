/**
 * Benchmark of one large Parquet file (about 300 MB, snappy, row groups of 100,000 rows) written whole (the whole
 * table in memory, `encodeParquet`, then `sink.write`), against written as a stream (`writeParquetFile`: slices of
 * one row group each through the `ParquetStreamWriter` into `sink.open()`), to the local sink, to the kit's MinIO
 * (8 MiB parts, 4 in flight) and to its HDFS (32 MiB parts, CONCAT), and the same rows through the whole CLI (`cli`:
 * an NDJSON file of them drained one-shot by the file source into one file: decoding, the assembly's parts, the
 * streamed upload, the journal; also into an Iceberg table on the local folder). Issue 16's target: the streamed file
 * and the CLI's run under 600 MiB peak RSS. A `generate` case makes the same rows and drops them, the baseline of the
 * first three.
 *
 * Each case runs in its own process; its peak RSS is the kernel's high-water mark (VmHWM), sampled every 50 ms.
 * MB/s is the file's size over the whole run (generating the rows included). Peak wasm memory is parquet-wasm's
 * linear memory at the end (it never shrinks, so the end is the peak).
 *
 * Run: `deno task bench stream_file` or `deno run -A tests/bench/stream_file_bench.ts [--rows N] [--case NAME]
 * [--target local|s3|hdfs|iceberg]` (`iceberg`: the CLI case into a local Hadoop table).
 * @module
 */
import { parseArgs } from "node:util";
import { makeData, makeVector, Table, TimestampMicrosecond, Utf8 } from "apache-arrow";
import * as pq from "parquet-wasm";
import type { Sink } from "../../src/core/sink.ts";
import { encodeParquet } from "../../src/parquet/writer.ts";
import type { ParquetStreamOptions } from "../../src/parquet/stream_writer.ts";
import { outputPaths } from "../../src/pipeline/layout.ts";
import { writeParquetFile } from "../../src/pipeline/streamed_file.ts";
import { LocalSink } from "../../src/sinks/local.ts";
import { configSchema as hdfsSinkSchema } from "../../src/sinks/hdfs/config.ts";
import { createHdfsSink } from "../../src/sinks/hdfs/sink.ts";
import { configSchema as s3SinkSchema } from "../../src/sinks/s3/config.ts";
import { S3Sink } from "../../src/sinks/s3/sink.ts";
import { configureLogging, Logger } from "../../src/telemetry/log.ts";
import { lastJsonLine, MAIN, measureProcess, type ProcessRun } from "../helpers/bench.ts";
import { V8_FLAGS } from "../../.github/scripts/compile_plan.ts";
import { endpoints, ensureRunning, kitS3Sink } from "../services/endpoints.ts";

const CASES = ["generate", "whole", "streamed", "cli"] as const;
type CaseName = typeof CASES[number];
const TARGETS = ["local", "s3", "hdfs", "iceberg"] as const;
type Target = typeof TARGETS[number];

/** About 50 bytes a row in the file: 6,000,000 rows make about 300 MB. */
const DEFAULT_ROWS = 6_000_000;
const ROW_GROUP = 100_000;
const OPTIONS: ParquetStreamOptions = { compression: "snappy", rowGroupSize: ROW_GROUP };
const TARGET_PEAK_MIB = 600;

/** What a child reports. */
interface CaseResult {
  readonly name: CaseName;
  readonly target: Target;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly wasmMiB: number;
}

/** Rows `from` to `from + rows`: an id, a random price, a timestamp and 32 random hex characters (little to compress). */
function slice(from: number, rows: number): Table {
  let x = (from * 2654435761) >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const hex = new TextEncoder().encode("0123456789abcdef");
  const text = new Uint8Array(rows * 32);
  for (let i = 0; i < text.length; i += 8) {
    const word = next();
    for (let j = 0; j < 8; j++) text[i + j] = hex[(word >>> (j * 4)) & 15]!;
  }
  const offsets = Int32Array.from({ length: rows + 1 }, (_, i) => i * 32);
  return new Table({
    id: makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(from + i))),
    price: makeVector(Float64Array.from({ length: rows }, () => next() / 1e6)),
    at: makeVector(
      makeData({
        type: new TimestampMicrosecond("UTC"),
        length: rows,
        data: BigInt64Array.from({ length: rows }, (_, i) => 1_760_697_000_000_000n + BigInt(from + i) * 1000n),
      }),
    ),
    note: makeVector(makeData({ type: new Utf8(), length: rows, valueOffsets: offsets, data: text })),
  });
}

function* slices(rows: number): Generator<Table> {
  for (let from = 0; from < rows; from += ROW_GROUP) yield slice(from, Math.min(ROW_GROUP, rows - from));
}

/** Writes the rows of {@linkcode slice} as NDJSON lines to `path` (the `cli` case's input); returns its size. */
async function writeNdjson(path: string, rows: number): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let bytes = 0;
  try {
    for (const table of slices(rows)) {
      const [id, price, note] = ["id", "price", "note"].map((name) => table.getChild(name)!);
      const lines: string[] = [];
      for (let i = 0; i < table.numRows; i++) {
        const stamp = new Date(1_760_697_000_000 + Number(id!.get(i))).toISOString(); // the `at` of the row, in ms
        lines.push(`{"id":${id!.get(i)},"price":${price!.get(i)},"at":"${stamp}","note":"${note!.get(i)}"}\n`);
      }
      const data = encoder.encode(lines.join(""));
      bytes += data.length;
      for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
    }
  } finally {
    file.close();
  }
  return bytes;
}

/** The sink section of the `cli` case for `target`. */
function cliSink(target: Target, where: string): Record<string, unknown> {
  const common = { compression: "snappy", row_group_size: ROW_GROUP };
  if (target === "local") return { type: "local", path: where, ...common };
  if (target === "iceberg") return { type: "local", path: where, table_format: "iceberg", table: "big", ...common };
  if (target === "hdfs") {
    const { url, user } = endpoints().hdfs;
    return { type: "hdfs", url, user, base_path: where, ...common };
  }
  return { ...kitS3Sink(where, { part_size_mb: 8, upload_concurrency: 4 }), ...common };
}

/** Runs the CLI one-shot over `input` into `target`; checks from its summary that it wrote every row as one file. */
async function runCli(
  input: string,
  target: Target,
  rows: number,
  where: string,
): Promise<{ run: ProcessRun; bytes: number }> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-stream-cli-" });
  try {
    const config = {
      source: { type: "file", path: input, value_format: "json", batch_size: rows + 1 },
      // One file for the whole input: nothing cuts it before the end.
      pipeline: { max_file_bytes: 64 * 2 ** 30, memory_budget_bytes: 64 * 2 ** 30, batch_timeout_seconds: 86_400 },
      sink: cliSink(target, where),
      telemetry: { log_format: "json" },
    };
    await Deno.writeTextFile(`${dir}/config.yaml`, JSON.stringify(config));
    const run = await measureProcess(
      ["run", "--allow-all", `--v8-flags=${V8_FLAGS}`, MAIN, "run", "--config", `${dir}/config.yaml`],
      { captureStderr: true },
    );
    const finished = run.stderr.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
      .find((line) => line.message === "Pipeline finished");
    if (finished?.records_written !== rows || finished?.files_written !== 1) {
      throw new Error(`Cannot confirm the CLI's file: ${JSON.stringify(finished)}, expected ${rows} rows in 1 file`);
    }
    return { run, bytes: finished.bytes_written };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function sinkFor(target: Target, where: string): Sink {
  const log = new Logger("bench.stream_file");
  if (target === "local") return new LocalSink(where, { paths: outputPaths });
  if (target === "hdfs") {
    const { url, user } = endpoints().hdfs;
    return createHdfsSink(hdfsSinkSchema.parse({ type: "hdfs", url, user, base_path: where }), {
      paths: outputPaths,
      log,
    });
  }
  return new S3Sink(s3SinkSchema.parse(kitS3Sink(where, { part_size_mb: 8, upload_concurrency: 4 })), {
    log,
    paths: outputPaths,
  });
}

/** One case in this process: prints its result as the last line. */
async function runCase(name: CaseName, target: Target, rows: number, where: string): Promise<void> {
  configureLogging({ writer: () => {} });
  const sink = sinkFor(target, where);
  const path = `bench/${name}.parquet`;
  const started = performance.now();
  let bytes = 0;
  if (name === "generate") {
    for (const table of slices(rows)) if (table.numRows === 0) throw new Error("Cannot generate rows: empty slice");
  } else if (name === "whole") {
    const parts = [...slices(rows)];
    const table = parts.slice(1).reduce((all, part) => all.concat(part), parts[0]!);
    parts.length = 0;
    const data = encodeParquet(table, OPTIONS);
    bytes = data.length;
    await sink.write(path, data);
  } else {
    bytes = (await writeParquetFile(sink, path, slices(rows), OPTIONS)).bytes;
  }
  const seconds = (performance.now() - started) / 1000;
  if (name !== "generate") {
    const size = (await sink.stat?.(path))?.size ?? (await sink.list("bench/")).find((e) => e.path === path)?.size;
    if (size !== bytes) throw new Error(`Cannot confirm ${sink.describe(path)}: ${size} bytes, expected ${bytes}`);
    await sink.delete(path);
  }
  await sink.close();
  const wasmMiB = pq.wasmMemory().buffer.byteLength / 2 ** 20;
  const result: CaseResult = { name, target, rows, bytes, seconds, wasmMiB };
  console.log(JSON.stringify(result));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rows: { type: "string" },
      case: { type: "string", multiple: true },
      target: { type: "string", multiple: true },
      child: { type: "string" },
      where: { type: "string" },
    },
  });
  const rows = Number(values.rows ?? DEFAULT_ROWS);
  if (values.child) {
    const [name, target] = values.child.split(":") as [CaseName, Target];
    return await runCase(name, target, rows, values.where!);
  }
  const targets = (values.target ?? [...TARGETS]) as Target[];
  const cases = (values.case ?? [...CASES]) as CaseName[];
  await ensureRunning(targets.filter((t): t is "s3" | "hdfs" => t === "s3" || t === "hdfs"));
  const self = new URL(import.meta.url).pathname;
  console.log(`${rows} rows, row groups of ${ROW_GROUP}, snappy; target: streamed under ${TARGET_PEAK_MIB} MiB`);
  let missed = false;
  const input = cases.includes("cli") ? await Deno.makeTempFile({ prefix: "fsds-stream-cli-", suffix: ".ndjson" }) : "";
  if (input) {
    const size = await writeNdjson(input, rows);
    console.log(`cli input: ${(size / 1e6).toFixed(0)} MB of NDJSON`);
  }
  try {
    for (const target of targets) {
      for (const name of cases) {
        if (name === "generate" && target !== targets[0]) continue;
        // An Iceberg table is written by the pipeline only (its commit), so it has the CLI case alone.
        if (target === "iceberg" && name !== "cli") continue;
        const tag = `stream-file-${crypto.randomUUID().slice(0, 8)}`;
        const local = target === "local" || target === "iceberg";
        const where = local
          ? await Deno.makeTempDir({ prefix: "fsds-stream-bench-" })
          : target === "s3"
          ? `bench/${tag}`
          : `${endpoints().hdfs.home}/bench-${tag}`;
        try {
          if (name === "cli") {
            const { run, bytes } = await runCli(input, target, rows, where);
            const megabytes = bytes / 1e6;
            const over = run.peakRssMiB >= TARGET_PEAK_MIB;
            missed ||= over;
            console.log(
              `${`cli -> ${target}`.padEnd(20)} ${megabytes.toFixed(1).padStart(7)} MB  ${
                run.seconds.toFixed(1).padStart(6)
              } s  ` +
                `${(megabytes / run.seconds).toFixed(1).padStart(6)} MB/s  ${
                  (rows / run.seconds / 1000).toFixed(0)
                }k rec/s  ` +
                `peak RSS ${run.peakRssMiB.toFixed(0).padStart(5)} MiB${over ? "  (OVER)" : "  (under target)"}`,
            );
            continue;
          }
          const run = await measureProcess([
            "run",
            "--allow-all",
            "--v8-flags=--max-old-space-size=4096",
            self,
            "--child",
            `${name}:${target}`,
            "--rows",
            String(rows),
            "--where",
            where,
          ]);
          const r = lastJsonLine<CaseResult>(run);
          const megabytes = r.bytes / 1e6;
          const rate = name === "generate" ? "" : `${(megabytes / r.seconds).toFixed(1).padStart(6)} MB/s  `;
          const label = name === "generate" ? "generate only" : `${name} -> ${target}`;
          const verdict = name === "streamed"
            ? (run.peakRssMiB < TARGET_PEAK_MIB ? "  (under target)" : "  (OVER)")
            : "";
          if (name === "streamed" && run.peakRssMiB >= TARGET_PEAK_MIB) missed = true;
          console.log(
            `${label.padEnd(20)} ${name === "generate" ? "          " : `${megabytes.toFixed(1).padStart(7)} MB`}  ${
              r.seconds.toFixed(1).padStart(6)
            } s  ${rate}` +
              `peak RSS ${run.peakRssMiB.toFixed(0).padStart(5)} MiB  wasm ${r.wasmMiB.toFixed(0)} MiB${verdict}`,
          );
        } finally {
          if (local) await Deno.remove(where, { recursive: true });
        }
      }
    }
  } finally {
    if (input) await Deno.remove(input);
  }
  if (missed) {
    throw new Error(`Cannot meet issue 16's target: a streamed file peaked at ${TARGET_PEAK_MIB} MiB or more`);
  }
}

if (import.meta.main) await main();
