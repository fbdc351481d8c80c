/**
 * Benchmark of the pipeline's per-record path on one core, without servers: the real {@linkcode Pipeline} (decode ->
 * partition folder -> flatten -> Arrow columns -> Parquet -> journal) fed by an in-memory source of Kafka-shaped
 * messages and writing into a sink that only counts bytes. It isolates what the CLI spends per record from the
 * source's and the sink's I/O.
 *
 * The record is shaped like the Redpanda collector's (`event_type`, `source`, a `data` object that is hoisted, a
 * `metadata` object with an ISO timestamp, one field with non-ASCII text), with the five Kafka metadata columns
 * (topic, partition, offset, timestamp, key), 4 partitions, message timestamps 400 ms apart (so 200k records cross a
 * day boundary). Cases:
 * - `json_template`: JSON with the collector's layout `path_template: {year}/{month}/{day}/{topic}`;
 * - `json_plain`: JSON, no folders (what the template costs is the difference);
 * - `json_hive`: JSON with `partition_by: [date, hour, event_type]` from `metadata_timestamp`;
 * - `msgpack_template`: MessagePack with the collector's layout.
 *
 * Each case runs in its own process (`rounds` rounds, best kept). `--compare <git revision>` runs every case
 * alternately from that revision's `src/` (exported with `git archive`, this benchmark copied beside it) and from
 * the working tree, `--pairs` times, so both sides see the same load on a shared machine; it prints the median of
 * each side and their ratio. `--against DIR` does the same with another checkout (a variant being weighed).
 *
 * `--workers N` sets `pipeline.workers` (default 0: the per-record work on the main thread, what this bench is for).
 *
 * Run: `deno task bench pipeline` or `deno run -A tests/bench/pipeline_bench.ts [--records N] [--rounds N]
 * [--case NAME] [--compare REV | --against DIR] [--pairs N] [--workers N]`.
 * @module
 */
import process from "node:process";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import { pipelineSectionSchema } from "../../src/config/pipeline_section.ts";
import type { CommonSinkConfig, ValueFormat } from "../../src/core/plugin.ts";
import type { Sink, SinkEntry } from "../../src/core/sink.ts";
import type { MetadataColumn, SourceMessage } from "../../src/core/source.ts";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { configureLogging, Logger } from "../../src/telemetry/log.ts";
import { MemorySource } from "../helpers/memory.ts";

/** `pipeline.workers` of every run (`--workers N`, handed to the child processes as FSDS_BENCH_WORKERS); default 0. */
function workers(): number {
  return Number(Deno.env.get("FSDS_BENCH_WORKERS") ?? "0");
}

const CASES = ["json_template", "json_plain", "json_hive", "msgpack_template"] as const;
type CaseName = typeof CASES[number];

/** Result of one case in one process. */
export interface PipelineCaseResult {
  readonly name: CaseName;
  readonly records: number;
  readonly files: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Records per CPU second (user + system) of the best round. */
  readonly cpuRecordsPerSecond: number;
  readonly peakRssMiB: number;
}

const PARTITIONS = 4;
const RECORDS_PER_FILE = 100_000;
const START_MS = 1_760_697_000_000; // 2025-10-17T10:30:00Z
const METADATA: MetadataColumn[] = [
  { name: "kafka_topic", type: "utf8" },
  { name: "kafka_partition", type: "int32" },
  { name: "kafka_offset", type: "int64" },
  { name: "kafka_timestamp", type: "timestamp_ms" },
  { name: "kafka_key", type: "utf8" },
];
const SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "7203.T", "0700.HK"];
const EXCHANGES = ["NASDAQ", "NYSE", "東京証券取引所", "香港交易所"];

/** The i-th record, shaped like the Redpanda collector's messages. */
export function collectorEvent(i: number): Record<string, unknown> {
  return {
    event_type: i % 10 === 0 ? "trade" : "market_data",
    source: "ibkr",
    data: {
      symbol: SYMBOLS[i % SYMBOLS.length],
      bid: Math.round((150 + (i % 997) / 10) * 100) / 100,
      ask: Math.round((150.05 + (i % 997) / 10) * 100) / 100,
      volume: (i * 7919) % 1_000_000,
    },
    metadata: {
      exchange: EXCHANGES[i % EXCHANGES.length],
      timestamp: new Date(START_MS + i * 400).toISOString(),
      seq: i,
    },
  };
}

