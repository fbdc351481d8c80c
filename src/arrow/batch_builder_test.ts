import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Table } from "apache-arrow";
import type { FlattenOptions } from "./batch_builder.ts";
import type { MetadataColumn, MetadataValue } from "../core/source.ts";
import { decodePayload } from "../codec/mod.ts";
import { BatchBuilder } from "./batch_builder.ts";
import { FLATTEN } from "./_test_typed.ts";
import { SchemaMemory } from "./schema_memory.ts";
import { columnValues, isMicrosUtc, tableRows, tableTypes } from "./_test_rows.ts";

function build(
  values: unknown[],
  options: { flatten?: Partial<FlattenOptions>; metadata?: MetadataColumn[]; meta?: (i: number) => MetadataValue[] } =
    {},
): Table {
  const builder = new BatchBuilder({
    metadataColumns: options.metadata ?? [],
    flatten: { ...FLATTEN, ...options.flatten },
  });
  values.forEach((value, i) => assertEquals(builder.append(value, options.meta?.(i) ?? []), { kind: "ok" }));
  const table = builder.finish();
  assert(table !== null);
  return table;
}

function json(text: string): unknown {
  const result = decodePayload(new TextEncoder().encode(text), "json");
  if (result.kind === "error") throw new Error(result.reason);
  if (result.kind !== "values") throw new Error(`expected values, got ${result.kind}`);
  return result.values[0];
}

Deno.test("append() flattens nested objects into parent_child columns", () => {
  const table = build([{ a: 1, m: { x: "e", t: { deep: true } } }]);
  assertEquals(tableRows(table), [{ a: 1n, m_x: "e", m_t_deep: true }]);
});

Deno.test("append() uses the configured separator and keeps objects deeper than max_depth as JSON", () => {
  const table = build([{ m: { x: 1, t: { deep: { deeper: 1 } } } }], { flatten: { separator: ".", max_depth: 1 } });
  assertEquals(tableRows(table), [{ "m.x": 1n, "m.t": '{"deep":{"deeper":1}}' }]);
  const flat = build([{ m: { x: 1 } }], { flatten: { max_depth: 0 } });
  assertEquals(tableRows(flat), [{ m: '{"x":1}' }]);
});

Deno.test("append() hoists the data object to the top level as the collector does", () => {
  const table = build([json(
    '{"event_type":"md","source":"ibkr","data":{"symbol":"AAPL","bid":150.25,"volume":1000000},' +
      '"metadata":{"exchange":"NASDAQ","timestamp":"2025-10-17T10:30:00Z"}}',
  )]);
  assertEquals(Object.keys(tableTypes(table)), [
    "event_type",
    "source",
    "symbol",
    "bid",
    "volume",
    "metadata_exchange",
    "metadata_timestamp",
  ]);
  assertEquals(tableRows(table), [{
    event_type: "md",
    source: "ibkr",
    symbol: "AAPL",
    bid: 150.25,
    volume: 1000000n,
    metadata_exchange: "NASDAQ",
    metadata_timestamp: "2025-10-17T10:30:00.000000Z",
  }]);
});

Deno.test("append() keeps the prefix of a hoisted field whose name is also a top-level field", () => {
  const table = build([{ source: "top", data: { source: "inner", price: 1.5 } }]);
  assertEquals(tableRows(table), [{ source: "top", data_source: "inner", price: 1.5 }]);
});

Deno.test("append() treats a non-object data field, or hoist_key null, as an ordinary field", () => {
  assertEquals(tableRows(build([{ data: "text" }])), [{ data: "text" }]);
  assertEquals(tableRows(build([{ data: { a: 1 } }], { flatten: { hoist_key: null } })), [{ data_a: 1n }]);
  assertEquals(tableRows(build([{ payload: { a: 1 } }], { flatten: { hoist_key: "payload" } })), [{ a: 1n }]);
});

Deno.test("append() writes lists as JSON text by default", () => {
  const table = build([{ tags: [1, "a", { b: null }], empty: [] }]);
  assertEquals(tableRows(table), [{ tags: '[1,"a",{"b":null}]', empty: "[]" }]);
});

