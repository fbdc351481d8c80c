/**
 * Benchmark of one large Parquet file (about 300 MB, snappy, row groups of 100,000 rows) written whole, as the
 * pipeline does today (the whole table in memory, `encodeParquet`, then `sink.write`), against written as a stream
 * (`writeParquetFile`: slices of one row group each through the `ParquetStreamWriter` into `sink.open()`), to the
 * local sink, to the kit's MinIO (8 MiB parts, 4 in flight) and to its HDFS (32 MiB parts, CONCAT). Issue 16's target: the streamed file under 600 MiB
 * peak RSS. A `generate` case makes the same rows and drops them, the baseline of both.
 *
 * Each case runs in its own process; its peak RSS is the kernel's high-water mark (VmHWM), sampled every 50 ms.
 * MB/s is the file's size over the whole run (generating the rows included). Peak wasm memory is parquet-wasm's
 * linear memory at the end (it never shrinks, so the end is the peak).
 *
 * Run: `deno task bench stream_file` or `deno run -A tests/bench/stream_file_bench.ts [--rows N] [--case NAME]
 * [--target local|s3|hdfs]`.
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
import { lastJsonLine, measureProcess } from "../helpers/bench.ts";
import { endpoints, ensureRunning, kitS3Sink } from "../services/endpoints.ts";

const CASES = ["generate", "whole", "streamed"] as const;
type CaseName = typeof CASES[number];
const TARGETS = ["local", "s3", "hdfs"] as const;
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
  await ensureRunning(targets.filter((t) => t !== "local"));
  const self = new URL(import.meta.url).pathname;
  console.log(`${rows} rows, row groups of ${ROW_GROUP}, snappy; target: streamed under ${TARGET_PEAK_MIB} MiB`);
  let missed = false;
  for (const target of targets) {
    for (const name of cases) {
      if (name === "generate" && target !== targets[0]) continue;
      const tag = `stream-file-${crypto.randomUUID().slice(0, 8)}`;
      const where = target === "local"
        ? await Deno.makeTempDir({ prefix: "fsds-stream-bench-" })
        : target === "s3"
        ? `bench/${tag}`
        : `${endpoints().hdfs.home}/bench-${tag}`;
      try {
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
        const verdict = name === "streamed" ? (run.peakRssMiB < TARGET_PEAK_MIB ? "  (under target)" : "  (OVER)") : "";
        if (name === "streamed" && run.peakRssMiB >= TARGET_PEAK_MIB) missed = true;
        console.log(
          `${label.padEnd(20)} ${name === "generate" ? "          " : `${megabytes.toFixed(1).padStart(7)} MB`}  ${
            r.seconds.toFixed(1).padStart(6)
          } s  ${rate}` +
            `peak RSS ${run.peakRssMiB.toFixed(0).padStart(5)} MiB  wasm ${r.wasmMiB.toFixed(0)} MiB${verdict}`,
        );
      } finally {
        if (target === "local") await Deno.remove(where, { recursive: true });
      }
    }
  }
  if (missed) {
    throw new Error(`Cannot meet issue 16's target: a streamed file peaked at ${TARGET_PEAK_MIB} MiB or more`);
  }
}

if (import.meta.main) await main();
