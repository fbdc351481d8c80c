import assert, { deepEqual as assertEquals } from "node:assert/strict";
import {
  Dictionary,
  Int32,
  makeVector,
  Table,
  tableToIPC,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { pipelineSectionSchema } from "../config/pipeline_section.ts";
import { decodeParquet } from "../parquet/writer.ts";
import { Logger } from "../telemetry/log.ts";
import { jsonMessage, MemorySink, MemorySource } from "../../tests/helpers/memory.ts";
import { decodeJson } from "../codec/json.ts";
import { Journal } from "./journal.ts";
import { Pipeline } from "./pipeline.ts";
import { outputPaths } from "./layout.ts";
import { LocalSink } from "../sinks/local.ts";
import type { CommonSinkConfig } from "../core/plugin.ts";
import type { SourceMessage } from "../core/source.ts";

const sinkConfig: CommonSinkConfig = {
  type: "memory",
  compression: "snappy",
  row_group_size: 1000,
  partition_by: [],
  timezone: "UTC",
};

function makePipeline(
  source: MemorySource,
  sink: MemorySink,
  options: { pipeline?: Record<string, unknown>; sink?: Partial<CommonSinkConfig>; recordsPerFile?: number } = {},
): Pipeline {
  return new Pipeline(source, sink, {
    pipeline: pipelineSectionSchema.parse(options.pipeline ?? {}),
    sink: { ...sinkConfig, ...options.sink },
    valueFormat: "json",
    recordsPerFile: options.recordsPerFile ?? 1000,
    log: new Logger("test"),
    workers,
  });
}

function rowsOf(sink: MemorySink, path: string): Record<string, unknown>[] {
  const data = sink.files.get(path);
  assert.ok(data, `missing file ${path}; have ${[...sink.files.keys()].join(", ")}`);
  return decodeParquet(data).toArray().map((row) => row.toJSON());
}

const signal = new AbortController().signal;

/** Worker threads of the test being run: every test runs with the assembly on this thread and in two workers. */
let workers = 0;

function test(name: string, fn: () => Promise<void> | void): void {
  for (const threads of [0, 2]) {
    Deno.test(`${name} (workers: ${threads})`, () => {
      workers = threads;
      return fn();
    });
  }
}

test("pipeline writes the journal, then the files, then acknowledges", async () => {
  const events: string[] = [];
  const source = new MemorySource([jsonMessage("a", 1, { x: 1 }), jsonMessage("a", 2, { x: 2 })], { events });
  const sink = new MemorySink(events);
  const summary = await makePipeline(source, sink).run(signal);
  assertEquals(events, ["write _fsds/journal/a.json", "write a+000001.parquet", "ack a 000001..000002"]);
  assertEquals(rowsOf(sink, "a+000001.parquet").map((r) => Number(r.x)), [1, 2]);
  assertEquals(summary.recordsWritten, 2);
  assertEquals(summary.files, ["a+000001.parquet"]);
});

test("pipeline cuts a stream's batch at batch_size records, naming files by first position", async () => {
  const messages = Array.from({ length: 25 }, (_, i) => jsonMessage("s+0", i + 1, { i }));
  const source = new MemorySource(messages);
  const sink = new MemorySink();
  await makePipeline(source, sink, { recordsPerFile: 10 }).run(signal);
  const files = [...sink.files.keys()].filter((p) => p.endsWith(".parquet")).sort();
  assertEquals(files, ["s+0+000001.parquet", "s+0+000011.parquet", "s+0+000021.parquet"]);
  assertEquals(rowsOf(sink, "s+0+000021.parquet").length, 5);
  assertEquals(source.acked.get("s+0")?.length, 25);
});

test("pipeline partitions by date from the timestamp field and cuts all folders of a stream together", async () => {
  const source = new MemorySource([
    jsonMessage("t", 1, { ts: "2025-10-17T23:59:00Z", v: 1 }),
    jsonMessage("t", 2, { ts: "2025-10-18T00:01:00Z", v: 2 }),
    jsonMessage("t", 3, { v: 3 }),
  ]);
  const sink = new MemorySink();
  await makePipeline(source, sink, { sink: { partition_by: ["date"], timestamp_field: "ts" } }).run(signal);
  assertEquals(rowsOf(sink, "date=2025-10-17/t+000001.parquet").map((r) => Number(r.v)), [1]);
  assertEquals(rowsOf(sink, "date=2025-10-18/t+000001.parquet").map((r) => Number(r.v)), [2]);
  assertEquals(rowsOf(sink, "date=__HIVE_DEFAULT_PARTITION__/t+000001.parquet").map((r) => Number(r.v)), [3]);
});

function poisoned(): SourceMessage[] {
  return [
    jsonMessage("p", 1, { ok: 1 }),
    { stream: "p", position: "000002", value: new TextEncoder().encode("{not json"), metadata: [] },
    jsonMessage("p", 3, { ok: 3 }),
  ];
}

test("error policy log skips the bad record, writes the rest and acknowledges all", async () => {
  const source = new MemorySource(poisoned());
  const sink = new MemorySink();
  const summary = await makePipeline(source, sink, { pipeline: { error_handling: "log" } }).run(signal);
  assertEquals(rowsOf(sink, "p+000001.parquet").map((r) => Number(r.ok)), [1, 3]);
  assertEquals(source.acked.get("p"), ["000001", "000002", "000003"]);
  assertEquals(summary.recordsFailed, 1);
});

test("error policy dead_letter keeps the raw bytes and the reason before acknowledging", async () => {
  const source = new MemorySource(poisoned());
  const sink = new MemorySink();
  const summary = await makePipeline(source, sink, { pipeline: { error_handling: "dead_letter" } }).run(signal);
  const letters = new TextDecoder().decode(sink.files.get("_dead_letter/p/p+000001.jsonl")).trim().split("\n");
  assertEquals(letters.length, 1);
  const letter = JSON.parse(letters[0]!);
  assertEquals(letter.value_text, "{not json");
  assertEquals(letter.origin, 'stream "p" position 000002');
  assert.ok(letter.reason.length > 0);
  assertEquals(summary.recordsDeadLettered, 1);
  assertEquals(source.acked.get("p")?.length, 3);
});

test("error policy raise stops before acknowledging anything of the batch", async () => {
  const source = new MemorySource(poisoned());
  const sink = new MemorySink();
  await assert.rejects(
    () => makePipeline(source, sink, { pipeline: { error_handling: "raise" } }).run(signal),
    /Cannot decode stream "p" position 000002/,
  );
  assertEquals(source.acked.size, 0);
  assertEquals([...sink.files.keys()].filter((p) => p.endsWith(".parquet")), []);
});

test("a failing sink is retried and nothing is acknowledged until the write succeeds", async () => {
  const events: string[] = [];
  const source = new MemorySource([jsonMessage("r", 1, { a: 1 })], { events });
  const sink = new MemorySink(events);
  sink.failWrites = 2;
  await makePipeline(source, sink).run(signal);
  assertEquals(events, ["write _fsds/journal/r.json", "write r+000001.parquet", "ack r 000001..000001"]);
});

test("a stream's journal entry is read again while the sink refuses reads, then the stream is written", async () => {
  const source = new MemorySource([jsonMessage("r", 1, { x: 1 }), jsonMessage("r", 2, { x: 2 })]);
  const sink = new MemorySink();
  sink.failReads = 2;
  const summary = await makePipeline(source, sink).run(signal);
  assertEquals([summary.recordsWritten, sink.failReads], [2, 0]);
  assertEquals(source.acked.get("r"), ["000001", "000002"]);
});

test("a sink that stays down fails the run with nothing acknowledged", async () => {
  const source = new MemorySource([jsonMessage("r", 1, { a: 1 })]);
  const sink = new MemorySink();
  sink.failWrites = 1000;
  await assert.rejects(
    () => makePipeline(source, sink, { pipeline: { write_retry_seconds: 0 } }).run(signal),
    /injected failure/,
  );
  assertEquals(source.acked.size, 0);
});

test("after a crash between write and ack, the durable batch is acknowledged without a rewrite", async () => {
  const sink = new MemorySink();
  await new Journal(sink, new Logger("test")).begin({
    stream: "k",
    first: "000001",
    last: "000002",
    files: ["k+000001.parquet"],
  });
  await sink.write("k+000001.parquet", new Uint8Array([1, 2, 3]));
  const messages = [1, 2, 3].map((i) => jsonMessage("k", i, { i }));
  const source = new MemorySource(messages);
  const summary = await makePipeline(source, sink).run(signal);
  assertEquals(sink.files.get("k+000001.parquet"), new Uint8Array([1, 2, 3])); // untouched
  assertEquals(rowsOf(sink, "k+000003.parquet").map((r) => Number(r.i)), [3]);
  assertEquals(source.acked.get("k"), ["000001", "000002", "000003"]);
  assertEquals(summary.recordsWritten, 1);
});

test("after a crash mid-batch, partial files are deleted and the range is written again", async () => {
  const sink = new MemorySink();
  await new Journal(sink, new Logger("test")).begin({
    stream: "k",
    first: "000001",
    last: "000002",
    files: ["d=1/k+000001.parquet", "d=2/k+000001.parquet"],
  });
  await sink.write("d=1/k+000001.parquet", new Uint8Array([9]));
  const source = new MemorySource([1, 2].map((i) => jsonMessage("k", i, { i })));
  await makePipeline(source, sink).run(signal);
  assertEquals(sink.files.has("d=1/k+000001.parquet"), false);
  assertEquals(rowsOf(sink, "k+000001.parquet").map((r) => Number(r.i)), [1, 2]);
});

test("the memory budget writes the oldest stream first", async () => {
  const messages = [];
  for (let i = 1; i <= 40; i++) messages.push(jsonMessage(`s${i % 4}`, i, { text: "x".repeat(200), i }));
  const source = new MemorySource(messages, { readSize: 4 });
  const sink = new MemorySink();
  await makePipeline(source, sink, { pipeline: { memory_budget_bytes: 2000 } }).run(signal);
  const files = [...sink.files.keys()].filter((p) => p.endsWith(".parquet"));
  assert.ok(files.length > 4, `expected memory cuts, got ${files.length} files`);
  const total = files.reduce((n, f) => n + rowsOf(sink, f).length, 0);
  assertEquals(total, 40);
});

test("max_batches stops after that many batches and leaves the rest unacknowledged", async () => {
  const messages = Array.from({ length: 30 }, (_, i) => jsonMessage("m", i + 1, { i }));
  const source = new MemorySource(messages);
  const sink = new MemorySink();
  await makePipeline(source, sink, { recordsPerFile: 10, pipeline: { max_batches: 2 } }).run(signal);
  assertEquals([...sink.files.keys()].filter((p) => p.endsWith(".parquet")).length, 2);
  assertEquals(source.acked.get("m")?.length, 20);
});

test("max_messages reads that many messages, writes them and stops", async () => {
  const messages = Array.from({ length: 30 }, (_, i) => jsonMessage("m", i + 1, { i }));
  const source = new MemorySource(messages);
  const sink = new MemorySink();
  const summary = await makePipeline(source, sink, { pipeline: { max_messages: 7 } }).run(signal);
  assertEquals(summary.recordsWritten, 7);
  assertEquals(source.acked.get("m")?.length, 7);
});

test("an abort writes what is in hand and acknowledges it", async () => {
  const controller = new AbortController();
  const source = new MemorySource([jsonMessage("q", 1, { a: 1 })]);
  const sink = new MemorySink();
  const pipeline = makePipeline(source, sink);
  const original = source.read.bind(source);
  let reads = 0;
  source.read = (options) => {
    if (++reads === 2) controller.abort();
    return reads >= 2 ? Promise.resolve({ kind: "idle" }) : original(options);
  };
  await pipeline.run(controller.signal);
  assertEquals(source.acked.get("q"), ["000001"]);
});

test("revoked streams drop their unwritten records without acknowledging them", async () => {
  const source = new MemorySource([jsonMessage("v+0", 1, { a: 1 }), jsonMessage("v+1", 1, { a: 2 })]);
  const sink = new MemorySink();
  const pipeline = makePipeline(source, sink);
  const original = source.read.bind(source);
  let reads = 0;
  source.read = async (options) => {
    reads++;
    if (reads === 2) await source.listener!.revoked(["v+0"]);
    return original(options);
  };
  await pipeline.run(signal);
  assertEquals(source.acked.has("v+0"), false);
  assertEquals(source.acked.get("v+1"), ["000001"]);
});

class SlowSink extends MemorySink {
  active = 0;
  maxActive = 0;
  override async write(path: string, data: Uint8Array): Promise<void> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.active--;
    return super.write(path, data);
  }
}

