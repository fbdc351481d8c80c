import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { decodePayload, type DecodeResult } from "./mod.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function assertStringIncludes(text: string, part: string): void {
  assert(text.includes(part), `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`);
}

function values(result: DecodeResult): unknown[] {
  if (result.kind !== "values") throw new Error(`expected values, got ${result.kind}`);
  return result.values;
}

function reason(result: DecodeResult): string {
  if (result.kind !== "error") throw new Error(`expected an error, got ${result.kind}`);
  return result.reason;
}

Deno.test("decodePayload() json gives one value per message", () => {
  assertEquals(values(decodePayload(utf8('{"a":1,"b":"x"}'), "json")), [{ a: 1, b: "x" }]);
  assertEquals(values(decodePayload(utf8("[1,2]"), "json")), [[1, 2]]);
  assertEquals(values(decodePayload(utf8("42"), "json")), [42]);
  assertEquals(values(decodePayload(utf8("null"), "json")), [null]);
});

Deno.test("decodePayload() json keeps integers beyond 2^53 exact as bigint", () => {
  const [value] = values(decodePayload(utf8('{"id":9007199254740993,"n":-12345678901234567890,"f":1.5}'), "json"));
  assertEquals(value, { id: 9007199254740993n, n: -12345678901234567890n, f: 1.5 });
  assertEquals(values(decodePayload(utf8("[18446744073709551615]"), "json")), [[18446744073709551615n]]);
  assertEquals(values(decodePayload(utf8("9007199254740993"), "json")), [9007199254740993n]);
});

Deno.test("decodePayload() json keeps huge non-integer literals as floats", () => {
  assertEquals(values(decodePayload(utf8('{"a":1e300,"b":12345678901234567.5}'), "json")), [{
    a: 1e300,
    b: 12345678901234568,
  }]);
});

Deno.test("decodePayload() json reads Python's NaN and Infinity tokens as floats", () => {
  const [value] = values(decodePayload(utf8('{"a":NaN,"b":Infinity,"c":-Infinity,"d":"NaN","e":[NaN]}'), "json"));
  const object = value as Record<string, unknown>;
  assert(Number.isNaN(object.a));
  assertEquals(object.b, Infinity);
  assertEquals(object.c, -Infinity);
  assertEquals(object.d, "NaN");
  assert(Number.isNaN((object.e as number[])[0]));
});

Deno.test("decodePayload() json rejects invalid UTF-8 with a reason", () => {
  const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
  assertStringIncludes(reason(decodePayload(bytes, "json")), "invalid UTF-8");
});

Deno.test("decodePayload() json accepts a real U+FFFD and strips a byte-order mark", () => {
  assertEquals(values(decodePayload(utf8('{"a":"\uFFFD"}'), "json")), [{ a: "\uFFFD" }]);
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{"a":1}')]);
  assertEquals(values(decodePayload(withBom, "json")), [{ a: 1 }]);
});

Deno.test("decodePayload() json keeps lone surrogates from escapes (the writer replaces them)", () => {
  assertEquals(values(decodePayload(utf8('{"a":"x\\ud800y"}'), "json")), [{ a: "x\ud800y" }]);
});

Deno.test("decodePayload() json reports syntax errors and empty payloads", () => {
  assertStringIncludes(reason(decodePayload(utf8('{"a":'), "json")), "invalid JSON");
  assertStringIncludes(reason(decodePayload(utf8("{'a':NaN}"), "json")), "invalid JSON");
  assertStringIncludes(reason(decodePayload(utf8(""), "json")), "empty");
  assertStringIncludes(reason(decodePayload(utf8("  \n"), "json")), "empty");
  assertStringIncludes(reason(decodePayload(utf8('{"a":1}{"b":2}'), "json")), "invalid JSON");
});

Deno.test("decodePayload() msgpack keeps int64 exact and decodes bin, timestamps and nested maps", () => {
  const date = new Date(Date.UTC(2025, 9, 17, 10, 30, 0, 123));
  const bytes = encodeMsgpack(
    { big: 2n ** 62n + 1n, small: 7, bin: new Uint8Array([1, 2, 3]), at: date, nested: { x: [1, "a"] } },
    { useBigInt64: true },
  );
  const [value] = values(decodePayload(bytes, "msgpack"));
  const object = value as Record<string, unknown>;
  assertEquals(object.big, 2n ** 62n + 1n);
  assertEquals(object.small, 7);
  assertEquals(object.bin, new Uint8Array([1, 2, 3]));
  assertEquals(object.at, date);
  assertEquals(object.nested, { x: [1, "a"] });
});

Deno.test("decodePayload() msgpack rejects trailing bytes, truncation and empty payloads", () => {
  const bytes = encodeMsgpack({ a: 1 });
  assertStringIncludes(reason(decodePayload(new Uint8Array([...bytes, 0x01]), "msgpack")), "Extra");
  assertStringIncludes(reason(decodePayload(bytes.subarray(0, bytes.length - 1), "msgpack")), "invalid MessagePack");
  assertStringIncludes(reason(decodePayload(new Uint8Array(0), "msgpack")), "empty");
});

Deno.test("decodePayload() auto never reads a JSON text as MessagePack", () => {
  // `{` = 0x7b and `4` = 0x34 are also one-byte MessagePack integers: JSON must win.
  assertEquals(values(decodePayload(utf8('{"a":1}'), "auto")), [{ a: 1 }]);
  assertEquals(values(decodePayload(utf8("4"), "auto")), [4]);
  assertEquals(values(decodePayload(utf8("[1,2]"), "auto")), [[1, 2]]);
  assertEquals(values(decodePayload(utf8('"x"'), "auto")), ["x"]);
  assertEquals(values(decodePayload(utf8("true"), "auto")), [true]);
});