Deno.test("append() keeps lists of one scalar kind as Arrow lists with lists: list", () => {
  const table = build([{ ints: [1, 2], strs: ["a"], mixed: [1, "a"], nested: [[1]] }, {
    ints: [3.5, null],
    strs: [],
    mixed: [2],
    nested: [],
  }], { flatten: { lists: "list" } });
  assertEquals(tableTypes(table), {
    ints: "List<Float64>",
    strs: "List<Utf8>",
    mixed: "Utf8",
    nested: "Utf8",
  });
  assertEquals(tableRows(table), [
    { ints: [1, 2], strs: ["a"], mixed: '[1,"a"]', nested: "[[1]]" },
    { ints: [3.5, null], strs: [], mixed: "[2]", nested: "[]" },
  ]);
});

Deno.test("append() turns a list column into JSON text when element kinds conflict across rows", () => {
  const table = build([{ l: [1, 2] }, { l: ["x"] }], { flatten: { lists: "list" } });
  assertEquals(tableTypes(table), { l: "Utf8" });
  assertEquals(columnValues(table, "l"), ["[1,2]", '["x"]']);
});

Deno.test("append() puts payloads that are not objects into value_column", () => {
  const table = build([42, "x", [1], true, null, { a: 1 }], { flatten: { value_column: "raw" } });
  assertEquals(tableTypes(table), { raw: "Utf8", a: "Int64" });
  assertEquals(tableRows(table), [
    { raw: "42", a: null },
    { raw: "x", a: null },
    { raw: "[1]", a: null },
    { raw: "true", a: null },
    { raw: null, a: null },
    { raw: null, a: 1n },
  ]);
});

Deno.test("append() keeps a row for an empty object, with its metadata", () => {
  const table = build([{}, { a: 1 }], {
    metadata: [{ name: "kafka_offset", type: "int64" }],
    meta: (i) => [BigInt(i)],
  });
  assertEquals(tableRows(table), [{ kafka_offset: 0n, a: null }, { kafka_offset: 1n, a: 1n }]);
});

Deno.test("finish() keeps the row count of null-only payloads with no metadata in an all-null value column", () => {
  const table = build([null, {}]);
  assertEquals(table.numRows, 2);
  assertEquals(tableRows(table), [{ value: null }, { value: null }]);
});

Deno.test("finish() returns null when no rows were appended, and the builder is reusable", () => {
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
  assertEquals(builder.finish(), null);
  builder.append({ a: 1 }, []);
  assertEquals(builder.rowCount, 1);
  assertEquals(tableRows(builder.finish() as Table), [{ a: 1n }]);
  assertEquals(builder.rowCount, 0);
  assertEquals(builder.finish(), null);
  builder.append({ b: "x" }, []);
  assertEquals(tableRows(builder.finish() as Table), [{ b: "x" }]);
});

Deno.test("append() puts metadata columns first with their declared types", () => {
  const metadata: MetadataColumn[] = [
    { name: "kafka_topic", type: "utf8" },
    { name: "kafka_partition", type: "int32" },
    { name: "kafka_offset", type: "int64" },
    { name: "kafka_timestamp", type: "timestamp_ms" },
    { name: "kafka_key", type: "binary" },
    { name: "kafka_headers", type: "map_utf8" },
  ];
  const table = build([{ a: 1 }, { a: 2 }], {
    metadata,
    meta: (i) =>
      i === 0
        ? ["orders", 3, 2n ** 60n, 1_760_697_000_123, new Uint8Array([107]), { trace: "t1" }]
        : ["orders", 3, 5n, null, null, null],
  });
  assertEquals(tableTypes(table), {
    kafka_topic: "Utf8",
    kafka_partition: "Int32",
    kafka_offset: "Int64",
    kafka_timestamp: "Timestamp<MILLISECOND, UTC>",
    kafka_key: "Binary",
    kafka_headers: "Map<{key:Utf8, value:Utf8}>",
    a: "Int64",
  });
  assertEquals(tableRows(table), [
    {
      kafka_topic: "orders",
      kafka_partition: 3,
      kafka_offset: 2n ** 60n,
      kafka_timestamp: "2025-10-17T10:30:00.123000Z",
      kafka_key: new Uint8Array([107]),
      kafka_headers: { trace: "t1" },
      a: 1n,
    },
    {
      kafka_topic: "orders",
      kafka_partition: 3,
      kafka_offset: 5n,
      kafka_timestamp: null,
      kafka_key: null,
      kafka_headers: null,
      a: 2n,
    },
  ]);
});

