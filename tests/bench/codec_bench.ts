/**
 * Benchmark of decode -> Arrow -> Parquet on one core, for JSON, MessagePack and Arrow IPC input, against the
 * ceiling of bare `JSON.parse(new TextDecoder().decode(bytes))` over the same JSON messages.
 *
 * The record is a realistic ~250-byte JSON event with 11 fields, one of them a nested object, plus four Kafka metadata
 * columns (topic, partition, offset, timestamp). Parquet is written with the sink's defaults (dictionary encoding
 * off); `json_dictionary_auto` is the JSON case with `parquet_dictionary: auto`, to show that trade-off. Each case
 * runs in its own process, so the peak RSS it prints (VmHWM) is that case's own. Files are cut every 100,000 rows and
 * encoded with snappy, as the pipeline would.
 *
 * Run: `deno task bench` (all bench files) or `deno run -A tests/bench/codec_bench.ts [--records N]`.
 * @module
 */
import process from "node:process";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import { tableFromJSON, tableToIPC } from "apache-arrow";
import { BatchBuilder } from "../../src/arrow/batch_builder.ts";
import { SchemaMemory } from "../../src/arrow/schema_memory.ts";
import { flattenTable } from "../../src/arrow/typed_table.ts";
import { decodePayload } from "../../src/codec/mod.ts";
import type { ParquetDictionary, ValueFormat } from "../../src/core/plugin.ts";
import type { MetadataColumn, MetadataValue } from "../../src/core/source.ts";
import { encodeParquet } from "../../src/parquet/writer.ts";

const CASES = ["json_parse_ceiling", "json", "json_dictionary_auto", "msgpack", "arrow_ipc"] as const;
type CaseName = typeof CASES[number];

/** Result of one case. */
export interface CaseResult {
  readonly name: CaseName;
  readonly records: number;
  readonly inputBytes: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly peakRssMiB: number;
  readonly parquetBytes: number;
  /** Records per CPU second (user + system, all threads of the process). */
  readonly cpuRecordsPerSecond: number;
  /** CPU time of the ceiling over CPU time of this case, best of interleaved rounds in the same process. */
  readonly shareOfCeiling: number;
  /** The same against `JSON.parse(new TextDecoder().decode(bytes))` with a new decoder per message. */
  readonly shareOfLiteralCeiling: number;
}

const FILE_ROWS = 100_000;
const IPC_ROWS_PER_MESSAGE = 1000;
const METADATA: MetadataColumn[] = [
  { name: "kafka_topic", type: "utf8" },
  { name: "kafka_partition", type: "int32" },
  { name: "kafka_offset", type: "int64" },
  { name: "kafka_timestamp", type: "timestamp_ms" },
];
const FLATTEN = { separator: "_", max_depth: 8, hoist_key: "data", lists: "json", value_column: "value" } as const;
const SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META", "NFLX"];
const VENUES = [["NASDAQ", "XNAS"], ["NYSE", "XNYS"], ["ARCA", "ARCX"], ["BATS", "BATS"]];

/** The i-th sample event (deterministic). */
export function sampleEvent(i: number): Record<string, unknown> {
  const venue = VENUES[i % VENUES.length] as string[];
  return {
    event_id: `evt-${(1_000_000_000 + i * 7919).toString(36)}-${(i * 31).toString(16).padStart(6, "0")}`,
    event_type: i % 10 === 0 ? "quote" : "trade",
    source: "ibkr",
    ts: new Date(1_760_697_000_000 + i * 13).toISOString(),
    symbol: SYMBOLS[i % SYMBOLS.length],
    price: Math.round((100 + (i % 5000) / 7) * 100) / 100,
    qty: (i * 37) % 10_000,
    side: i % 2 === 0 ? "buy" : "sell",
    is_test: i % 97 === 0,
    seq: 1_000_000 + i,
    venue: { exchange: venue[0], mic: venue[1], region: "us-east" },
  };
}

function peakRssMiB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = status.match(/VmHWM:\s+(\d+)\s+kB/);
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall back to the current RSS
  }
  return Deno.memoryUsage().rss / 1024 / 1024;
}