Deno.test("decodePayload() auto reads MessagePack maps and arrays first", () => {
  assertEquals(values(decodePayload(encodeMsgpack({ a: 1, b: "x" }), "auto")), [{ a: 1, b: "x" }]);
  assertEquals(values(decodePayload(encodeMsgpack([1, 2, 3]), "auto")), [[1, 2, 3]]);
  const big = {} as Record<string, number>;
  for (let i = 0; i < 20; i++) big[`k${i}`] = i; // map16 (0xde)
  assertEquals(values(decodePayload(encodeMsgpack(big), "auto")), [big]);
});

Deno.test("decodePayload() auto falls back to MessagePack scalars that are not JSON", () => {
  assertEquals(values(decodePayload(encodeMsgpack(1.5), "auto")), [1.5]); // 0xcb float64
  assertEquals(values(decodePayload(encodeMsgpack("hi"), "auto")), ["hi"]); // fixstr 0xa2
  assertEquals(values(decodePayload(new Uint8Array([0x2a]), "auto")), [42]); // `*` is not JSON: fixint 42
});

Deno.test("decodePayload() auto gives both reasons when neither format fits", () => {
  const message = reason(decodePayload(utf8('{"a":'), "auto"));
  assertStringIncludes(message, "neither JSON nor MessagePack");
  assertStringIncludes(message, "invalid JSON");
  assertStringIncludes(message, "MessagePack");
  assertStringIncludes(reason(decodePayload(new Uint8Array(0), "auto")), "empty");
  // A MessagePack map with trailing garbage is an error, not a JSON attempt.
  assertStringIncludes(reason(decodePayload(new Uint8Array([0x81, 0xa1, 0x61, 0x01, 0x00]), "auto")), "Extra");
});

Deno.test("decodePayload() arrow_ipc gives the message's batches as one table with the sender's types", () => {
  const first = tableFromArrays({ id: Int32Array.from([1, 2]), name: ["a", "b"] });
  const second = tableFromArrays({ id: Int32Array.from([3]), name: [null as unknown as string] });
  const table = first.concat(second);
  const decoded = decodePayload(tableToIPC(table, "stream"), "arrow_ipc");
  if (decoded.kind !== "table") throw new Error(`expected a table, got ${decoded.kind}`);
  assertEquals(decoded.table.batches.length, 2);
  assertEquals(decoded.table.schema.fields.map((f) => `${f.name}:${f.type}`), [
    "id:Int32",
    "name:Dictionary<Int32, Utf8>", // tableFromArrays dictionary-encodes strings; src/arrow/ decodes them
  ]);
  assertEquals(decoded.table.toArray().map((row) => [row.id, row.name]), [[1, "a"], [2, "b"], [3, null]]);
});

Deno.test("decodePayload() arrow_ipc rejects bytes that are not an IPC stream, naming the byte offset", () => {
  assertStringIncludes(reason(decodePayload(utf8('{"a":1}'), "arrow_ipc")), "invalid Arrow IPC stream at byte 0");
  assertStringIncludes(reason(decodePayload(utf8('{"a":1}'), "arrow_ipc")), "looks like JSON");
  const stream = tableToIPC(tableFromArrays({ id: Int32Array.from([1, 2, 3]) }), "stream");
  const cut = reason(decodePayload(stream.subarray(0, stream.length - 20), "arrow_ipc"));
  assert(/at byte [1-9]\d*: record batch body of \d+ bytes runs past the end/.test(cut), cut);
});

Deno.test("decodePayload() msgpack never fails on invalid UTF-8 inside a string", () => {
  // {"a": "a\xffb"} and {"a": "a\xed\xa0"}: a stray byte and a lone surrogate's encoding
  const stray = values(decodePayload(new Uint8Array([0x81, 0xa1, 0x61, 0xa3, 0x61, 0xff, 0x62]), "msgpack"));
  assertEquals(stray, [{ a: "a\u00ffb" }]);
  const surrogate = values(decodePayload(new Uint8Array([0x81, 0xa1, 0x61, 0xa3, 0x61, 0xed, 0xa0]), "msgpack"));
  assertEquals((surrogate[0] as { a: string }).a.startsWith("a"), true);
});

Deno.test("decodePayload() json decodes a message that is a view into a larger buffer, UTF-8 included", () => {
  const whole = utf8('xx{"a":"\u00e9\u20ac\u{1f600}"}yy');
  assertEquals(values(decodePayload(whole.subarray(2, whole.length - 2), "json")), [{ a: "\u00e9\u20ac\u{1f600}" }]);
  const cesu = utf8('{"a":"??????"}');
  cesu.set([0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80], 6); // a surrogate pair as two 3-byte sequences: invalid UTF-8
  assertStringIncludes(reason(decodePayload(cesu, "json")), "invalid UTF-8");
});

Deno.test("decodePayload() auto reads an Arrow IPC stream or file as a table", () => {
  const table = tableFromArrays({ id: Int32Array.from([7]) });
  for (const format of ["stream", "file"] as const) {
    const decoded = decodePayload(tableToIPC(table, format), "auto");
    assert(decoded.kind === "table", format);
    assertEquals(decoded.table.toArray().map((row) => row.id), [7]);
  }
  // 0xff alone is the MessagePack fixint -1: too short to be an IPC stream.
  assertEquals(values(decodePayload(new Uint8Array([0xff]), "auto")), [-1]);
});
