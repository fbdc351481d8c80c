import assert, { deepEqual as assertEquals, notEqual as assertNotEquals } from "node:assert/strict";
import { DEFAULT_PARTITION, escapeSegment, escapeStream } from "./escape.ts";
import { referenceEscape } from "./_test_reference.ts";

Deno.test("escapeSegment() keeps plain values and Unicode readable", () => {
  assertEquals(escapeSegment("2025-10-17"), "2025-10-17");
  assertEquals(escapeSegment("流事件"), "流事件");
});

Deno.test("escapeSegment() encodes path separators, colons and traversal", () => {
  assertEquals(escapeSegment("流:事件"), "流%3A事件");
  assertEquals(escapeSegment("/etc/passwd"), "%2Fetc%2Fpasswd");
  assertEquals(escapeSegment(".."), "%2E%2E");
  assertEquals(escapeSegment("."), "%2E");
  assertEquals(escapeSegment("a=b"), "a%3Db");
  assertEquals(escapeSegment("100%"), "100%25");
  assert(!escapeSegment("../../x").includes("/"));
});

Deno.test("escapeSegment() maps empty to the Hive default partition", () => {
  assertEquals(escapeSegment(""), DEFAULT_PARTITION);
});

Deno.test("escapeSegment() shortens long values and keeps them distinct", () => {
  const a = escapeSegment("x".repeat(500) + "a");
  const b = escapeSegment("x".repeat(500) + "b");
  assert(new TextEncoder().encode(a).length <= 200);
  assertNotEquals(a, b);
});

Deno.test("escapeStream() keeps the topic+partition separator", () => {
  assertEquals(escapeStream("orders+3"), "orders+3");
  assertEquals(escapeStream("a/b+1"), "a%2Fb+1");
});

Deno.test("escapeSegment() is byte-identical to escaping character by character", () => {
  const values = ["", ".", "..", "...", "a.b", "x".repeat(200), "x".repeat(201), "é".repeat(100), "é".repeat(101)];
  for (let code = 0; code < 0x100; code++) values.push(String.fromCharCode(code), `a${String.fromCharCode(code)}b`);
  values.push("\ud800", "a\udc00b", "😀".repeat(60), "流".repeat(70), "%2F", "k=v/w", "+1", " spaced ");
  for (const value of values) assertEquals(escapeSegment(value), referenceEscape(value), JSON.stringify(value));
});
