/**
 * The record-batch codecs kafkajs lacks: snappy, LZ4 and zstd (gzip and uncompressed are built in). Snappy and LZ4
 * come from `@platformatic/wasm-utils` (Rust codecs compiled to WebAssembly, inlined in its `bundled` entry so
 * `deno compile` carries them); zstd from `node:zlib`. No native add-on, so the single binary reads every topic.
 *
 * Kafka's snappy batches come in two shapes: raw snappy (librdkafka, Go clients) or the xerial framing of the Java
 * client (an 8-byte magic, two version words, then length-prefixed raw blocks); both are read. LZ4 is the LZ4 frame
 * format every current client writes.
 * @module
 */
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import { lz4Compress, lz4Decompress, snappyCompress, snappyDecompress } from "@platformatic/wasm-utils/bundled";

/** A kafkajs codec: what `CompressionCodecs[type]()` returns. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** kafkajs's codec registry and type numbers, passed in so that only `source.ts` loads kafkajs. */
export interface CodecRegistry {
  readonly codecs: Record<number, () => Codec>;
  readonly types: { readonly Snappy: number; readonly LZ4: number; readonly ZSTD: number };
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** Decompresses a snappy record batch, raw or xerial-framed; a RangeError names the byte offset of a cut block. */
export function snappyUnframe(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return snappyDecompress(data);
  }
  const blocks: Buffer[] = [];
  let offset = XERIAL_HEADER_BYTES;
  while (offset < data.length) {
    if (offset + 4 > data.length) {
      throw new RangeError(`Cannot read snappy block at byte ${offset}: its length is cut short`);
    }
    const length = data.readUInt32BE(offset);
    offset += 4;
    if (offset + length > data.length) {
      throw new RangeError(
        `Cannot read snappy block at byte ${offset}: ${length} bytes announced, ${data.length - offset} left`,
      );
    }
    blocks.push(snappyDecompress(data.subarray(offset, offset + length)));
    offset += length;
  }
  return Buffer.concat(blocks);
}

const SNAPPY: Codec = {
  compress: (encoder) => Promise.resolve(snappyCompress(encoder.buffer)),
  decompress: (buffer) => Promise.resolve(snappyUnframe(buffer)),
};
const LZ4: Codec = {
  compress: (encoder) => Promise.resolve(lz4Compress(encoder.buffer)),
  decompress: (buffer) => Promise.resolve(lz4Decompress(buffer)),
};
const ZSTD: Codec = {
  compress: (encoder) => Promise.resolve(zlib.zstdCompressSync(encoder.buffer)),
  decompress: (buffer) => Promise.resolve(zlib.zstdDecompressSync(buffer)),
};

/** Registers snappy, LZ4 and zstd with kafkajs; idempotent. */
export function registerCodecs(registry: CodecRegistry): void {
  registry.codecs[registry.types.Snappy] = () => SNAPPY;
  registry.codecs[registry.types.LZ4] = () => LZ4;
  registry.codecs[registry.types.ZSTD] = () => ZSTD;
}
