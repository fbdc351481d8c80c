import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  Binary,
  type Data,
  DateDay,
  DateMillisecond,
  Decimal,
  Field,
  FixedSizeBinary,
  Float16,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  TimeMillisecond,
  TimeNanosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
} from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { valueAt } from "./arrow_values.ts";
import { castData } from "./cast.ts";
import { column, fixed } from "./_test_typed.ts";

function rows(data: Data): unknown[] {
  return Array.from({ length: data.length }, (_, i) => valueAt(data, i));
}

Deno.test("castData() widens integers, floats and decimals exactly, keeping null rows", () => {
  const small = fixed(new Int8(), [-128, 0, 127], [1]);
  assertEquals(rows(castData(small, new Int16())), [-128, null, 127]);
  assertEquals(rows(castData(small.slice(1, 2), new Int64())), [null, 127]);
  assertEquals(rows(castData(small, new Float64())), [-128, null, 127]);
  assertEquals(rows(castData(fixed(new Float16(), [0x3e00, 0xc000]), new Float64())), [1.5, -2]);
  const decimal = fixed(new Decimal(1, 5, 128), [15, 0, 0, 0, -25 >>> 0, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]);
  assertEquals(rows(castData(decimal, new Decimal(3, 10, 256))), ["1.500", "-2.500"]);
  assertEquals(rows(castData(decimal, new Float64())), [1.5, -2.5]);
  assertEquals(rows(castData(fixed(new Int32(), [-7, 12]), new Decimal(2, 12, 128))), ["-7.00", "12.00"]);
});

Deno.test("castData() rescales times to a finer unit and Date64 to whole days", () => {
  const ms = fixed(new TimestampMillisecond("UTC"), [1_760_697_000_123n, -1n]);
  assertEquals(rows(castData(ms, new TimestampMicrosecond("UTC"))), [
    new TimestampValue(1_760_697_000_123_000n),
    new TimestampValue(-1000n),
  ]);
  assertEquals(rows(castData(fixed(new TimeMillisecond(), [1500]), new TimeNanosecond())), ["00:00:01.500000000"]);
  assertEquals(rows(castData(fixed(new DateDay(), [1, -1]), new DateMillisecond())), ["1970-01-02", "1969-12-31"]);
  // Date64 values that are not whole days floor to their day (1 ms before the epoch is 1969-12-31).
  assertEquals(rows(castData(fixed(new DateMillisecond(), [86_400_001n, -1n]), new DateDay())), [
    "1970-01-02",
    "1969-12-31",
  ]);
});

Deno.test("castData() writes any value as text, and bytes and lists to their wider forms", () => {
  const ms = fixed(new TimestampMillisecond("UTC"), [1_760_697_000_123n], []);
  assertEquals(rows(castData(ms, new Utf8())), ["2025-10-17T10:30:00.123000Z"]);
  assertEquals(rows(castData(column(["a", null], new Utf8()), new LargeUtf8())), ["a", null]);
  assertEquals(rows(castData(fixed(new FixedSizeBinary(2), [1, 2, 3, 4]).slice(1, 1), new Binary())), [
    new Uint8Array([3, 4]),
  ]);
  const ints = column([[1], null, [2, 3]], new List(new Field("item", new Int32(), true)));
  assertEquals(rows(castData(ints, new List(new Field("item", new Int64(), true)))), [[1], null, [2, 3]]);
  assertEquals(rows(castData(ints, new Utf8())), ["[1]", null, "[2,3]"]);
  throws(() => castData(column(["x"], new Utf8()), new Int32()), TypeError);
});
