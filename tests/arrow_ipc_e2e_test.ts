/**
 * End-to-end tests of typed Arrow IPC input: payloads written by pyarrow (an independent Arrow implementation) go
 * through the real CLI, from a Redis list of one IPC stream per item and from IPC file and stream dumps, into local
 * Parquet, which DuckDB and pyarrow read back: every column keeps the sender's type (int64 stays BIGINT, a
 * timestamp with its zone stays a TIMESTAMP of the same instant, decimals stay DECIMAL, dictionary strings are
 * strings, nulls are nulls), row counts are equal, and malformed IPC bytes are named at their byte offset and go where
 * the error policy says.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { adminClient, uniqueKey } from "./redis_helpers.ts";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { type PyArrowPayloads, writePyArrowPayloads } from "./helpers/pyarrow_ipc.ts";
import { readWithDuckDB, readWithPyArrow } from "./readers/mod.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";

/** DuckDB's type of every payload column, as pyarrow sent it (see `helpers/pyarrow_ipc.py`). */
const DUCKDB_TYPES = {
  id: "BIGINT",
  i8: "TINYINT",
  qty: "BIGINT", // int32 in some messages, int64 in others: widened
  u64: "UBIGINT",
  f32: "FLOAT",
  price: "DECIMAL(12,3)",
  ok: "BOOLEAN",
  name: "VARCHAR",
  note: "VARCHAR",
  blob: "BLOB",
  day: "DATE",
  at: "TIMESTAMP WITH TIME ZONE",
  at_ns: "TIMESTAMP_NS",
  at_s: "TIMESTAMP WITH TIME ZONE", // seconds are written as milliseconds, as pyarrow does
  t: "TIME",
  tags: "INTEGER[]",
  side: "VARCHAR", // dictionary-encoded by the sender
  symbol: "VARCHAR", // data.symbol, hoisted
  venue_mic: "VARCHAR",
  nothing: "VARCHAR", // Arrow null type: null in every row
  extra: "SMALLINT",
};

const PAYLOAD_COLUMNS = Object.keys(DUCKDB_TYPES).map((name) => `"${name}"`).join(", ");

async function parquetFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(folder)) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".parquet")) found.push(path);
    }
  };
  await walk(root);
  return found.sort();
}

/** Rows and column types DuckDB reads from every file, payload columns only, by id. */
async function readBack(root: string) {
  const files = await parquetFiles(root);
  const result = await readWithDuckDB(files, { sql: `SELECT ${PAYLOAD_COLUMNS} FROM data ORDER BY id` });
  const types = Object.fromEntries(result.columns.map((c) => [c.name, c.type]));
  return { files, rows: result.rows, types };
}

/** Epoch nanoseconds of `at_ns` by id, and each column's Parquet repetition in `file`. */
async function exactness(files: string[], file: string) {
  const ns = await readWithDuckDB(files, { sql: "SELECT id::VARCHAR AS id, epoch_ns(at_ns) AS ns FROM data" });
  const quoted = file.replaceAll("'", "''");
  const schema = await readWithDuckDB(files, {
    sql: `SELECT name, repetition_type FROM parquet_schema('${quoted}') WHERE name IN ('id', 'qty', 'price')`,
  });
  return {
    ns: Object.fromEntries(ns.rows.map((row) => [row.id as string, BigInt(row.ns as number | bigint)])),
    repetition: Object.fromEntries(schema.rows.map((row) => [row.name, row.repetition_type])),
  };
}

function assertRows(actual: Record<string, unknown>[], payloads: PyArrowPayloads, tags: "list" | "json") {
  equal(actual.length, payloads.count, "row count");
  const expected = tags === "list"
    ? payloads.rows
    : payloads.rows.map((row) => ({ ...row, tags: row.tags === null ? null : JSON.stringify(row.tags) }));
  for (let i = 0; i < expected.length; i++) assertEquals(actual[i], expected[i], `row ${i}`);
}

