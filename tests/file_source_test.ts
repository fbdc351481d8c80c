import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { readParquetTree, runCli } from "./helpers/cli.ts";

function localRun(source: Record<string, unknown>, output: string, pipeline: Record<string, unknown> = {}) {
  return {
    source: { type: "file", ...source },
    sink: { type: "local", path: output },
    pipeline,
    telemetry: { log_format: "json" },
  };
}

Deno.test("file source: NDJSON with a bad line dead-letters it, writes the rest, and names file and line", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/events.ndjson`, '{"id":1}\n{"id":2,\n\n{"id":3}\n');
  const out = `${dir}/out`;
  const run = await runCli(["run"], {
    config: localRun({ path: `${dir}/events.ndjson`, metadata: true }, out, { error_handling: "dead_letter" }),
  });
  assertEquals(run.code, 0, run.stderr);
  const [file, ...more] = await readParquetTree(out);
  assertEquals(more.length, 0);
  assertEquals(file!.path, "events.ndjson+000000000001.parquet");
  assertEquals(file!.rows.map((r) => [Number(r.id), r.source_file, Number(r.source_line)]), [
    [1, `${dir}/events.ndjson`, 1],
    [3, `${dir}/events.ndjson`, 4],
  ]);
  const letters = (await Deno.readTextFile(`${out}/_dead_letter/events/events.ndjson+000000000001.jsonl`))
    .trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(letters.length, 1);
  assertEquals(letters[0].origin, `file "${dir}/events.ndjson" line 2`);
  assertEquals(letters[0].value_text, '{"id":2,');
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file source: a MessagePack stream keeps int64 exact", async () => {
  const dir = await Deno.makeTempDir();
  const items = [{ id: 1n, big: 9007199254740993n, name: "a" }, { id: 2n, big: -5n, name: "b" }];
  const bytes = new Uint8Array(items.flatMap((i) => [...encode(i, { useBigInt64: true })]));
  await Deno.writeFile(`${dir}/dump.msgpack`, bytes);
  const out = `${dir}/out`;
  const run = await runCli(["run"], { config: localRun({ path: `${dir}/dump.msgpack`, value_format: "auto" }, out) });
  assertEquals(run.code, 0, run.stderr);
  const [file] = await readParquetTree(out);
  assertEquals(file!.rows.map((r) => [r.big, r.name]), [[9007199254740993n, "a"], [-5n, "b"]]);
  assertEquals(file!.columns.big, "Int64");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file source: an Arrow IPC file keeps its columns and types", async () => {
  const dir = await Deno.makeTempDir();
  const table = tableFromArrays({ x: Float64Array.from([1.5, 2.5, 3.5]), label: ["p", "q", "r"] });
  await Deno.writeFile(`${dir}/batch.arrow`, tableToIPC(table, "file"));
  const out = `${dir}/out`;
  const run = await runCli(["run"], {
    config: localRun({ path: `${dir}/batch.arrow`, value_format: "arrow_ipc" }, out),
  });
  assertEquals(run.code, 0, run.stderr);
  const [file] = await readParquetTree(out);
  assertEquals(file!.rows.map((r) => [r.x, r.label]), [[1.5, "p"], [2.5, "q"], [3.5, "r"]]);
  assertEquals(file!.columns.x, "Float64");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file source: a glob reads every match, one stream per file, and a re-run rewrites the same files", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/in/sub`, { recursive: true });
  await Deno.writeTextFile(`${dir}/in/a.ndjson`, '{"n":1}\n{"n":2}\n');
  await Deno.writeTextFile(`${dir}/in/sub/b.ndjson`, '{"n":3}\n');
  await Deno.writeTextFile(`${dir}/in/skip.txt`, "not matched\n");
  const out = `${dir}/out`;
  const config = localRun({ path: `${dir}/in/**/*.ndjson` }, out);
  assertEquals((await runCli(["run"], { config })).code, 0);
  assertEquals((await runCli(["run"], { config })).code, 0);
  const files = await readParquetTree(out);
  assertEquals(files.map((f) => f.path), ["a.ndjson+000000000001.parquet", "b.ndjson+000000000001.parquet"]);
  assertEquals(files.flatMap((f) => f.rows.map((r) => Number(r.n))), [1, 2, 3]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file source: stdin (-) is read to its end and named by the run's start time", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/out`;
  const input = new TextEncoder().encode('{"k":"x"}\n{"k":"y"}\n');
  const run = await runCli(["run"], { config: localRun({ path: "-" }, out), stdin: input });
  assertEquals(run.code, 0, run.stderr);
  const [file] = await readParquetTree(out);
  assert.match(file!.path, /^stdin-\d{8}T\d{6}Z\+000000000001\.parquet$/);
  assertEquals(file!.rows.map((r) => r.k), ["x", "y"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file source: a missing file is a clear runtime error (exit 1)", async () => {
  const run = await runCli(["run"], { config: localRun({ path: "/nonexistent/x.ndjson" }, "/tmp/fsds-none") });
  assertEquals(run.code, 1);
  assert.match(run.stderr, /Cannot read file source "\/nonexistent\/x\.ndjson"/);
});

function msgpackOf(records: unknown[]): Uint8Array {
  return new Uint8Array(records.flatMap((r) => [...encode(r)]));
}

const RECORDS = Array.from({ length: 6 }, (_, i) => ({ id: i + 1, name: `n${i + 1}` }));

Deno.test("file source: a truncated MessagePack file under raise exits 1 naming the file and the byte offset", async () => {
  const dir = await Deno.makeTempDir();
  const whole = msgpackOf(RECORDS.slice(0, 2));
  const last = encode(RECORDS[2]);
  await Deno.writeFile(`${dir}/cut.msgpack`, new Uint8Array([...whole, ...last.subarray(0, 4)]));
  const run = await runCli(["run"], {
    config: localRun({ path: `${dir}/cut.msgpack`, value_format: "msgpack" }, `${dir}/out`, {
      error_handling: "raise",
    }),
  });
  assertEquals(run.code, 1, run.stderr);
  assert.match(run.stderr, /Cannot decode file "[^"]*\/cut\.msgpack" item 3 at byte \d+: truncated MessagePack/);
  assertEquals(run.stderr.match(/item 3 at byte (\d+)/)?.[1], String(whole.length));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("file source: garbage inside a MessagePack stream is dead-lettered as its bytes; every record is written once", async () => {
  const dir = await Deno.makeTempDir();
  const before = msgpackOf(RECORDS.slice(0, 3));
  const garbage = [0xc1, 0x30, 0x31, 0x54, 0x81, 0xc1];
  await Deno.writeFile(`${dir}/dump.msgpack`, new Uint8Array([...before, ...garbage, ...msgpackOf(RECORDS.slice(3))]));
  const out = `${dir}/out`;
  const run = await runCli(["run"], {
    config: localRun({ path: `${dir}/dump.msgpack`, value_format: "auto" }, out, { error_handling: "dead_letter" }),
  });
  assertEquals(run.code, 0, run.stderr);
  const files = await readParquetTree(out);
  assertEquals(files.flatMap((f) => f.rows.map((r) => ({ id: Number(r.id), name: r.name }))), RECORDS);
  assertEquals(Object.keys(files[0]!.columns).sort(), ["id", "name"]);
  const letters = (await Deno.readTextFile(`${out}/_dead_letter/dump/dump.msgpack+000000000001.jsonl`))
    .trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(letters.length, 1);
  assertEquals([...Uint8Array.from(atob(letters[0].value_base64), (c) => c.charCodeAt(0))], garbage);
  assertEquals(letters[0].origin, `file "${dir}/dump.msgpack" item 4 at byte ${before.length}`);
  await Deno.remove(dir, { recursive: true });
});

for (const [policy, code] of [["log", 3], ["ignore", 0]] as const) {
  Deno.test(`file source: garbage inside a MessagePack stream under ${policy} skips it and exits ${code}`, async () => {
    const dir = await Deno.makeTempDir();
    const garbage = [0x30, 0x31, 0x54]; // three whole values (fixints 48, 49, 84), but no maps
    const bytes = [...msgpackOf(RECORDS.slice(0, 2)), ...garbage, ...msgpackOf(RECORDS.slice(2))];
    await Deno.writeFile(`${dir}/dump.msgpack`, new Uint8Array(bytes));
    const out = `${dir}/out`;
    const run = await runCli(["run"], {
      config: localRun({ path: `${dir}/dump.msgpack`, value_format: "msgpack" }, out, { error_handling: policy }),
    });
    assertEquals(run.code, code, run.stderr);
    const files = await readParquetTree(out);
    assertEquals(files.flatMap((f) => f.rows.map((r) => ({ id: Number(r.id), name: r.name }))), RECORDS);
    assert.match(run.stdout + run.stderr, /records_failed":1/);
    if (policy === "log") assert.match(run.stdout + run.stderr, /Skipped a record that cannot be decoded/);
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("file source: stdin with value_format auto sniffs MessagePack as files do and writes every record", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/out`;
  const records = Array.from(
    { length: 500 },
    (_, i) => ({ id: i, label: `r${i}`, big: 9007199254740993n + BigInt(i) }),
  );
  const input = new Uint8Array(records.flatMap((r) => [...encode(r, { useBigInt64: true })]));
  const run = await runCli(["run"], {
    config: localRun({ path: "-", value_format: "auto", batch_size: 10000 }, out),
    stdin: input,
  });
  assertEquals(run.code, 0, run.stderr);
  const files = await readParquetTree(out);
  const rows = files.flatMap((f) => f.rows).map((r) => ({ id: Number(r.id), label: r.label, big: r.big }));
  assertEquals(rows, records);
  await Deno.remove(dir, { recursive: true });
});