function isAscending(list: readonly string[]): boolean {
  return list.every((p, i) => i === 0 || list[i - 1]! < p);
}

test("batches of different streams are written concurrently and each stream's acks stay in order", async () => {
  const messages = [];
  for (let i = 1; i <= 30; i++) for (const s of ["a", "b", "c", "d"]) messages.push(jsonMessage(s, i, { i }));
  const source = new MemorySource(messages);
  const sink = new SlowSink();
  await makePipeline(source, sink, { recordsPerFile: 5 }).run(signal);
  assert.ok(sink.maxActive > 1, `expected concurrent writes, saw at most ${sink.maxActive}`);
  for (const s of ["a", "b", "c", "d"]) {
    const acked = source.acked.get(s)!;
    assertEquals(acked.length, 30);
    assert.ok(isAscending(acked), `acks of ${s} out of order: ${acked.join(",")}`);
  }
});

test("already-durable positions are acknowledged before later batches of the same stream", async () => {
  const sink = new SlowSink();
  await new Journal(sink, new Logger("test")).begin({
    stream: "k",
    first: "000001",
    last: "000003",
    files: ["k+000001.parquet"],
  });
  await sink.write("k+000001.parquet", new Uint8Array([1]));
  const source = new MemorySource(Array.from({ length: 20 }, (_, i) => jsonMessage("k", i + 1, { i })));
  await makePipeline(source, sink, { recordsPerFile: 4 }).run(signal);
  const acked = source.acked.get("k")!;
  assertEquals(acked.length, 20);
  assert.ok(isAscending(acked), `acks out of order: ${acked.join(",")}`);
});