Deno.test("append() never lets a payload field overwrite a metadata column", () => {
  const table = build([{ kafka_offset: "payload", data: { kafka_topic: "inner" } }], {
    metadata: [{ name: "kafka_offset", type: "int64" }, { name: "kafka_topic", type: "utf8" }],
    meta: () => [7n, "orders"],
  });
  assertEquals(tableRows(table), [{
    kafka_offset: 7n,
    kafka_topic: "orders",
    kafka_offset_payload: "payload",
    kafka_topic_payload: "inner",
  }]);
});

Deno.test("append() widens int to float, and anything else that conflicts to string", () => {
  const table = build([
    { i: 1, f: 1, b: true, t: "2025-10-17T10:30:00Z", s: 1 },
    { i: 2, f: 2.5, b: 3, t: "later", s: "x" },
  ]);
  assertEquals(tableTypes(table), { i: "Int64", f: "Float64", b: "Utf8", t: "Utf8", s: "Utf8" });
  assertEquals(tableRows(table), [
    { i: 1n, f: 1, b: "true", t: "2025-10-17T10:30:00.000000Z", s: "1" },
    { i: 2n, f: 2.5, b: "3", t: "later", s: "x" },
  ]);
});

Deno.test("append() widens float then string, keeping earlier rows as text", () => {
  const table = build([{ v: 1 }, { v: 1.5 }, { v: null }, { v: "n/a" }, { v: false }]);
  assertEquals(columnValues(table, "v"), ["1", "1.5", null, "n/a", "false"]);
});

Deno.test("append() back-fills a column that appears mid-file with nulls, and nulls missing fields", () => {
  const rows = Array.from({ length: 200 }, (_, i) => (i < 150 ? { a: i } : { a: i, late: `x${i}` }));
  const table = build(rows);
  const late = columnValues(table, "late");
  assertEquals(late.slice(0, 150).every((value) => value === null), true);
  assertEquals(late[150], "x150");
  assertEquals(late[199], "x199");
  assertEquals(table.schema.fields.every((field) => field.nullable), true);
});

Deno.test("append() keeps integers beyond 2^53 exact in int64 and writes integers beyond int64 as text", () => {
  const table = build([
    json('{"id":9007199254740993,"u":18446744073709551615}'),
    json('{"id":-9223372036854775808,"u":1}'),
  ]);
  assertEquals(tableTypes(table), { id: "Int64", u: "Utf8" });
  assertEquals(tableRows(table), [
    { id: 9007199254740993n, u: "18446744073709551615" },
    { id: -9223372036854775808n, u: "1" },
  ]);
});

Deno.test("append() mixes safe numbers and bigints exactly in one int64 column, and widens them to float", () => {
  const ints = build([{ v: 5 }, { v: 2n ** 62n }, { v: -3 }]);
  assertEquals(columnValues(ints, "v"), [5n, 2n ** 62n, -3n]);
  const floats = build([{ v: 5 }, { v: 2n ** 62n }, { v: 0.5 }]);
  assertEquals(columnValues(floats, "v"), [5, 2 ** 62, 0.5]);
});

Deno.test("append() infers timestamp[us, UTC] from strict ISO-8601 strings and Dates", () => {
  const table = build([
    { t: "2025-10-17T10:30:00.123456Z", d: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)), n: "2025-10-17" },
    { t: "2025-10-17T12:30:00+02:00", d: null, n: "2025-10-17 10:30:00" },
  ]);
  assert(isMicrosUtc(table, "t"));
  assert(isMicrosUtc(table, "d"));
  assertEquals(tableTypes(table).n, "Utf8");
  assertEquals(tableRows(table), [
    { t: "2025-10-17T10:30:00.123456Z", d: "2025-01-02T03:04:05.006000Z", n: "2025-10-17" },
    { t: "2025-10-17T10:30:00.000000Z", d: null, n: "2025-10-17 10:30:00" },
  ]);
});

