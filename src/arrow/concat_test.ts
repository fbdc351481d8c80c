import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  Bool,
  type Data,
  Decimal,
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Int32,
  LargeUtf8,
  List,
  Struct,
  Utf8,
} from "apache-arrow";
import { valueAt } from "./arrow_values.ts";
import { column, fixed } from "./_test_typed.ts";
import { concatData, estimateBytes } from "./concat.ts";

function rows(data: Data): unknown[] {
  return Array.from({ length: data.length }, (_, i) => valueAt(data, i));
}

Deno.test("concatData() joins slices at any bit offset with runs of nulls, for flat types", () => {
  const bools = column([true, false, null, true, true, false, true, false, true, true], new Bool());
  // Data.slice(offset, length): rows 3-7, two nulls, rows 1-2, every row.
  const joined = concatData(new Bool(), [bools.slice(3, 5), 2, bools.slice(1, 2), bools.slice(0, 10)]);
  assertEquals(rows(joined), [
    ...[true, true, false, true, false],
    ...[null, null],
    ...[false, null],
    ...[true, false, null, true, true, false, true, false, true, true],
  ]);
  const text = column(["a", null, "ccc", "dd"], new Utf8());
  assertEquals(rows(concatData(new Utf8(), [text.slice(2, 2), 1, text.slice(0, 2)])), ["ccc", "dd", null, "a", null]);
  const large = column(["x", "yy"], new LargeUtf8());
  assertEquals(rows(concatData(new LargeUtf8(), [large, 1, large.slice(1, 1)])), ["x", "yy", null, "yy"]);
  const ints = fixed(new Int32(), [1, 2, 3, 4], [1]);
  assertEquals(rows(concatData(new Int32(), [ints.slice(1, 3), ints])), [null, 3, 4, 1, null, 3, 4]);
  const decimal = fixed(new Decimal(1, 5, 128), [15, 0, 0, 0, 25, 0, 0, 0]);
  assertEquals(rows(concatData(decimal.type, [decimal.slice(1, 1), 1, decimal])), ["2.5", null, "1.5", "2.5"]);
  const bytes = fixed(new FixedSizeBinary(2), [1, 2, 3, 4]);
  assertEquals(
    rows(concatData(bytes.type, [bytes.slice(1, 1), bytes])),
    [[3, 4], [1, 2], [3, 4]].map((b) => new Uint8Array(b)),
  );
});

Deno.test("concatData() joins lists, fixed-size lists and structs with their children", () => {
  const list = column([[1, 2], null, [], [3]], new List(new Field("item", new Int32(), true)));
  assertEquals(rows(concatData(list.type, [list.slice(2, 2), 2, list.slice(0, 1)])), [[], [3], null, null, [1, 2]]);
  const pairs = column([[1, 2], [3, 4], null], new FixedSizeList(2, new Field("item", new Int32(), true)));
  assertEquals(rows(concatData(pairs.type, [pairs.slice(1, 2), 1, pairs.slice(0, 1)])), [[3, 4], null, null, [1, 2]]);
  const point = new Struct([new Field("x", new Int32(), true), new Field("y", new Utf8(), true)]);
  const points = column([{ x: 1, y: "a" }, null, { x: 3, y: "c" }], point);
  assertEquals(rows(concatData(point, [points.slice(1, 2), 1, points.slice(0, 1)])), [
    null,
    { x: 3, y: "c" },
    null,
    { x: 1, y: "a" },
  ]);
});

Deno.test("concatData() refuses a dictionary (normalise first) and Utf8 past 2 GiB of offsets", () => {
  const text = column(["a"], new Utf8());
  throws(() => concatData(column(["a"]).type, [column(["a"])]), /normalise it first/);
  const huge = text.clone(text.type, 0, 1, 0, [
    Int32Array.from([0, 0x7fff_ffff]),
    text.values,
    undefined,
    undefined,
  ] as never);
  throws(() => concatData(new Utf8(), [huge, huge]), RangeError);
});

Deno.test("estimateBytes() counts a slice's own rows", () => {
  const text = column(Array.from({ length: 100 }, () => "0123456789"), new Utf8());
  assertEquals(estimateBytes(text.slice(0, 10)), 10 * 10 + 4 * 10);
  assertEquals(estimateBytes(fixed(new Int32(), [1, 2, 3])), 12);
  assertEquals(estimateBytes(5), 0);
});