function sinkConfig(name: CaseName): CommonSinkConfig {
  const base = { type: "null", compression: "snappy", row_group_size: RECORDS_PER_FILE, timezone: "UTC" } as const;
  if (name === "json_plain") return { ...base, partition_by: [] };
  if (name === "json_hive") {
    return { ...base, partition_by: ["date", "hour", "event_type"], timestamp_field: "metadata_timestamp" };
  }
  return { ...base, partition_by: [], path_template: "{year}/{month}/{day}/{topic}" };
}

function makeMessages(format: ValueFormat, records: number): SourceMessage[] {
  const encoder = new TextEncoder();
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const messages: SourceMessage[] = new Array(records);
  for (let i = 0; i < records; i++) {
    const event = collectorEvent(i);
    const partition = i % PARTITIONS;
    const offset = offsets[partition]!++;
    const timestampMs = START_MS + i * 400;
    messages[i] = {
      stream: `events+${partition}`,
      position: String(offset).padStart(20, "0"),
      value: format === "msgpack" ? encodeMsgpack(event).slice() : encoder.encode(JSON.stringify(event)),
      metadata: ["events", partition, BigInt(offset), timestampMs, `key-${i % 1000}`],
      timestampMs,
      dataset: "events",
    };
  }
  return messages;
}