test("write_concurrency 1 writes one batch at a time", async () => {
  const messages = [];
  for (let i = 1; i <= 10; i++) for (const s of ["a", "b"]) messages.push(jsonMessage(s, i, { i }));
  const source = new MemorySource(messages);
  const sink = new SlowSink();
  await makePipeline(source, sink, { recordsPerFile: 2, pipeline: { write_concurrency: 1 } }).run(signal);
  assertEquals(source.acked.get("a")?.length, 10);
  assert.ok(sink.maxActive <= 4, "one batch writes at most 4 files at once");
});

test("a stream whose positions go backwards mid-run gets a new file-name generation and nothing is overwritten", async () => {
  const messages = [1, 2, 3].map((i) => jsonMessage("t+0", i, { old: i }))
    .concat([1, 2].map((i) => jsonMessage("t+0", i, { fresh: i })));
  const source = new MemorySource(messages);
  const sink = new MemorySink();
  await makePipeline(source, sink).run(signal);
  assertEquals(rowsOf(sink, "t+0+000001.parquet").map((r) => Number(r.old)), [1, 2, 3]);
  const fresh = [...sink.files.keys()].filter((p) => /^t\+0~\d{8}T\d{6}Z\+000001\.parquet$/.test(p));
  assertEquals(fresh.length, 1);
  assertEquals(rowsOf(sink, fresh[0]!).map((r) => Number(r.fresh)), [1, 2]);
  // The earlier incarnation's positions are never acknowledged against the new one.
  assertEquals(source.acked.get("t+0"), ["000001", "000002"]);
});

