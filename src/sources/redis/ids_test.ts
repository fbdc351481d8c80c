import { deepEqual as assertEquals, throws } from "node:assert/strict";
import {
  comparePositions,
  formatListPosition,
  parseListPosition,
  parseStreamId,
  streamIdTimestampMs,
  streamNameOf,
} from "./ids.ts";

Deno.test("comparePositions() orders stream ids by ms then seq, numerically", () => {
  const ids = ["1700000000001-0", "999-5", "1700000000000-10", "1700000000000-9", "1000-0", "999-40"];
  assertEquals([...ids].sort(comparePositions), [
    "999-5",
    "999-40",
    "1000-0",
    "1700000000000-9",
    "1700000000000-10",
    "1700000000001-0",
  ]);
  assertEquals(comparePositions("5-3", "5-3"), 0);
  assertEquals(comparePositions("18446744073709551615-1", "18446744073709551615-0") > 0, true);
});

Deno.test("comparePositions() orders list positions numerically, padded or not", () => {
  assertEquals(comparePositions(formatListPosition(9), formatListPosition(10)) < 0, true);
  assertEquals(comparePositions("9", formatListPosition(10)) < 0, true);
  assertEquals(comparePositions(formatListPosition(42), "42"), 0);
});

Deno.test("comparePositions() treats a missing seq as 0 and other shapes in text order", () => {
  assertEquals(comparePositions("5", "5-0"), 0);
  assertEquals(comparePositions("0005-01", "5-1"), 0);
  assertEquals(comparePositions("5-1", "5") > 0, true);
  assertEquals(comparePositions("0", "0-0"), 0);
  // Same length, the dash elsewhere: numeric, not text order.
  assertEquals(comparePositions("19-1", "1234") < 0, true);
  assertEquals(comparePositions("1-99", "10-0") < 0, true);
  assertEquals(comparePositions("05-1", "10-0") < 0, true);
  // Not <digits>[-<digits>]: plain text order, as before.
  for (const [a, b] of [["-5", "5"], ["5-", "40"], ["5-1-2", "5-2"], ["x", "10"], ["", "1"]]) {
    assertEquals(Math.sign(comparePositions(a!, b!)), a! < b! ? -1 : 1, `${a} vs ${b}`);
  }
});

Deno.test("formatListPosition() pads to 20 digits so positions also sort as text", () => {
  assertEquals(formatListPosition(7), "00000000000000000007");
  assertEquals(formatListPosition(7) < formatListPosition(10), true);
  assertEquals(parseListPosition("00000000000000000007"), 7n);
  throws(() => parseListPosition("7-1"), SyntaxError);
});

Deno.test("streamIdTimestampMs() is the time a stream id encodes", () => {
  assertEquals(streamIdTimestampMs("1700000000123-4"), 1700000000123);
  assertEquals(parseStreamId("12"), { ms: 12n, seq: 0n });
  throws(() => parseStreamId("abc"), SyntaxError);
});

Deno.test("streamNameOf() joins key and consumer with +", () => {
  assertEquals(streamNameOf("orders:eu", "host-0"), "orders:eu+host-0");
});
