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
