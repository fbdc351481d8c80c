import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { Decimal, Field, Int32, Int64, type Table, TimestampMillisecond, Uint16 } from "apache-arrow";
import { BatchBuilder } from "./batch_builder.ts";
import { tableRows, tableTypes } from "./_test_rows.ts";
import { fixed, FLATTEN, schemaOf, tableOf, typedRows } from "./_test_typed.ts";
import { COMPRESSIONS } from "../core/plugin.ts";
import { decodeParquet, encodeParquet } from "../parquet/writer.ts";

function sampleTable(rows = 300): Table {
  const builder = new BatchBuilder({
    metadataColumns: [{ name: "kafka_offset", type: "int64" }, { name: "kafka_timestamp", type: "timestamp_ms" }],
    flatten: { separator: "_", max_depth: 8, hoist_key: "data", lists: "list", value_column: "value" },
  });
  for (let i = 0; i < rows; i++) {
    builder.append({
      id: `id-${i}`,
      side: i % 2 ? "buy" : "sell",
      price: i / 4,
      qty: i,
      big: 2n ** 62n + BigInt(i),
      ok: i % 3 === 0,
      at: `2025-10-17T10:30:00.${String(i).padStart(6, "0")}Z`,
      tags: [i, i + 1],
      nested: { a: i % 5 === 0 ? null : "x" },
    }, [BigInt(i), 1_760_697_000_000 + i]);
  }
  return builder.finish() as Table;
}

for (const compression of COMPRESSIONS) {
  Deno.test(`encodeParquet() with ${compression} decodes back to the same rows and types`, () => {
    const table = sampleTable();
    const bytes = encodeParquet(table, { compression, rowGroupSize: 128 });
    assertEquals(new TextDecoder().decode(bytes.subarray(0, 4)), "PAR1");
    const back = decodeParquet(bytes);
    assertEquals(back.numRows, table.numRows);
    assertEquals(tableTypes(back), tableTypes(table));
    assertEquals(tableRows(back), tableRows(table));
  });
}

Deno.test("encodeParquet() compresses repetitive data with a codec", () => {
  const table = sampleTable(2000);
  const plain = encodeParquet(table, { compression: "none", rowGroupSize: 10_000 }).length;
  const zstd = encodeParquet(table, { compression: "zstd", rowGroupSize: 10_000 }).length;
  assert(zstd < plain, `zstd ${zstd} bytes, none ${plain} bytes`);
});

Deno.test("encodeParquet() rejects a bad row group size and never fails on a level it does not apply", () => {
  const table = sampleTable(3);
  throws(() => encodeParquet(table, { compression: "snappy", rowGroupSize: 0 }), /row group size 0/);
  const bytes = encodeParquet(table, { compression: "snappy", compressionLevel: 3, rowGroupSize: 10 });
  assertEquals(decodeParquet(bytes).numRows, 3);
});

Deno.test("encodeParquet() writes lone surrogates in names and values as U+FFFD", () => {
  const builder = new BatchBuilder({
    metadataColumns: [],
    flatten: { separator: "_", max_depth: 8, hoist_key: "data", lists: "json", value_column: "value" },
  });
  builder.append({ "k\ud800": "v\udfff", ok: "fine" }, []);
  const back = decodeParquet(encodeParquet(builder.finish() as Table, { compression: "snappy", rowGroupSize: 10 }));
  assertEquals(tableRows(back), [{ "k\uFFFD": "v\uFFFD", ok: "fine" }]);
});

Deno.test("encodeParquet() writes the same rows with dictionary encoding off, auto or on", () => {
  const table = sampleTable(500);
  for (const dictionary of ["off", "auto", "on"] as const) {
    const back = decodeParquet(encodeParquet(table, { compression: "snappy", rowGroupSize: 1000, dictionary }));
    assertEquals(tableRows(back), tableRows(table), dictionary);
  }
  throws(
    () => encodeParquet(table, { compression: "snappy", rowGroupSize: 1000, dictionary: "yes" as "on" }),
    /unknown dictionary mode "yes"/,
  );
});

Deno.test("encodeParquet() keeps typed (Arrow IPC) columns' types and nullability", () => {
  const source = tableOf(
    [
      new Field("id", new Int64(), false),
      new Field("qty", new Int32(), true),
      new Field("port", new Uint16(), true),
      new Field("price", new Decimal(2, 9, 128), true),
      new Field("at", new TimestampMillisecond("Asia/Tokyo"), true),
    ],
    [
      fixed(new Int64(), [1n, 2n]),
      fixed(new Int32(), [5, 0], [1]),
      fixed(new Uint16(), [65535, 1]),
      fixed(new Decimal(2, 9, 128), [12345, 0, 0, 0, 1, 0, 0, 0]),
      fixed(new TimestampMillisecond("Asia/Tokyo"), [1_760_697_000_123n, 0n]),
    ],
  );
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
  const rows = typedRows(source);
  builder.appendRows(rows, 0, rows.length, []);
  const built = builder.finish() as Table;
  const back = decodeParquet(encodeParquet(built, { compression: "zstd", rowGroupSize: 10 }));
  assertEquals(schemaOf(back), [
    "id: Int64",
    "qty?: Int32",
    "port?: Uint16",
    "price?: Decimal[9e+2]",
    "at?: Timestamp<MILLISECOND, Asia/Tokyo>",
  ]);
  assertEquals(tableRows(back).map((row) => [row.id, row.qty, row.port]), [[1n, 5, 65535], [2n, null, 1]]);
});
