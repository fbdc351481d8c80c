import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { snappyCompress } from "@platformatic/wasm-utils/bundled";
import { type CodecRegistry, registerCodecs, snappyUnframe } from "./codecs.ts";

const TEXT = Buffer.from('{"id":1,"symbol":"AAPL"}'.repeat(200));

/** The Java client's xerial framing: magic, version 1, compatible version 1, then length-prefixed raw blocks. */
function xerial(blocks: readonly Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const framed = blocks.flatMap((block) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    return [length, block];
  });
  return Buffer.concat([header, ...framed]);
}

Deno.test("snappyUnframe() reads raw snappy (librdkafka) and xerial-framed blocks (Java client)", () => {
  assertEquals(snappyUnframe(snappyCompress(TEXT)), TEXT);
  const halves = [TEXT.subarray(0, 1000), TEXT.subarray(1000)];
  assertEquals(snappyUnframe(xerial(halves.map((h) => snappyCompress(h)))), TEXT);
});

Deno.test("snappyUnframe() names the byte offset of a cut xerial block", () => {
  const framed = xerial([snappyCompress(TEXT)]);
  throws(() => snappyUnframe(framed.subarray(0, framed.length - 10)), /at byte 20: \d+ bytes announced, \d+ left/);
});

Deno.test("registerCodecs() gives kafkajs snappy, LZ4 and zstd codecs that round-trip", async () => {
  const codecs: CodecRegistry["codecs"] = {};
  registerCodecs({ codecs, types: { Snappy: 2, LZ4: 3, ZSTD: 4 } });
  for (const type of [2, 3, 4]) {
    const codec = codecs[type]?.();
    assert(codec, `codec ${type} registered`);
    const compressed = await codec.compress({ buffer: TEXT });
    assert(compressed.length < TEXT.length, `codec ${type} compresses`);
    assertEquals(await codec.decompress(compressed), TEXT);
  }
});
