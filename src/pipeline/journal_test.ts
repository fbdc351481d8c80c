import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { LocalSink } from "../sinks/local.ts";
import { outputPaths } from "./layout.ts";
import { Logger } from "../telemetry/log.ts";
import { Journal } from "./journal.ts";

const compare = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;
const log = new Logger("test");

async function setup() {
  const root = await Deno.makeTempDir();
  const sink = new LocalSink(root, { paths: outputPaths });
  await sink.connect();
  return { root, sink, journal: new Journal(sink, log) };
}

Deno.test("journal recovery: no entry means read normally", async () => {
  const { root, journal } = await setup();
  assertEquals(await journal.recover("t+0", "005", compare), { kind: "none", generation: "" });
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery: a complete unacknowledged batch is durable through its last position", async () => {
  const { root, sink, journal } = await setup();
  await journal.begin({
    stream: "t+0",
    first: "005",
    last: "009",
    files: ["d=1/t+0+005.parquet", "d=2/t+0+005.parquet"],
  });
  await sink.write("d=1/t+0+005.parquet", new Uint8Array([1]));
  await sink.write("d=2/t+0+005.parquet", new Uint8Array([1]));
  assertEquals(await journal.recover("t+0", "005", compare), { kind: "durable", through: "009", generation: "" });
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery: an acknowledged batch is left alone", async () => {
  const { root, sink, journal } = await setup();
  await journal.begin({
    stream: "t+0",
    first: "005",
    last: "009",
    files: ["d=1/t+0+005.parquet", "d=2/t+0+005.parquet"],
  });
  await sink.write("d=1/t+0+005.parquet", new Uint8Array([1]));
  assertEquals(await journal.recover("t+0", "010", compare), { kind: "none", generation: "" });
  assertEquals((await sink.list("d=1/")).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery: a batch cut short has its partial files deleted", async () => {
  const { root, sink, journal } = await setup();
  await journal.begin({
    stream: "t+0",
    first: "005",
    last: "009",
    files: ["d=1/t+0+005.parquet", "d=2/t+0+005.parquet"],
  });
  await sink.write("d=1/t+0+005.parquet", new Uint8Array([1]));
  assertEquals(await journal.recover("t+0", "005", compare), {
    kind: "discarded",
    files: ["d=1/t+0+005.parquet"],
    generation: "",
  });
  assertEquals(await sink.read("d=1/t+0+005.parquet"), null);
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery: positions before the batch mean the stream started over; nothing is deleted", async () => {
  const { root, sink, journal } = await setup();
  await journal.begin({ stream: "t+0", first: "005", last: "009", files: ["d=1/t+0+005.parquet"] });
  await sink.write("d=1/t+0+005.parquet", new Uint8Array([1]));
  const recovery = await journal.recover("t+0", "000", compare);
  assertEquals(recovery.kind, "restarted");
  assertEquals(/^\d{8}T\d{6}Z$/.test(recovery.generation), true);
  assertEquals((await sink.list("d=1/")).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery keeps the generation recorded in the entry", async () => {
  const { root, journal } = await setup();
  await journal.begin({ stream: "t+0", generation: "20260101T000000Z", first: "005", last: "009", files: [] });
  assertEquals(await journal.recover("t+0", "010", compare), { kind: "none", generation: "20260101T000000Z" });
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery: a durable batch ending past the stream's end is of an earlier incarnation", async () => {
  const { root, sink, journal } = await setup();
  await journal.begin({ stream: "t+0", first: "000", last: "099", files: ["t+0+000.parquet"] });
  await sink.write("t+0+000.parquet", new Uint8Array([1]));
  // The topic was recreated with 10 records: it ends at 010, the batch at 099.
  const recovery = await journal.recover("t+0", "000", compare, "010");
  assertEquals(recovery.kind, "restarted");
  assert(recovery.generation !== "", "a new file-name generation");
  // The same batch with the stream still holding it (end past it) stays durable.
  assertEquals(await journal.recover("t+0", "000", compare, "100"), {
    kind: "durable",
    through: "099",
    generation: "",
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("journal recovery: an entry of another incarnation (topic id) is never taken as durable", async () => {
  const { root, sink, journal } = await setup();
  await journal.begin({ stream: "t+0", incarnation: "id-A", first: "000", last: "099", files: ["t+0+000.parquet"] });
  await sink.write("t+0+000.parquet", new Uint8Array([1]));
  const same = await journal.recover("t+0", "000", compare, "150", "id-A");
  assertEquals(same, { kind: "durable", through: "099", generation: "" });
  const unknown = await journal.recover("t+0", "000", compare, "150");
  assertEquals(unknown, { kind: "durable", through: "099", generation: "" }, "no incarnation known: positions decide");
  const other = await journal.recover("t+0", "000", compare, "150", "id-B");
  assertEquals(other.kind, "restarted");
  assertEquals(await sink.read("t+0+000.parquet"), new Uint8Array([1]), "the earlier file is kept");
  await Deno.remove(root, { recursive: true });
});
