import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Field, Int32, RecordBatch, Schema, Table, vectorFromArray } from "apache-arrow";
import { BatchBuilder } from "./batch_builder.ts";
import { FLATTEN } from "./_test_typed.ts";
import { conformTable } from "./conform.ts";
import { SchemaMemory } from "./schema_memory.ts";
import { decodeParquet } from "../parquet/writer.ts";
import { ParquetStreamWriter } from "../parquet/stream_writer.ts";

function build(values: unknown[], schema?: SchemaMemory): Table {
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN, schema });
  for (const value of values) assertEquals(builder.append(value, []), { kind: "ok" });
  return builder.finish()!;
}

function fieldsOf(table: Table): string[] {
  return table.schema.fields.map((f) => `${f.name}${f.nullable ? "?" : ""}: ${f.type}`);
}

Deno.test("conformTable() fills a missing column with nulls and casts a narrower one, in the file's order", () => {
  const file = build([{ id: 1, price: 1.5, tag: "a" }]);
  const later = build([{ price: 2, id: 2 }, { id: 3, price: 4 }]);
  const conformed = conformTable(later, file.schema);
  assert(conformed !== null);
  assertEquals(fieldsOf(conformed), fieldsOf(file));
  assertEquals(conformed.toArray().map((row) => row.toJSON()), [
    { id: 2n, price: 2, tag: null },
    { id: 3n, price: 4, tag: null },
  ]);
});

Deno.test("conformTable() gives the table itself when its schema is the file's", () => {
  const file = build([{ id: 1 }]);
  const later = build([{ id: 2 }]);
  assert.equal(conformTable(later, file.schema), later);
});

Deno.test("conformTable() refuses a new column, a wider type and nulls for a non-nullable field", () => {
  const file = build([{ id: 1, n: 1 }]);
  assertEquals(conformTable(build([{ id: 2, n: 1, extra: true }]), file.schema), null, "a column the file lacks");
  assertEquals(conformTable(build([{ id: 2, n: 1.5 }]), file.schema), null, "float rows for an int column");
  const strict = new Schema([new Field("id", new Int32(), false)]);
  const withNulls = new Table({ id: vectorFromArray([1, null], new Int32()) });
  assertEquals(conformTable(withNulls, strict), null, "nulls for a non-nullable field");
  const missing = new Table(new Schema([]), [new RecordBatch({})]);
  assertEquals(conformTable(missing, strict), null, "a missing non-nullable column");
});

Deno.test("row groups conformed to the first one's schema make one Parquet file that reads back whole", async () => {
  const memory = new SchemaMemory();
  const groups = [
    build([{ id: 1, side: "buy", px: 1.5 }, { id: 2, side: "sell", px: 2 }], memory),
    build([{ id: 3, px: 3 }], memory), // no side: nulls; px int after float: cast
  ];
  const chunks: Uint8Array[] = [];
  const writer = new ParquetStreamWriter(
    { compression: "snappy", rowGroupSize: 2 },
    (chunk) => Promise.resolve(void chunks.push(chunk.slice())),
  );
  for (const group of groups) await writer.writeBatch(conformTable(group, groups[0]!.schema)!);
  await writer.finish();
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((offset, c) => (bytes.set(c, offset), offset + c.length), 0);
  assertEquals(decodeParquet(bytes).toArray().map((row) => row.toJSON()), [
    { id: 1n, side: "buy", px: 1.5 },
    { id: 2n, side: "sell", px: 2 },
    { id: 3n, side: null, px: 3 },
  ]);
});