/** A sink that keeps nothing: it counts the bytes of data files and remembers journal entries. */
class CountingSink implements Sink {
  bytes = 0;
  files = 0;
  readonly #small = new Map<string, Uint8Array>();
  connect(): Promise<void> {
    return Promise.resolve();
  }
  write(path: string, data: Uint8Array): Promise<void> {
    if (path.endsWith(".parquet")) {
      this.bytes += data.length;
      this.files++;
    } else {
      this.#small.set(path, data.slice());
    }
    return Promise.resolve();
  }
  read(path: string): Promise<Uint8Array | null> {
    return Promise.resolve(this.#small.get(path) ?? null);
  }
  list(prefix: string): Promise<SinkEntry[]> {
    const out = [...this.#small].filter(([p]) => p.startsWith(prefix)).map(([path, d]) => ({ path, size: d.length }));
    return Promise.resolve(out);
  }
  delete(path: string): Promise<void> {
    this.#small.delete(path);
    return Promise.resolve();
  }
  describe(path: string): string {
    return `null://${path}`;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function peakRssMiB(): number {
  const match = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+)\s+kB/);
  return match ? Number(match[1]) / 1024 : Deno.memoryUsage().rss / 1024 / 1024;
}

async function runOnce(name: CaseName, messages: SourceMessage[]): Promise<{ records: number; files: number }> {
  const source = new MemorySource(messages, { metadataColumns: METADATA });
  const sink = new CountingSink();
  const pipeline = new Pipeline(source, sink, {
    pipeline: pipelineSectionSchema.parse({ until_caught_up: true }),
    sink: sinkConfig(name),
    valueFormat: name.startsWith("msgpack") ? "msgpack" : "json",
    recordsPerFile: RECORDS_PER_FILE,
    log: new Logger("bench"),
    workers: workers(),
  });
  const summary = await pipeline.run(new AbortController().signal);
  return { records: summary.recordsWritten, files: sink.files };
}

async function runCase(name: CaseName, records: number, rounds: number): Promise<PipelineCaseResult> {
  const messages = makeMessages(name.startsWith("msgpack") ? "msgpack" : "json", records);
  let best = Infinity;
  let bestCpu = Infinity;
  let result = { records: 0, files: 0 };
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    result = await runOnce(name, messages);
    const used = process.cpuUsage(cpu);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  if (result.records !== records) throw new Error(`Cannot bench case "${name}": ${result.records} of ${records} rows`);
  return {
    name,
    records,
    files: result.files,
    seconds: best,
    recordsPerSecond: records / best,
    cpuRecordsPerSecond: records / bestCpu,
    peakRssMiB: peakRssMiB(),
  };
}

async function runInChild(
  file: string,
  name: CaseName,
  records: number,
  rounds: number,
): Promise<PipelineCaseResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", file, "--child", name, "--records", String(records), "--rounds", String(rounds)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`Cannot run bench case "${name}" of ${file}: exit code ${output.code}`);
  return JSON.parse(new TextDecoder().decode(output.stdout)) as PipelineCaseResult;
}

/**
 * Exports `revision`'s tree into a temporary folder (no change to the repository) and copies this benchmark and its
 * helpers beside it; returns the path of the copied benchmark file.
 */
async function exportRevision(revision: string): Promise<{ file: string; dir: string }> {
  const root = new URL("../../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "fsds-bench-base-" });
  const archive = await new Deno.Command("sh", {
    args: ["-c", `git -C "${root}" archive "${revision}" | tar -x -C "${dir}"`],
  }).output();
  if (!archive.success) {
    throw new Error(`Cannot export revision "${revision}": ${new TextDecoder().decode(archive.stderr)}`);
  }
  for (const path of ["tests/bench/pipeline_bench.ts", "tests/helpers/memory.ts"]) {
    await Deno.copyFile(`${root}${path}`, `${dir}/${path}`);
  }
  return { file: `${dir}/tests/bench/pipeline_bench.ts`, dir };
}

/** Copies this benchmark and its helpers into another checkout `dir` (e.g. a variant being weighed). */
async function copyInto(dir: string): Promise<{ file: string; dir: string }> {
  const root = new URL("../../", import.meta.url).pathname;
  for (const path of ["tests/bench/pipeline_bench.ts", "tests/helpers/memory.ts"]) {
    await Deno.copyFile(`${root}${path}`, `${dir}/${path}`);
  }
  return { file: `${dir}/tests/bench/pipeline_bench.ts`, dir };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function show(label: string, r: PipelineCaseResult): string {
  return `${label.padEnd(28)} ${Math.round(r.recordsPerSecond).toString().padStart(9)} rec/s ` +
    `${Math.round(r.cpuRecordsPerSecond).toString().padStart(9)} rec/CPU-s  ${r.files} files  ` +
    `peak RSS ${r.peakRssMiB.toFixed(0)} MiB`;
}

async function compare(
  revision: string,
  names: readonly CaseName[],
  records: number,
  rounds: number,
  pairs: number,
  tree?: string,
) {
  const base = tree === undefined ? await exportRevision(revision) : await copyInto(tree);
  const self = new URL(import.meta.url).pathname;
  try {
    console.log(`pipeline bench: ${revision} vs working tree, ${records} records, ${pairs} interleaved pairs`);
    for (const name of names) {
      const sides: Record<"base" | "new", PipelineCaseResult[]> = { base: [], new: [] };
      for (let pair = 0; pair < pairs; pair++) {
        // Alternate which side goes first, so neither always runs on a warmer (or busier) machine.
        const order = pair % 2 === 0 ? (["base", "new"] as const) : (["new", "base"] as const);
        for (const side of order) {
          const result = await runInChild(side === "base" ? base.file : self, name, records, rounds);
          sides[side].push(result);
          console.log(show(`  ${name} ${side} #${pair + 1}`, result));
        }
      }
      const rate = (side: "base" | "new") => median(sides[side].map((r) => r.recordsPerSecond));
      const cpu = (side: "base" | "new") => median(sides[side].map((r) => r.cpuRecordsPerSecond));
      const rss = (side: "base" | "new") => median(sides[side].map((r) => r.peakRssMiB));
      console.log(
        `${name.padEnd(18)} median rec/s ${Math.round(rate("base"))} -> ${Math.round(rate("new"))} ` +
          `(x${(rate("new") / rate("base")).toFixed(2)}), rec/CPU-s ${Math.round(cpu("base"))} -> ` +
          `${Math.round(cpu("new"))} (x${(cpu("new") / cpu("base")).toFixed(2)}), peak RSS ` +
          `${rss("base").toFixed(0)} -> ${rss("new").toFixed(0)} MiB`,
      );
    }
  } finally {
    if (tree === undefined) await Deno.remove(base.dir, { recursive: true });
  }
}

function argument(flag: string): string | undefined {
  const index = Deno.args.indexOf(flag);
  return index >= 0 ? Deno.args[index + 1] : undefined;
}

if (import.meta.main) {
  const threads = argument("--workers");
  if (threads !== undefined) Deno.env.set("FSDS_BENCH_WORKERS", threads);
  const records = Number(argument("--records") ?? 200_000);
  const rounds = Number(argument("--rounds") ?? 3);
  const child = argument("--child") as CaseName | undefined;
  const name = child ?? argument("--case") as CaseName | undefined;
  if (name !== undefined && !CASES.includes(name)) {
    throw new RangeError(`Cannot run bench case "${name}": unknown case`);
  }
  const tree = argument("--against");
  const revision = argument("--compare") ?? tree;
  if (revision !== undefined) {
    await compare(revision, name ? [name] : CASES, records, rounds, Number(argument("--pairs") ?? 3), tree);
  } else if (child !== undefined) {
    configureLogging({ level: "WARNING" });
    console.log(JSON.stringify(await runCase(child, records, rounds)));
  } else {
    const self = new URL(import.meta.url).pathname;
    console.log(
      `pipeline bench: Pipeline with a memory source and a counting sink, ${records} records, workers ${workers()}`,
    );
    for (const c of name ? [name] : CASES) console.log(show(c, await runInChild(self, c, records, rounds)));
  }
}