test("after a restart, positions before the journal's batch start a new generation and skip nothing", async () => {
  const sink = new MemorySink();
  await new Journal(sink, new Logger("test")).begin({
    stream: "t+0",
    first: "000005",
    last: "000009",
    files: ["t+0+000005.parquet"],
  });
  await sink.write("t+0+000005.parquet", new Uint8Array([7]));
  const source = new MemorySource([1, 2, 3].map((i) => jsonMessage("t+0", i, { i })));
  const summary = await makePipeline(source, sink).run(signal);
  assertEquals(summary.recordsWritten, 3);
  assertEquals(sink.files.get("t+0+000005.parquet"), new Uint8Array([7]));
  const fresh = [...sink.files.keys()].filter((p) => /^t\+0~\d{8}T\d{6}Z\+000001\.parquet$/.test(p));
  assertEquals(fresh.length, 1);
  const journal = JSON.parse(new TextDecoder().decode(sink.files.get("_fsds/journal/t+0.json")));
  assert.match(journal.generation, /^\d{8}T\d{6}Z$/);
});

test("pipeline heartbeats count the messages read and not yet durable and acknowledged", async () => {
  const source = new MemorySource([1, 2, 3].map((i) => jsonMessage("a", i, { x: i })));
  const pending: number[] = [];
  const pipeline = new Pipeline(source, new MemorySink(), {
    pipeline: pipelineSectionSchema.parse({}),
    sink: sinkConfig,
    valueFormat: "json",
    recordsPerFile: 1000,
    log: new Logger("test"),
    workers,
    hooks: { heartbeat: (state) => pending.push(state.pendingMessages) },
  });
  await pipeline.run(signal);
  assertEquals(pending[0], 3, "three messages in the open batch");
});

