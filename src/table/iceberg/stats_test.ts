import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Timestamp,
  TimeUnit,
  Uint32,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { fileStats, FileStatsBuilder } from "./stats.ts";
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

Deno.test("FileStatsBuilder over row groups gives the statistics of the whole file", () => {
  const long = "x".repeat(65);
  const t = table([
    ["id", 1, vectorFromArray([5n, -2n, null, 9n, -7n, 3n], new Int64())],
    ["small", 2, vectorFromArray([-1, 300, null, -40, null, 2], new Int32())],
    ["unsigned", 3, vectorFromArray([4_000_000_000, 1, null, 7, 3, 2], new Uint32())],
    ["price", 4, vectorFromArray([1.5, Number.NaN, null, -3, 250, null], new Float64())],
    ["name", 5, vectorFromArray(["b", "a", null, "é", "aa", "c"], new Utf8())],
    // A string too long to bound in the last row group only: the whole file has no bounds for it.
    ["note", 6, vectorFromArray(["m", "n", null, "o", "p", long], new Utf8())],
    ["ts", 7, vectorFromArray([1000, 2000, null, 1500, 999, 2001], new Timestamp(TimeUnit.MILLISECOND, "UTC"))],
    // Nulls only in the first row group: bounds come from the later ones.
    ["late", 8, vectorFromArray([null, null, null, 8n, -8n, 0n], new Int64())],
    ["flag", 9, vectorFromArray([true, null, true, false, null, true], new Bool())],
  ]);
  const whole = fileStats(t);
  for (const cuts of [[0, 2, 4, 6], [0, 3, 6], [0, 1, 2, 3, 4, 5, 6]]) {
    const builder = new FileStatsBuilder();
    for (let i = 1; i < cuts.length; i++) builder.add(t.slice(cuts[i - 1], cuts[i]));
    const parts = builder.finish();
    const plain = (stats: typeof whole) => ({
      values: [...stats.valueCounts],
      nulls: [...stats.nullCounts],
      lower: [...stats.lowerBounds].map(([id, b]) => [id, [...b]]),
      upper: [...stats.upperBounds].map(([id, b]) => [id, [...b]]),
    });
    assertEquals(plain(parts), plain(whole), `row groups cut at ${cuts}`);
  }
  assertEquals([...whole.lowerBounds.keys()], [1, 2, 3, 4, 5, 7, 8, 9]);
  assertEquals([[...whole.lowerBounds.get(9)!], [...whole.upperBounds.get(9)!]], [[0], [1]]);
  assertEquals([...whole.upperBounds.get(3)!], le64(4_000_000_000n));
  const int = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getInt32(0, true);
  assertEquals([int(whole.lowerBounds.get(2)!), int(whole.upperBounds.get(2)!)], [-40, 300]);
});
