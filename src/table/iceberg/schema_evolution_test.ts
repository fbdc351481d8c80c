import { deepStrictEqual as assertEquals, equal, throws } from "node:assert/strict";
import { Int32, Int64, Table, Timestamp, TimeUnit, Utf8, vectorFromArray } from "apache-arrow";
import { FieldIdReservations, withFieldIds } from "./field_ids.ts";
import { evolveSchema, FieldIdConflict } from "./schema_evolution.ts";
import type { IcebergSchema } from "./types.ts";
import { FIELD_ID_KEY } from "./types.ts";

const SCHEMA: IcebergSchema = {
  type: "struct",
  "schema-id": 0,
  fields: [
    { id: 1, name: "id", required: false, type: "long" },
    { id: 2, name: "price", required: false, type: "double" },
    { id: 3, name: "qty", required: false, type: "int" },
  ],
};

function ids(table: Table): [string, string | undefined, string][] {
  return table.schema.fields.map((f) => [f.name, f.metadata.get(FIELD_ID_KEY), String(f.type)]);
}

Deno.test("withFieldIds() keeps known ids, converts ints of a double field and reserves ids past last-column-id", () => {
  const table = new Table({
    id: vectorFromArray([1n, 2n], new Int64()),
    price: vectorFromArray([3n, 4n], new Int64()),
    tag: vectorFromArray(["a", "b"], new Utf8()),
  });
  const reservations = new FieldIdReservations();
  const prepared = withFieldIds(table, SCHEMA, 3, reservations);
  assertEquals(ids(prepared), [["id", "1", "Int64"], ["price", "2", "Float64"], ["tag", "4", "Utf8"]]);
  assertEquals(prepared.getChild("price")!.toArray(), new Float64Array([3, 4]));
  // The same new column in another file of the run gets the same id.
  equal(ids(withFieldIds(new Table({ tag: vectorFromArray(["c"], new Utf8()) }), SCHEMA, 3, reservations))[0]![1], "4");
});

Deno.test("evolveSchema() adds new fields, promotes int to long, replaces a field whose type cannot be promoted", () => {
  const reservations = new FieldIdReservations();
  const file = withFieldIds(
    new Table({
      id: vectorFromArray(["x"], new Utf8()), // long -> string: not a promotion
      qty: vectorFromArray([1n], new Int64()), // int -> long: promoted in place
      tag: vectorFromArray(["a"], new Utf8()),
    }),
    SCHEMA,
    3,
    reservations,
  );
  const evolution = evolveSchema(SCHEMA, 3, [file.schema], 1);
  equal(evolution.changed, true);
  equal(evolution.schema["schema-id"], 1);
  equal(evolution.lastColumnId, 5);
  assertEquals(evolution.schema.fields.map((f) => [f.id, f.name, f.type]), [
    [2, "price", "double"],
    [3, "qty", "long"],
    [4, "id", "string"],
    [5, "tag", "string"],
  ]);
});

Deno.test("evolveSchema() keeps the schema when the files match it", () => {
  const file = withFieldIds(
    new Table({ qty: vectorFromArray([1], new Int32()) }),
    SCHEMA,
    3,
    new FieldIdReservations(),
  );
  const evolution = evolveSchema(SCHEMA, 3, [file.schema], 1);
  equal(evolution.changed, false);
  equal(evolution.schema["schema-id"], 0);
});

Deno.test("evolveSchema() reports a file whose new id another writer took meanwhile", () => {
  const file = withFieldIds(new Table({ a: vectorFromArray(["x"], new Utf8()) }), SCHEMA, 3, new FieldIdReservations());
  const taken: IcebergSchema = {
    ...SCHEMA,
    fields: [...SCHEMA.fields, { id: 4, name: "b", required: false, type: "long" }],
  };
  throws(() => evolveSchema(taken, 4, [file.schema], 1), FieldIdConflict);
});

Deno.test("withFieldIds() writes millisecond timestamps in microseconds, nulls kept", () => {
  const ms = new Timestamp(TimeUnit.MILLISECOND, "UTC");
  const table = new Table({ ts: vectorFromArray([1_700_000_000_123, null, -1], ms) });
  const prepared = withFieldIds(table, undefined, 0, new FieldIdReservations());
  const field = prepared.schema.fields[0]!;
  equal((field.type as Timestamp).unit, TimeUnit.MICROSECOND);
  equal(field.metadata.get(FIELD_ID_KEY), "1");
  const data = prepared.batches[0]!.data.children[0]!;
  assertEquals([...(data.values as BigInt64Array)].filter((_, i) => data.getValid(i)), [
    1_700_000_000_123_000n,
    -1000n,
  ]);
  equal(data.nullCount, 1);
  equal(data.getValid(1), false);
});