function makeMessages(name: CaseName, records: number): Uint8Array[] {
  const encoder = new TextEncoder();
  if (name === "arrow_ipc") {
    const messages: Uint8Array[] = [];
    for (let start = 0; start < records; start += IPC_ROWS_PER_MESSAGE) {
      const rows = [];
      for (let i = start; i < Math.min(records, start + IPC_ROWS_PER_MESSAGE); i++) rows.push(sampleEvent(i));
      messages.push(tableToIPC(tableFromJSON(rows), "stream"));
    }
    return messages;
  }
  const messages: Uint8Array[] = new Array(records);
  for (let i = 0; i < records; i++) {
    const event = sampleEvent(i);
    messages[i] = name === "msgpack"
      ? encodeMsgpack(event).slice() /* own buffer, not a view of a 2 KiB one */
      : encoder.encode(JSON.stringify(event));
  }
  return messages;
}

/** CPU seconds (user + system) of this process since `start`. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Decodes, builds and encodes every message; returns rows and Parquet bytes written. */
function pipeline(
  format: ValueFormat,
  messages: Uint8Array[],
  metadata: MetadataValue[][],
  dictionary?: ParquetDictionary,
): { count: number; parquetBytes: number } {
  const builder = new BatchBuilder({ metadataColumns: METADATA, flatten: FLATTEN, schema: new SchemaMemory() });
  let parquetBytes = 0;
  let count = 0;
  const flush = () => {
    const table = builder.finish();
    if (table) {
      parquetBytes += encodeParquet(table, { compression: "snappy", rowGroupSize: FILE_ROWS, dictionary }).length;
    }
  };
  for (let m = 0; m < messages.length; m++) {
    const decoded = decodePayload(messages[m] as Uint8Array, format);
    if (decoded.kind === "error") throw new Error(`Cannot decode bench message: ${decoded.reason}`);
    const meta = metadata[m] as MetadataValue[];
    if (decoded.kind === "table") {
      // As the pipeline does: the table's columns go in as slices, never as rows.
      const rows = flattenTable(decoded.table, FLATTEN);
      builder.appendRows(rows, 0, rows.length, meta);
      count += rows.length;
      if (builder.rowCount >= FILE_ROWS) flush();
      continue;
    }
    for (const value of decoded.values) {
      builder.append(value, meta);
      count++;
      if (builder.rowCount >= FILE_ROWS) flush();
    }
  }
  flush();
  return { count, parquetBytes };
}

/** Metadata values of each message, as a Kafka source hands them over (made before timing, like the messages). */
function makeMetadata(messages: Uint8Array[]): MetadataValue[][] {
  return messages.map((_, i) => ["events", 3, BigInt(i), 1_760_697_000_000 + i]);
}

/** The strict ceiling: bare JSON.parse of each message's text, with one shared TextDecoder. */
function ceiling(messages: Uint8Array[]): number {
  let count = 0;
  const decoder = new TextDecoder();
  for (const message of messages) {
    if (JSON.parse(decoder.decode(message)) !== null) count++;
  }
  return count;
}

/** The ceiling as written: `JSON.parse(new TextDecoder().decode(bytes))`, a decoder per message. */
function literalCeiling(messages: Uint8Array[]): number {
  let count = 0;
  for (const message of messages) {
    if (JSON.parse(new TextDecoder().decode(message)) !== null) count++;
  }
  return count;
}

/**
 * Runs one case for `rounds` rounds, each followed by a ceiling round on the same records, and keeps the best time
 * of each: on a shared machine the ratio of two interleaved best times is far steadier than either alone.
 */