test("JSON decoded a read at a time keeps each bad record's own position and reason", async () => {
  const encoder = new TextEncoder();
  const raw = (position: number, bytes: Uint8Array): SourceMessage => ({
    stream: "j",
    position: String(position).padStart(6, "0"),
    value: bytes,
    metadata: [],
  });
  const bad = new Map<number, Uint8Array>([
    [40, encoder.encode("1,[2")], // with the next one, parses as one value when joined
    [41, encoder.encode("3]")],
    [500, new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])], // invalid UTF-8
    [777, encoder.encode("")],
  ]);
  const messages = Array.from({ length: 1000 }, (_, i) => raw(i + 1, bad.get(i) ?? encoder.encode(`{"i":${i}}`)));
  const source = new MemorySource(messages);
  const sink = new MemorySink();
  const summary = await makePipeline(source, sink, { pipeline: { error_handling: "dead_letter" } }).run(signal);
  const letters = new TextDecoder().decode(sink.files.get("_dead_letter/j/j+000001.jsonl")).trim().split("\n")
    .map((line) => JSON.parse(line));
  assertEquals(
    letters.map((l) => l.origin),
    [41, 42, 501, 778].map((p) => `stream "j" position ${String(p).padStart(6, "0")}`),
  );
  assertEquals(
    letters.map((l) => l.reason),
    [...bad.values()].map((bytes) => {
      const result = decodeJson(bytes);
      return result.kind === "error" ? result.reason : "decoded";
    }),
  );
  const rows = rowsOf(sink, "j+000001.parquet").map((r) => Number(r.i));
  assertEquals(rows, Array.from({ length: 1000 }, (_, i) => i).filter((i) => !bad.has(i)));
  assertEquals(summary.recordsDeadLettered, 4);
});

test("pipeline writes Arrow IPC rows by column into their partition folders, typed; bad IPC is dead-lettered", async () => {
  const day = (iso: string) => BigInt(Date.parse(iso));
  const ipc = (ts: bigint[], sides: string[], v: number[]) =>
    tableToIPC(
      new Table({
        ts: vectorFromArray(ts.map((t) => Number(t)), new TimestampMillisecond("UTC")),
        side: vectorFromArray(sides, new Dictionary(new Utf8(), new Int32())),
        v: makeVector(Int32Array.from(v)),
      }),
      "stream",
    );
  const first = ipc([day("2025-10-17T23:59:00Z"), day("2025-10-17T23:59:30Z"), day("2025-10-18T00:01:00Z")], [
    "buy",
    "buy",
    "sell",
  ], [1, 2, 3]);
  const broken = first.subarray(0, first.length - 12);
  const source = new MemorySource([
    { stream: "t", position: "000001", value: first, metadata: [] },
    { stream: "t", position: "000002", value: broken, metadata: [] },
    { stream: "t", position: "000003", value: ipc([day("2025-10-17T08:00:00Z")], ["buy"], [4]), metadata: [] },
  ]);
  const sink = new MemorySink();
  const pipeline = new Pipeline(source, sink, {
    pipeline: pipelineSectionSchema.parse({ error_handling: "dead_letter" }),
    sink: { ...sinkConfig, partition_by: ["date", "side"], timestamp_field: "ts" },
    valueFormat: "arrow_ipc",
    recordsPerFile: 1000,
    log: new Logger("test"),
    workers,
  });
  const summary = await pipeline.run(signal);
  assertEquals(summary.recordsWritten, 4);
  assertEquals(rowsOf(sink, "date=2025-10-17/side=buy/t+000001.parquet").map((r) => r.v), [1, 2, 4]);
  assertEquals(rowsOf(sink, "date=2025-10-18/side=sell/t+000001.parquet").map((r) => r.v), [3]);
  const types = decodeParquet(sink.files.get("date=2025-10-18/side=sell/t+000001.parquet")!).schema.fields
    .map((f) => `${f.name}: ${f.type}`);
  assertEquals(types, ["ts: Timestamp<MILLISECOND, UTC>", "side: Utf8", "v: Int32"]);
  const letters = new TextDecoder().decode(sink.files.get("_dead_letter/t/t+000001.jsonl")).trim().split("\n");
  assertEquals(letters.length, 1);
  assert.match(JSON.parse(letters[0]!).reason, /^invalid Arrow IPC stream at byte \d+: record batch body of/);
});