Deno.test("Arrow IPC from pyarrow on a Redis list keeps every type in the Parquet DuckDB and pyarrow read", async () => {
  await ensureRunning(["redis"]);
  const dir = await Deno.makeTempDir({ prefix: "fsds-arrow-e2e-" });
  const key = uniqueKey("arrow-ipc");
  const redis = await adminClient();
  try {
    const payloads = await writePyArrowPayloads(dir);
    const broken = payloads.messages[2]!.subarray(0, payloads.messages[2]!.length >> 1);
    // The broken payload is item 4: between the third and fourth batches.
    await redis.call("RPUSH", key, ...payloads.messages.slice(0, 3), broken, ...payloads.messages.slice(3));
    const out = `${dir}/out`;
    const run = await runCliWithConfig(
      {
        source: { type: "redis", ...endpoints().redis, list_keys: [key], value_format: "arrow_ipc", batch_size: 500 },
        sink: { type: "local", path: out },
        pipeline: { error_handling: "dead_letter", flatten: { lists: "list" } },
        telemetry: { log_level: "INFO" },
      },
      ["--until-caught-up"],
      { tempPrefix: "fsds-arrow-e2e-" },
    );
    equal(run.code, 0, run.log);

    const { files, rows, types } = await readBack(out);
    equal(files.length, 6, "one file per 500-row message");
    assertEquals(types, DUCKDB_TYPES);
    assertRows(rows, payloads, "list");
    const { ns, repetition } = await exactness(files, files[2]!);
    assertEquals(ns, Object.fromEntries(Object.entries(payloads.atNs).map(([id, v]) => [id, BigInt(v)])));
    // The sender's non-nullable id is REQUIRED; the third message sent qty as int32, the run had widened it already.
    assertEquals(repetition, { id: "REQUIRED", qty: "OPTIONAL", price: "OPTIONAL" });

    const arrow = await readWithPyArrow(files[2]!);
    const pyTypes = Object.fromEntries(arrow.columns.map((c) => [c.name, c.type]));
    assertEquals(
      [pyTypes.id, pyTypes.qty, pyTypes.u64, pyTypes.price, pyTypes.at, pyTypes.at_ns, pyTypes.side, pyTypes.tags],
      [
        "int64",
        "int64",
        "uint64",
        "decimal128(12, 3)",
        "timestamp[ms, tz=America/New_York]",
        "timestamp[ns]",
        "string",
        "list<item: int32>",
      ],
    );
    equal(pyTypes.redis_key, "string");

    const [letters] = await Promise.all([Deno.readTextFile(await deadLetterFile(out))]);
    const letter = JSON.parse(letters.trim());
    equal(letter.origin, `redis list "${key}" item 4 (consumer "${letter.origin.match(/consumer "(.*)"/)[1]}")`);
    const offset = Number(/^invalid Arrow IPC stream at byte (\d+): .*runs past the end/.exec(letter.reason)?.[1]);
    assert(offset > 0 && offset < broken.length, letter.reason);
    assertEquals(Uint8Array.from(atob(letter.value_base64), (c) => c.charCodeAt(0)), broken);
  } finally {
    await redis.call("DEL", key);
    redis.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function deadLetterFile(root: string): Promise<string> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(folder)) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".jsonl")) found.push(path);
    }
  };
  await walk(`${root}/_dead_letter`);
  equal(found.length, 1, found.join(", "));
  return found[0]!;
}

Deno.test("Arrow IPC dumps from pyarrow (file, stream, ZSTD) through the file source keep their types; a cut dump names its byte offset", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds-arrow-e2e-" });
  try {
    const payloads = await writePyArrowPayloads(dir);
    for (const dump of [payloads.dumpFile, payloads.dumpStream, payloads.dumpZstd]) {
      const out = `${dir}/out-${dump.slice(dump.lastIndexOf("/") + 1)}`;
      const run = await runCliWithConfig({
        source: { type: "file", path: dump, value_format: "auto", batch_size: 1000 },
        sink: { type: "local", path: out },
      });
      equal(run.code, 0, run.log);
      const { rows, types } = await readBack(out);
      assertEquals(types, { ...DUCKDB_TYPES, tags: "VARCHAR" }, dump); // lists: json, the default
      assertRows(rows, payloads, "json");
    }

    // A stream dump cut 40 bytes into the fourth batch: three batches are written, the rest is one failed item.
    const bytes = await Deno.readFile(payloads.dumpStream);
    const at = payloads.streamOffsets[3]!;
    const cut = `${dir}/cut.arrows`;
    await Deno.writeFile(cut, bytes.subarray(0, at + 40));
    const logged = await runCliWithConfig({
      source: { type: "file", path: cut, value_format: "arrow_ipc" },
      sink: { type: "local", path: `${dir}/out-cut` },
      pipeline: { error_handling: "log" },
      telemetry: { log_format: "json" },
    });
    equal(logged.code, 3, logged.log);
    const warning = logged.log.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
      .find((line) => line.message === "Skipped a record that cannot be decoded");
    equal(warning?.origin, `file "${cut}" item 4 at byte ${at}`, logged.log);
    assert(/^invalid Arrow IPC: .* runs past the end/.test(warning.reason), warning.reason);
    equal((await readBack(`${dir}/out-cut`)).rows.length, 3 * 500);

    // LZ4-compressed bodies are not read: the first batch and everything after it is one failed item, named so.
    const lz4 = await runCliWithConfig({
      source: { type: "file", path: payloads.dumpLz4, value_format: "arrow_ipc" },
      sink: { type: "local", path: `${dir}/out-lz4` },
      pipeline: { error_handling: "log" },
    });
    equal(lz4.code, 3, lz4.log);
    assert(lz4.log.includes("LZ4-compressed, which this reader does not support"), lz4.log);

    const raised = await runCliWithConfig({
      source: { type: "file", path: cut, value_format: "arrow_ipc" },
      sink: { type: "local", path: `${dir}/out-raise` },
      pipeline: { error_handling: "raise" },
    });
    equal(raised.code, 1, raised.log);
    assert(raised.log.includes(`Cannot decode file "${cut}" item 4 at byte ${at}: invalid Arrow IPC: `), raised.log);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