function runCase(name: CaseName, records: number, rounds: number): CaseResult {
  const messages = makeMessages(name, records);
  const isJson = name === "json" || name === "json_dictionary_auto" || name === "json_parse_ceiling";
  const jsonMessages = isJson ? messages : makeMessages("json", records);
  const metadata = makeMetadata(messages);
  const inputBytes = messages.reduce((sum, message) => sum + message.length, 0);
  let best = Infinity;
  let bestCpu = Infinity;
  let bestCeilingCpu = Infinity;
  let bestLiteralCpu = Infinity;
  let parquetBytes = 0;
  let count = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    if (name === "json_parse_ceiling") {
      count = ceiling(messages);
    } else if (name === "json_dictionary_auto") {
      ({ count, parquetBytes } = pipeline("json", messages, metadata, "auto"));
    } else {
      ({ count, parquetBytes } = pipeline(name, messages, metadata));
    }
    bestCpu = Math.min(bestCpu, cpuSeconds(cpu));
    best = Math.min(best, (performance.now() - started) / 1000);
    const ceilingCpu = process.cpuUsage();
    ceiling(jsonMessages);
    bestCeilingCpu = Math.min(bestCeilingCpu, cpuSeconds(ceilingCpu));
    const literalCpu = process.cpuUsage();
    literalCeiling(jsonMessages);
    bestLiteralCpu = Math.min(bestLiteralCpu, cpuSeconds(literalCpu));
  }
  return {
    name,
    records: count,
    inputBytes,
    seconds: best,
    recordsPerSecond: count / best,
    megabytesPerSecond: inputBytes / 1e6 / best,
    peakRssMiB: peakRssMiB(),
    parquetBytes,
    cpuRecordsPerSecond: count / bestCpu,
    shareOfCeiling: bestCeilingCpu / bestCpu,
    shareOfLiteralCeiling: bestLiteralCpu / bestCpu,
  };
}

async function runCaseInChild(name: CaseName, records: number, rounds: number): Promise<CaseResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      import.meta.filename as string,
      "--case",
      name,
      "--records",
      String(records),
      "--rounds",
      String(rounds),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`Cannot run bench case "${name}": exit code ${output.code}`);
  return JSON.parse(new TextDecoder().decode(output.stdout)) as CaseResult;
}

function argument(flag: string): string | undefined {
  const index = Deno.args.indexOf(flag);
  return index >= 0 ? Deno.args[index + 1] : undefined;
}

/** Runs every case (each in its own process) and prints a table; returns the results. */
export async function runCodecBench(records = 200_000, rounds = 5): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const name of CASES) results.push(await runCaseInChild(name, records, rounds));
  console.log(`\ncodec bench: decode -> Arrow -> Parquet (snappy), ${records} records, one core`);
  console.log(
    "case                 records/s  rec/CPU-s      MB/s  peak RSS MiB  % of ceiling  % of literal  parquet MB",
  );
  for (const r of results) {
    const cells = [
      r.name.padEnd(20),
      r.recordsPerSecond.toFixed(0).padStart(9),
      r.cpuRecordsPerSecond.toFixed(0).padStart(10),
      r.megabytesPerSecond.toFixed(1).padStart(9),
      r.peakRssMiB.toFixed(0).padStart(13),
      `${(100 * r.shareOfCeiling).toFixed(0)}%`.padStart(12),
      `${(100 * r.shareOfLiteralCeiling).toFixed(0)}%`.padStart(12),
      (r.parquetBytes / 1e6).toFixed(1).padStart(11),
    ];
    console.log(cells.join(" "));
  }
  console.log(
    "records/s and MB/s: best wall-clock round. % of ceiling: CPU time of bare JSON.parse(decoder.decode(bytes))\n" +
      "with one shared TextDecoder over the case's CPU time, best of rounds interleaved in the same process (steady\n" +
      "on a shared machine); % of literal: the same against JSON.parse(new TextDecoder().decode(bytes)), a decoder\n" +
      "per message as the issue writes it. Peak RSS: VmHWM of the case's own process, input messages included.",
  );
  return results;
}

if (import.meta.main) {
  const records = Number(argument("--records") ?? 200_000);
  const name = argument("--case") as CaseName | undefined;
  if (name !== undefined) {
    if (!CASES.includes(name)) throw new RangeError(`Cannot run bench case "${name}": unknown case`);
    console.log(JSON.stringify(runCase(name, records, Number(argument("--rounds") ?? 5))));
  } else {
    await runCodecBench(records, Number(argument("--rounds") ?? 5));
  }
}
