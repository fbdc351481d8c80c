import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type Data,
  Dictionary,
  Field,
  Int32,
  Int64,
  List,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { valueAt } from "./arrow_values.ts";
import { column, fixed, FLATTEN, table, tableOf, typedRows } from "./_test_typed.ts";
import type { TypedRows } from "./typed_table.ts";

function leafValues(rows: TypedRows): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const leaf of rows.leaves) {
    out[leaf.name] = leaf.chunks.flatMap((data: Data) =>
      Array.from({ length: data.length }, (_, i) => valueAt(data, i))
    );
  }
  return out;
}

function leafTypes(rows: TypedRows): string[] {
  return rows.leaves.map((leaf) => `${leaf.name}${leaf.nullable ? "?" : ""}: ${leaf.chunks[0]?.type}`);
}

const point = new Struct([new Field("x", new Int32(), true), new Field("y", new Utf8(), true)]);

Deno.test("flattenTable() flattens structs as JSON objects are: parent_child, deeper than max_depth as JSON", () => {
  const inner = new Struct([new Field("deep", new Int64(), true)]);
  const nested = new Struct([new Field("a", new Int32(), true), new Field("t", inner, true)]);
  const source = table({
    m: column([{ a: 1, t: { deep: 5n } }, { a: 2, t: { deep: 6n } }], nested),
  });
  assertEquals(leafTypes(typedRows(source)), ["m_a?: Int32", "m_t_deep?: Int64"]);
  const shallow = typedRows(source, { ...FLATTEN, max_depth: 1, separator: "." });
  assertEquals(leafTypes(shallow), ["m.a?: Int32", "m.t?: Utf8"]);
  assertEquals(leafValues(shallow)["m.t"], ['{"deep":5}', '{"deep":6}']);
});

Deno.test("flattenTable() lifts the struct under hoist_key, a name clash keeping its prefix", () => {
  const data = new Struct([new Field("symbol", new Utf8(), true), new Field("bid", new Int32(), true)]);
  const source = table({
    symbol: column(["top", "top"]),
    data: column([{ symbol: "AAPL", bid: 1 }, { symbol: "MSFT", bid: 2 }], data),
  });
  const rows = typedRows(source);
  assertEquals(rows.leaves.map((leaf) => leaf.name), ["symbol", "data_symbol", "bid"]);
  assertEquals(leafValues(rows), { symbol: ["top", "top"], data_symbol: ["AAPL", "MSFT"], bid: [1, 2] });
  assertEquals(typedRows(source, { ...FLATTEN, hoist_key: null }).leaves.map((leaf) => leaf.name), [
    "symbol",
    "data_symbol",
    "data_bid",
  ]);
});

Deno.test("flattenTable() makes a null struct's fields null and keeps the sender's nullability", () => {
  const fields = [
    new Field("id", new Int64(), false),
    new Field("p", new Struct([new Field("x", new Int32(), false), new Field("y", new Utf8(), true)]), true),
  ];
  const ids = fixed(new Int64(), [1n, 2n, 3n]);
  const p = column([{ x: 1, y: "a" }, null, { x: 3, y: null }], fields[1]!.type);
  const rows = typedRows(tableOf(fields, [ids, p]));
  assertEquals(leafTypes(rows), ["id: Int64", "p_x?: Int32", "p_y?: Utf8"]);
  assertEquals(leafValues(rows), { id: [1, 2, 3], p_x: [1, null, 3], p_y: ["a", null, null] });
});

Deno.test("flattenTable() decodes dictionaries to their values and keeps lists as JSON text or typed lists", () => {
  const symbols = vectorFromArray(["AAPL", null, "MSFT", "AAPL"], new Dictionary(new Utf8(), new Int32())).data[0]!;
  const tags = column([[1, 2], null, [], [3]], new List(new Field("item", new Int32(), true)));
  const source = table({ sym: symbols, tags });
  const json = typedRows(source);
  assertEquals(leafTypes(json), ["sym?: Utf8", "tags?: Utf8"]);
  assertEquals(leafValues(json), { sym: ["AAPL", null, "MSFT", "AAPL"], tags: ["[1,2]", null, "[]", "[3]"] });
  const list = typedRows(source, { ...FLATTEN, lists: "list" });
  assertEquals(leafTypes(list), ["sym?: Utf8", "tags?: List<Int32>"]);
  assertEquals(leafValues(list).tags, [[1, 2], null, [], [3]]);
});

Deno.test("flattenTable() gives a second column of one flattened name the suffix _2", () => {
  const source = table({ a: column([{ x: 1, y: "p" }], point), a_x: column(["second"]) });
  assertEquals(typedRows(source).leaves.map((leaf) => leaf.name), ["a_x", "a_y", "a_x_2"]);
});

Deno.test("TypedRows.valueOf() reads a flattened column of one row, timestamps as Dates, across batches", () => {
  const first = table({
    at: fixed(new TimestampMillisecond("UTC"), [1_760_697_000_123n]),
    p: column([{ x: 1, y: "a" }], point),
  });
  const second = table({ at: fixed(new TimestampMillisecond("UTC"), [0n]), p: column([{ x: 2, y: "b" }], point) });
  const rows = typedRows(new Table([...first.batches, ...second.batches]));
  assertEquals(rows.starts, [0, 1, 2]);
  assertEquals(rows.valueOf("at", 0), new Date(1_760_697_000_123));
  assertEquals(rows.valueOf("p_y", 1), "b");
  assertEquals(rows.valueOf("missing", 0), undefined);
  assert(rows.row(1).rows === rows && rows.row(1).index === 1);
});
