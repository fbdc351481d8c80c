import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Table, Timestamp, TimeUnit, vectorFromArray } from "apache-arrow";
import { FieldIdReservations, withFieldIds } from "./field_ids.ts";
import { FIELD_ID_KEY } from "./types.ts";

Deno.test("withFieldIds() writes a slice of millisecond timestamps in microseconds, its own rows", () => {
  const ms = vectorFromArray([1000, 2000, null, 1500, 999, 2001], new Timestamp(TimeUnit.MILLISECOND, "UTC"));
  const table = new Table({ ts: ms }).slice(3, 6);
  const prepared = withFieldIds(table, undefined, 0, new FieldIdReservations());
  assertEquals(prepared.schema.fields[0]!.metadata.get(FIELD_ID_KEY), "1");
  assertEquals((prepared.schema.fields[0]!.type as Timestamp).unit, TimeUnit.MICROSECOND);
  const data = prepared.getChild("ts")!.data[0]!;
  assertEquals([...(data.values as BigInt64Array)], [1_500_000n, 999_000n, 2_001_000n]);
});
