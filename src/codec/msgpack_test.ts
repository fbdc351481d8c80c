import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { decodeMsgpackStream } from "./msgpack.ts";

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

Deno.test("decodeMsgpackStream() yields each value of a dump, across chunk boundaries, int64 as bigint", async () => {
  const big = encode({ big: 9007199254740993n }, { useBigInt64: true });
  const bytes = new Uint8Array([...encode({ id: 1 }), ...big, ...encode("x")]);
  const values = [];
  for await (const value of decodeMsgpackStream(streamOf(bytes.subarray(0, 3), bytes.subarray(3)))) {
    values.push(value);
  }
  assertEquals(values, [{ id: 1 }, { big: 9007199254740993n }, "x"]);
});

Deno.test("decodeMsgpackStream() throws at a byte that starts no value, after the values before it", async () => {
  const values: unknown[] = [];
  await rejects(async () => {
    for await (const value of decodeMsgpackStream(streamOf(new Uint8Array([...encode(1), 0xc1])))) values.push(value);
  }, /0xc1/);
  assertEquals(values, [1]);
});
