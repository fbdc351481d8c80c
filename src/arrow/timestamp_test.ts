import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseIsoTimestamp } from "./timestamp.ts";

const ms = (iso: string) => Date.parse(iso) * 1000;

Deno.test("parseIsoTimestamp() reads strict ISO-8601 date-times with a zone as microseconds", () => {
  assertEquals(parseIsoTimestamp("2025-10-17T10:30:00Z"), ms("2025-10-17T10:30:00Z"));
  assertEquals(parseIsoTimestamp("2025-10-17T10:30:00.1Z"), ms("2025-10-17T10:30:00.100Z"));
  assertEquals(parseIsoTimestamp("2025-10-17T10:30:00.123456Z"), ms("2025-10-17T10:30:00.123Z") + 456);
  assertEquals(parseIsoTimestamp("2025-10-17T10:30:00.123456789Z"), ms("2025-10-17T10:30:00.123Z") + 456);
  assertEquals(parseIsoTimestamp("2025-10-17T12:30:00+02:00"), ms("2025-10-17T10:30:00Z"));
  assertEquals(parseIsoTimestamp("2025-10-17T05:00:00-05:30"), ms("2025-10-17T10:30:00Z"));
  assertEquals(parseIsoTimestamp("1969-12-31T23:59:59.999999Z"), -1);
  assertEquals(parseIsoTimestamp("2024-02-29T00:00:00Z"), ms("2024-02-29T00:00:00Z"));
  assertEquals(parseIsoTimestamp("0001-01-01T00:00:00Z"), -62135596800000000n);
  assertEquals(parseIsoTimestamp("9999-12-31T23:59:59Z"), 253402300799000000n);
});

Deno.test("parseIsoTimestamp() leaves everything else to be a string", () => {
  for (
    const text of [
      "2025-10-17",
      "2025-10-17T10:30:00", // no zone
      "2025-10-17 10:30:00Z", // space
      "2025-10-17t10:30:00Z",
      "2025-10-17T10:30:00z",
      "2025-10-17T10:30Z",
      "2025-10-17T10:30:00.Z",
      "2025-10-17T10:30:00.1234567890Z",
      "2025-10-17T10:30:00+0200",
      "2025-10-17T10:30:00+02",
      "2025-02-30T10:30:00Z",
      "2023-02-29T10:30:00Z",
      "2025-13-01T10:30:00Z",
      "2025-10-17T24:00:00Z",
      "2025-10-17T10:60:00Z",
      "2025-10-17T10:30:60Z",
      "2025-10-17T10:30:00+24:00",
      "2025-10-17T10:30:00Z ",
      "x025-10-17T10:30:00Z",
      "+2025-10-17T10:30:00Z",
      "hello world, this is not a time",
    ]
  ) {
    assertEquals(parseIsoTimestamp(text), null, text);
  }
});
