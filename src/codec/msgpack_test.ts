import { deepStrictEqual as assertEquals } from "node:assert/strict";
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { decodeMsgpackStream, type MsgpackStreamItem } from "./msgpack.ts";

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

async function items(...chunks: Uint8Array[]): Promise<MsgpackStreamItem[]> {
  const out = [];
  for await (const item of decodeMsgpackStream(streamOf(...chunks))) out.push(item);
  return out;
}

/** Items without their bytes: [kind, offset, value or reason]. */
function brief(list: MsgpackStreamItem[]): unknown[] {
  return list.map((i) => i.kind === "value" ? ["value", i.offset, i.value] : ["error", i.offset, i.bytes.length]);
}

Deno.test("decodeMsgpackStream() yields each value of a dump with its offset, across chunk boundaries", async () => {
  const big = encode({ big: 9007199254740993n }, { useBigInt64: true });
  const bytes = concat(encode({ id: 1 }), big, encode({}));
  const got = await items(bytes.subarray(0, 3), bytes.subarray(3, 4), bytes.subarray(4));
  assertEquals(brief(got), [
    ["value", 0, { id: 1 }],
    ["value", 5, { big: 9007199254740993n }],
    ["value", 5 + big.length, {}],
  ]);
  assertEquals(got[1]!.bytes, big);
});

Deno.test("decodeMsgpackStream() reads a stream whose first value is no map as values of any kind", async () => {
  const got = await items(concat(encode("x"), encode([1, 2]), encode({ id: 1 }), encode(7)));
  assertEquals(brief(got), [["value", 0, "x"], ["value", 2, [1, 2]], ["value", 5, { id: 1 }], ["value", 10, 7]]);
});

Deno.test("decodeMsgpackStream() makes values that are no maps between records one error, not rows", async () => {
  const one = encode({ id: 1 });
  const got = await items(concat(one, [0x30, 0x31, 0x54], encode({ id: 2 }), encode({ id: 3 })));
  assertEquals(brief(got), [["value", 0, { id: 1 }], ["error", 5, 3], ["value", 8, { id: 2 }], ["value", 13, {
    id: 3,
  }]]);
  assert.match((got[1] as { reason: string }).reason, /value at byte 5 is no map with string keys.*again at byte 8/);
});

Deno.test("decodeMsgpackStream() reports a truncated value at its byte offset, after the values before it", async () => {
  const one = encode({ id: 1, name: "a" });
  const two = encode({ id: 2, name: "b" });
  const got = await items(concat(one, two.subarray(0, 5)));
  assertEquals(brief(got), [["value", 0, { id: 1, name: "a" }], ["error", one.length, 5]]);
  const error = got[1] as Extract<MsgpackStreamItem, { kind: "error" }>;
  assert.match(
    error.reason,
    new RegExp(`truncated MessagePack: the stream ends at byte ${one.length + 5} .* ${one.length}$`),
  );
  assertEquals(error.bytes, two.subarray(0, 5));
});

Deno.test("decodeMsgpackStream() skips garbage to the next two maps in a row, as one error", async () => {
  const records = [1, 2, 3, 4].map((id) => encode({ id, name: `n${id}` }));
  const garbage = [0xc1, 0x81, 0xa1, 0x61, 0x01, 0xc1]; // the map {a: 1} inside is not followed by a map
  const bytes = concat(records[0]!, garbage, records[1]!, records[2]!, records[3]!);
  const got = await items(bytes);
  const at = records[0]!.length;
  assertEquals(brief(got), [
    ["value", 0, { id: 1, name: "n1" }],
    ["error", at, garbage.length],
    ["value", at + garbage.length, { id: 2, name: "n2" }],
    ["value", at + garbage.length + records[1]!.length, { id: 3, name: "n3" }],
    ["value", at + garbage.length + 2 * records[1]!.length, { id: 4, name: "n4" }],
  ]);
  assertEquals(got[1]!.bytes, new Uint8Array(garbage));
  assert.match((got[1] as { reason: string }).reason, new RegExp(`byte 0xc1 at byte ${at} starts no value`));
});

Deno.test("decodeMsgpackStream() takes a last map after garbage, since the end of the stream follows it", async () => {
  const got = await items(concat(encode({ id: 1 }), [0xc1, 0xc1], encode({ id: 2 })));
  assertEquals(brief(got), [["value", 0, { id: 1 }], ["error", 5, 2], ["value", 7, { id: 2 }]]);
});

Deno.test("decodeMsgpackStream() makes a whole value with a key it cannot use one error, and goes on after it", async () => {
  const bad = concat([0x81, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0x01]); // {1n: 1}, a uint64 key
  const got = await items(concat(bad, encode({ id: 2 })));
  assertEquals(brief(got), [["error", 0, bad.length], ["value", bad.length, { id: 2 }]]);
  assert.match((got[0] as { reason: string }).reason, /key must be string or number.*\(value at byte 0\)/);
});

Deno.test("decodeMsgpackStream() never yields values from random bytes after the first error", async () => {
  let seed = 7;
  const random = new Uint8Array(4096).map(() => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
  random[0] = 0xc1;
  const got = await items(random);
  assertEquals(got.length, 1);
  assertEquals(got[0]!.kind, "error");
  assertEquals(got[0]!.bytes.length, random.length);
});

Deno.test("decodeMsgpackStream() gives the same items when the bytes arrive one at a time", async () => {
  const bytes = concat(
    encode({ id: 1, tags: ["a", "b"], blob: new Uint8Array(300) }),
    [0xc1, 0x30],
    encode({ id: 2, text: "x".repeat(70000) }),
    encode({ id: 3 }),
    encode({ id: 4 }).subarray(0, 3),
  );
  const whole = brief(await items(bytes));
  assertEquals(whole.map((i) => (i as unknown[])[0]), ["value", "error", "value", "value", "error"]);
  const single = [];
  const oneByOne = ReadableStream.from((function* () {
    for (const b of bytes) yield new Uint8Array([b]);
  })());
  for await (const item of decodeMsgpackStream(oneByOne)) single.push(item);
  assertEquals(brief(single), whole);
});
