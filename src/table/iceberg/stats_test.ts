import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Timestamp,
  TimeUnit,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { fileStats } from "./stats.ts";
import { FIELD_ID_KEY } from "./types.ts";

function table(columns: [string, number, Vector][]): Table {
  const fields = columns.map(([name, id, vector]) =>
    new Field(name, vector.type, true, new Map([[FIELD_ID_KEY, String(id)]]))
  );
  const schema = new Schema(fields);
  const length = columns[0]![2].length;
  const data = makeData({
    type: new Struct(fields),
    length,
    nullCount: 0,
    children: columns.map(([, , v]) => v.data[0]!),
  });
  return new Table(schema, [new RecordBatch(schema, data)]);
}

function le64(value: bigint): number[] {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, value, true);
  return [...out];
}

Deno.test("fileStats() counts values and nulls per field id and bounds longs, doubles, strings and timestamps", () => {
  const t = table([
    ["id", 1, vectorFromArray([5n, -2n, null, 9n], new Int64())],
    ["price", 2, vectorFromArray([1.5, Number.NaN, null, -3], new Float64())],
    ["name", 3, vectorFromArray(["b", "a", null, "é"], new Utf8())],
    ["ts", 4, vectorFromArray([1000, 2000, null, 1500], new Timestamp(TimeUnit.MILLISECOND, "UTC"))],
  ]);
  const stats = fileStats(t);
  assertEquals([...stats.valueCounts], [[1, 4], [2, 4], [3, 4], [4, 4]]);
  assertEquals([...stats.nullCounts], [[1, 1], [2, 1], [3, 1], [4, 1]]);
  assertEquals([...stats.lowerBounds.get(1)!], le64(-2n));
  assertEquals([...stats.upperBounds.get(1)!], le64(9n));
  const double = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getFloat64(0, true);
  assertEquals([double(stats.lowerBounds.get(2)!), double(stats.upperBounds.get(2)!)], [-3, 1.5]);
  assertEquals(new TextDecoder().decode(stats.lowerBounds.get(3)!), "a");
  assertEquals(new TextDecoder().decode(stats.upperBounds.get(3)!), "é");
  // Timestamps are bounded in microseconds whatever the file's unit.
  assertEquals([...stats.lowerBounds.get(4)!], le64(1_000_000n));
  assertEquals([...stats.upperBounds.get(4)!], le64(2_000_000n));
});