Deno.test("append() stores NaN and Infinity as floats and replaces lone surrogates with U+FFFD", () => {
  const table = build([json('{"x":NaN,"s":"a\\ud800b"}'), json('{"x":Infinity,"s":"ok"}'), { x: -Infinity }]);
  const x = columnValues(table, "x") as number[];
  assert(Number.isNaN(x[0]));
  assertEquals(x.slice(1), [Infinity, -Infinity]);
  assertEquals(columnValues(table, "s"), ["a\uFFFDb", "ok", null]);
});

Deno.test("append() keeps both of two fields that flatten to the same name, the second as <name>_2", () => {
  const table = build([{ a: { b: 1 }, a_b: 2 }, { a_b: 3, a: { b: 4 } }, { a_b: 5 }]);
  assertEquals(columnValues(table, "a_b"), [1n, 3n, 5n]);
  assertEquals(columnValues(table, "a_b_2"), [2n, 4n, null]);
});

Deno.test("append() stores bytes as binary, and as base64 text when the column widens", () => {
  assertEquals(columnValues(build([{ b: new Uint8Array([1, 2]) }]), "b"), [new Uint8Array([1, 2])]);
  assertEquals(columnValues(build([{ b: new Uint8Array([1, 2]) }, { b: "x" }]), "b"), ["AQI=", "x"]);
});

Deno.test("append() writes non-ASCII text as UTF-8", () => {
  const table = build([{ s: "流:事件 ✓ é" }, { s: "a" }]);
  assertEquals(columnValues(table, "s"), ["流:事件 ✓ é", "a"]);
});

Deno.test("SchemaMemory makes later files of a run start with the widened type", () => {
  const schema = new SchemaMemory();
  const first = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN, schema });
  first.append({ price: 1, tags: 1 }, []);
  first.append({ price: 1.5, tags: "x" }, []);
  assertEquals(tableTypes(first.finish() as Table), { price: "Float64", tags: "Utf8" });
  const second = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN, schema });
  second.append({ price: 2, tags: 3, fresh: true }, []);
  const table = second.finish() as Table;
  assertEquals(tableTypes(table), { price: "Float64", tags: "Utf8", fresh: "Bool" });
  assertEquals(tableRows(table), [{ price: 2, tags: "3", fresh: true }]);
  assertEquals(schema.get("fresh"), { kind: "bool" });
});

Deno.test("SchemaMemory remembers list element kinds and turns conflicting lists into JSON", () => {
  const schema = new SchemaMemory();
  const flatten = { ...FLATTEN, lists: "list" as const };
  const first = new BatchBuilder({ metadataColumns: [], flatten, schema });
  first.append({ l: [1] }, []);
  first.finish();
  const second = new BatchBuilder({ metadataColumns: [], flatten, schema });
  second.append({ l: [2.5] }, []);
  assertEquals(tableTypes(second.finish() as Table), { l: "List<Float64>" });
  assertEquals(schema.get("l"), { kind: "list", element: { kind: "float" } });
  schema.record("l", { kind: "list", element: { kind: "string" } });
  assertEquals(schema.get("l"), { kind: "string" });
});

Deno.test("byteSize and rowCount grow with appended rows", () => {
  const builder = new BatchBuilder({ metadataColumns: [{ name: "k", type: "utf8" }], flatten: FLATTEN });
  assertEquals(builder.byteSize, 0);
  builder.append({ s: "x".repeat(1000), n: 1 }, ["key"]);
  const one = builder.byteSize;
  assert(one >= 1000 + 8 + 3, `byteSize ${one}`);
  builder.append({ s: "y".repeat(1000), n: 2 }, ["key"]);
  assert(builder.byteSize >= one + 1000);
  assertEquals(builder.rowCount, 2);
  builder.finish();
  assertEquals([builder.byteSize, builder.rowCount], [0, 0]);
});

Deno.test("append() skips values that cannot be stored and keeps the batch usable", () => {
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
  const result = builder.append(() => 1, []);
  assertEquals(result.kind, "skipped");
  assertEquals(builder.rowCount, 0);
  builder.append({ a: 1 }, []);
  assertEquals(tableRows(builder.finish() as Table), [{ a: 1n }]);
});