test("files over the streaming threshold are streamed into the sink row group by row group, rows and sizes intact", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-stream-" });
  try {
    const messages = Array.from({ length: 2500 }, (_, i) => jsonMessage(`s${i % 2}`, i + 1, { i, text: `t${i}` }));
    const source = new MemorySource(messages, { readSize: 300 });
    const opened: string[] = [];
    const sink = new class extends LocalSink {
      override open(path: string) {
        opened.push(path);
        return super.open(path);
      }
    }(root, { fsync: false, paths: outputPaths });
    const pipeline = streamingPipeline(source, sink);
    const summary = await pipeline.run(signal);
    const parquet = summary.files.filter((path) => path.endsWith(".parquet")).sort();
    assertEquals(parquet.length, 4, "two 1000-record files and one of 250 per stream");
    let rows = 0;
    let bytes = 0;
    for (const path of parquet) {
      const data = await Deno.readFile(`${root}/${path}`);
      const table = decodeParquet(data);
      rows += table.numRows;
      bytes += data.length;
    }
    assertEquals(rows, 2500);
    assertEquals(opened.sort(), parquet, "every Parquet file went through a streamed upload");
    assertEquals(summary.bytesWritten, bytes, "the summary counts the streamed files' real sizes");
    assertEquals(source.acked.get("s0")?.length, 1250);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** A local sink that records, in order, uploads opened, chunks written, commits and plain writes (journal entries). */
class TimelineSink extends LocalSink {
  readonly timeline: string[] = [];
  constructor(root: string) {
    super(root, { fsync: false, paths: outputPaths });
  }
  override async write(path: string, data: Uint8Array) {
    this.timeline.push(`write ${path}`);
    return await super.write(path, data);
  }
  override async open(path: string) {
    this.timeline.push(`open ${path}`);
    const upload = await super.open(path);
    const timeline = this.timeline;
    return {
      path: upload.path,
      write(chunk: Uint8Array) {
        timeline.push(`chunk ${path}`);
        return upload.write(chunk);
      },
      commit() {
        timeline.push(`commit ${path}`);
        return upload.commit();
      },
      abort() {
        timeline.push(`abort ${path}`);
        return upload.abort();
      },
    };
  }
}

/** 1000-record files of 100-row row groups that stream from their first row group (the threshold at 0). */
function streamingPipeline(source: MemorySource, sink: LocalSink, pipeline: Record<string, unknown> = {}): Pipeline {
  return new Pipeline(source, sink, {
    pipeline: pipelineSectionSchema.parse(pipeline),
    sink: { ...sinkConfig, row_group_size: 100 },
    valueFormat: "json",
    recordsPerFile: 1000,
    log: new Logger("test"),
    workers,
    streamFilesFrom: 0,
  });
}

async function walk(root: string, folder = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${root}/${folder}`)) {
    const path = folder + entry.name;
    if (entry.isDirectory) found.push(...await walk(root, `${path}/`));
    else found.push(path);
  }
  return found.sort();
}

test("a large file streams while its rows arrive: row groups reach the sink before the cut, the file appears once, whole", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-parts-" });
  try {
    // `opt` only in the first 50 rows: later row groups lack it and get it as nulls, in the same file. Rows of ~2 KB
    // make row groups of ~200 KB, each reaching the sink as a chunk of its own (the encoder gathers small ones).
    const text = (i: number) => `t${i}-${"x".repeat(2000)}`;
    const messages = Array.from(
      { length: 2500 },
      (_, i) => jsonMessage("s", i + 1, i < 50 ? { i, text: text(i), opt: i } : { i, text: text(i) }),
    );
    const source = new MemorySource(messages, { readSize: 70 });
    const sink = new TimelineSink(root);
    const pipeline = streamingPipeline(source, sink);
    const summary = await pipeline.run(signal);
    assertEquals(summary.recordsWritten, 2500);
    const parquet = (await walk(root)).filter((path) => path.endsWith(".parquet"));
    assertEquals(parquet, ["s+000001.parquet", "s+001001.parquet", "s+002001.parquet"]);
    const ids: number[] = [];
    for (const path of parquet) {
      const table = decodeParquet(await Deno.readFile(`${root}/${path}`));
      const names = path === "s+000001.parquet" ? ["i", "text", "opt"] : ["i", "text"];
      assertEquals(table.schema.fields.map((f) => f.name), names, path);
      for (const row of table.toArray()) ids.push(Number(row.i));
    }
    assertEquals(ids, Array.from({ length: 2500 }, (_, i) => i), "every record once, in order");
    const first = "s+000001.parquet";
    const events = sink.timeline.filter((event) => event.endsWith(first) || event.includes("journal"));
    const opened = events.indexOf(`open ${first}`);
    const journal = events.findIndex((event) => event.startsWith("write _fsds/journal/"));
    const chunksBefore = events.slice(opened, journal).filter((event) => event === `chunk ${first}`).length;
    assert.ok(opened >= 0 && opened < journal, `the upload opened before the batch's journal entry: ${events}`);
    assert.ok(chunksBefore >= 3, `row groups reached the sink before the cut (${chunksBefore} chunks): ${events}`);
    assertEquals(events.filter((event) => event === `commit ${first}`).length, 1);
    assert.ok(events.indexOf(`commit ${first}`) > journal, "committed after the journal entry");
    assertEquals(source.acked.get("s")?.length, 2500);
    assertEquals((await walk(root)).filter((path) => path.endsWith(".fsds-tmp")), [], "no temporary file left");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

test("rows of a new schema after a streamed row group start a second file of the folder; every record lands once", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-parts-" });
  try {
    const messages = Array.from(
      { length: 1000 },
      (_, i) => jsonMessage("s", i + 1, i < 250 ? { i } : { i, extra: `x${i}` }),
    );
    const source = new MemorySource(messages, { readSize: 64 });
    const sink = new TimelineSink(root);
    const pipeline = streamingPipeline(source, sink);
    const summary = await pipeline.run(signal);
    assertEquals(summary.recordsWritten, 1000);
    const parquet = (await walk(root)).filter((path) => path.endsWith(".parquet"));
    assertEquals(parquet, ["s+000001.1.parquet", "s+000001.parquet"]);
    const before = decodeParquet(await Deno.readFile(`${root}/s+000001.parquet`));
    const after = decodeParquet(await Deno.readFile(`${root}/s+000001.1.parquet`));
    assertEquals(before.schema.fields.map((f) => f.name), ["i"]);
    assertEquals(after.schema.fields.map((f) => f.name), ["i", "extra"]);
    assertEquals(before.numRows, 200, "the two row groups streamed before the new column");
    const ids = [...before.toArray(), ...after.toArray()].map((row) => Number(row.i));
    assertEquals(ids, Array.from({ length: 1000 }, (_, i) => i));
    assertEquals(after.toArray().filter((row) => row.extra !== null).length, 750);
    assertEquals(summary.files.filter((path) => path.endsWith(".parquet")).sort(), parquet);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

test("a streaming file of a batch never cut (max_batches reached) is aborted: no file, no temporary left", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-parts-" });
  try {
    const messages = Array.from({ length: 1500 }, (_, i) => jsonMessage("s", i + 1, { i }));
    const source = new MemorySource(messages, { readSize: 100 });
    const sink = new TimelineSink(root);
    const pipeline = streamingPipeline(source, sink, { max_batches: 1 });
    const summary = await pipeline.run(signal);
    assertEquals(summary.recordsWritten, 1000);
    const files = await walk(root);
    assertEquals(files.filter((path) => path.endsWith(".parquet")), ["s+000001.parquet"]);
    assertEquals(files.filter((path) => path.endsWith(".fsds-tmp")), []);
    assertEquals(source.acked.get("s")?.length, 1000);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
