import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Decimal, Float16, TimeNanosecond, TimeSecond, TimestampNanosecond, Uint64 } from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { decimalText, float16, valueAt } from "./arrow_values.ts";
import { fixed } from "./_test_typed.ts";

Deno.test("valueAt() reads decimals of 128 and 256 bits exactly, negatives included", () => {
  const words = (value: bigint, stride: number) =>
    Array.from(
      { length: stride },
      (_, k) => Number(BigInt.asUintN(stride * 32, value) >> BigInt(32 * k) & 0xffff_ffffn),
    );
  const big = 10n ** 40n + 5n;
  const d256 = fixed(new Decimal(1, 45, 256), [...words(big, 8), ...words(-big, 8)]);
  assertEquals([valueAt(d256, 0), valueAt(d256, 1)], [
    "1000000000000000000000000000000000000000.5",
    "-1000000000000000000000000000000000000000.5",
  ]);
  const d128 = fixed(new Decimal(2, 10, 128), [...words(-1n, 4), ...words(0n, 4)]);
  assertEquals([valueAt(d128, 0), valueAt(d128, 1)], ["-0.01", "0.00"]);
  assertEquals(decimalText(5n, -2), "500");
});

Deno.test("valueAt() keeps uint64, nanosecond instants (floored to µs) and times of day", () => {
  assertEquals(valueAt(fixed(new Uint64(), [2n ** 64n - 1n]), 0), 2n ** 64n - 1n);
  const at = fixed(new TimestampNanosecond(), [-1n, 1_500n]);
  assertEquals([valueAt(at, 0), valueAt(at, 1)], [new TimestampValue(-1n), new TimestampValue(1n)]);
  assertEquals(valueAt(fixed(new TimeSecond(), [86_399]), 0), "23:59:59");
  assertEquals(valueAt(fixed(new TimeNanosecond(), [1n]), 0), "00:00:00.000000001");
});

Deno.test("float16() decodes half floats, subnormals and specials", () => {
  assertEquals([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00].map(float16), [
    1,
    -2,
    65504,
    2 ** -24,
    Infinity,
    -Infinity,
  ]);
  assertEquals(Number.isNaN(float16(0x7e00)), true);
  assertEquals(valueAt(fixed(new Float16(), [0x3e00], [0]), 0), null);
});