Deno.test("append() handles many rows across buffer growth", () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ i, s: `v${i}`, f: i / 2, b: i % 3 === 0, o: { k: i % 7 } }));
  const table = build(rows);
  assertEquals(table.numRows, 5000);
  const back = tableRows(table);
  assertEquals(back[4999], { i: 4999n, s: "v4999", f: 2499.5, b: false, o_k: 1n });
  assertEquals(back[3], { i: 3n, s: "v3", f: 1.5, b: true, o_k: 3n });
});

Deno.test("deeply nested payloads never crash decoding or building", () => {
  for (const depth of [1000, 200_000]) {
    const text = "[".repeat(depth) + "]".repeat(depth);
    const decoded = decodePayload(new TextEncoder().encode(`{"a":${text}}`), "json");
    const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
    if (decoded.kind === "values") {
      const result = builder.append(decoded.values[0], []);
      if (result.kind === "ok") assertEquals(builder.finish()?.numRows, 1);
      else assertEquals(builder.rowCount, 0);
    } else {
      assert(decoded.kind === "error" && decoded.reason.length > 0);
    }
    builder.append({ ok: 1 }, []);
    assertEquals(tableRows(builder.finish() as Table).at(-1), { ok: 1n });
  }
});

Deno.test("a row that fails midway is undone completely before the next row", () => {
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 300_000; i++) deep = { x: deep };
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
  builder.append({ a: 1, s: "first" }, []);
  const failed = builder.append({ a: -5, s: "partial", deep }, []);
  assertEquals(failed.kind, "skipped");
  assertEquals(builder.rowCount, 1);
  builder.append({ a: 7, s: "third" }, []);
  assertEquals(tableRows(builder.finish() as Table), [{ a: 1n, s: "first", deep_x_x_x_x_x_x_x_x: null }, {
    a: 7n,
    s: "third",
    deep_x_x_x_x_x_x_x_x: null,
  }]);
});

Deno.test("append() keeps nulls that first appear after many valid rows at their own rows", () => {
  const rows = Array.from({ length: 21 }, (_, i) => ({ s: i % 11 === 10 ? null : `v${i}`, n: i === 13 ? null : i }));
  const back = tableRows(build(rows));
  assertEquals(back, rows.map((row) => ({ s: row.s, n: row.n === null ? null : BigInt(row.n) })));
});

Deno.test("a failed row's nulls are undone with it", () => {
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 300_000; i++) deep = { x: deep };
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
  for (let i = 0; i < 9; i++) builder.append({ a: i, s: "x" }, []);
  assertEquals(builder.append({ a: null, s: null, deep }, []).kind, "skipped");
  builder.append({ a: 9, s: "y" }, []);
  const table = builder.finish() as Table;
  assertEquals([table.getChild("a")?.nullCount, table.getChild("s")?.nullCount], [0, 0]);
  assertEquals(tableRows(table).map((row) => row.a), Array.from({ length: 10 }, (_, i) => BigInt(i)));
});

Deno.test("expectedRows only sizes the first buffers: rows past it, nulls, widening and lists come out the same", () => {
  const values = Array.from({ length: 10_000 }, (_, i) => ({
    n: i === 9_000 ? 1.5 : i, // int widened to float after the hint's 8192 rows
    s: i % 7 === 0 ? null : `v${i}`,
    mixed: i < 100 ? i : `t${i}`, // int converted to string inside the first buffers
    flag: i % 3 === 0,
    list: [i, i + 1],
    late: i >= 5_000 ? "x" : undefined,
  }));
  const tables = [undefined, 1, 100, 4_000, 1_000_000].map((expectedRows) => {
    const builder = new BatchBuilder({ metadataColumns: [], flatten: { ...FLATTEN, lists: "list" }, expectedRows });
    for (const value of values) assertEquals(builder.append(value, []), { kind: "ok" });
    const table = builder.finish();
    assert(table !== null);
    return table;
  });
  const expected = tableRows(tables[0]!);
  assertEquals(expected.length, 10_000);
  assertEquals(expected[9_000]?.n, 1.5);
  assertEquals(expected[50]?.mixed, "50");
  for (const table of tables.slice(1)) {
    assertEquals(tableTypes(table), tableTypes(tables[0]!));
    assertEquals(tableRows(table), expected);
  }
});
