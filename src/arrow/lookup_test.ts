import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Field, Int32, Struct, type Table, Utf8 } from "apache-arrow";
import { BatchBuilder } from "./batch_builder.ts";
import { lookupField } from "./lookup.ts";
import { tableRows } from "./_test_rows.ts";
import { column, FLATTEN, table, typedRows } from "./_test_typed.ts";

Deno.test("lookupField() finds flattened, hoisted and nested fields", () => {
  const value = { event: "md", data: { symbol: "AAPL", event: "inner" }, meta: { ex: "N", t: { z: 1 } } };
  assertEquals(lookupField(value, "event", FLATTEN), "md");
  assertEquals(lookupField(value, "symbol", FLATTEN), "AAPL");
  assertEquals(lookupField(value, "data_event", FLATTEN), "inner");
  assertEquals(lookupField(value, "meta_ex", FLATTEN), "N");
  assertEquals(lookupField(value, "meta_t_z", FLATTEN), 1);
  assertEquals(lookupField(value, "missing", FLATTEN), undefined);
  assertEquals(lookupField(value, "meta", FLATTEN), undefined);
  assertEquals(lookupField({ a: null }, "a", FLATTEN), null);
});

Deno.test("lookupField() follows the separator and depth options", () => {
  const value = { m: { x: 1, t: { deep: 2 } } };
  const dotted = { ...FLATTEN, separator: ".", max_depth: 1 };
  assertEquals(lookupField(value, "m.x", dotted), 1);
  assertEquals(lookupField(value, "m.t", dotted), { deep: 2 });
  assertEquals(lookupField(value, "m.t.deep", dotted), undefined);
});

Deno.test("lookupField() gives non-object payloads under value_column only", () => {
  assertEquals(lookupField(42, "value", FLATTEN), 42);
  assertEquals(lookupField(null, "value", FLATTEN), null);
  assertEquals(lookupField("x", "other", FLATTEN), undefined);
});

Deno.test("lookupField() agrees with the batch builder on every column", () => {
  const samples: unknown[] = [
    { a: { b: 1 }, a_b: 2, data: { c: 3, a: 4 }, d: [1, 2], e: { f: { g: "h" } } },
    { x_y: 1, x: { y: 2 } },
    { data: { data: { k: 1 } }, k: 2 },
    { data: "plain", s: { t: null } },
  ];
  for (const flatten of [FLATTEN, { ...FLATTEN, max_depth: 1 }, { ...FLATTEN, hoist_key: null }]) {
    for (const sample of samples) {
      const builder = new BatchBuilder({ metadataColumns: [], flatten });
      builder.append(sample, []);
      const [row] = tableRows(builder.finish() as Table);
      for (const [column, stored] of Object.entries(row as Record<string, unknown>)) {
        const found = lookupField(sample, column, flatten);
        const asStored = typeof found === "number"
          ? BigInt(found)
          : typeof found === "object" && found !== null
          ? JSON.stringify(found)
          : found;
        assertEquals(asStored, stored, `${JSON.stringify(sample)} column ${column}`);
      }
    }
  }
});

Deno.test("lookupField() reads a typed row's flattened column, hoisted and nested like JSON", () => {
  const data = new Struct([
    new Field("symbol", new Utf8(), true),
    new Field(
      "venue",
      new Struct([
        new Field("mic", new Utf8(), true),
      ]),
      true,
    ),
  ]);
  const rows = typedRows(table({
    n: column([1, 2], new Int32()),
    data: column([{ symbol: "AAPL", venue: { mic: "XNAS" } }, { symbol: "MSFT", venue: null }], data),
  }));
  assertEquals(lookupField(rows.row(0), "symbol", FLATTEN), "AAPL");
  assertEquals(lookupField(rows.row(0), "venue_mic", FLATTEN), "XNAS");
  assertEquals(lookupField(rows.row(1), "venue_mic", FLATTEN), null);
  assertEquals(lookupField(rows.row(1), "n", FLATTEN), 2);
  assertEquals(lookupField(rows.row(1), "data_symbol", FLATTEN), undefined);
});
