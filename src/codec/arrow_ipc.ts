/**
 * Arrow IPC payload decoding: a message holds an Arrow IPC stream (or file) of one or more record batches, decoded
 * into one Arrow table whose columns keep the sender's types; `src/arrow/` builds the output columns from its
 * vectors, never from rows. A dump file is split into one message per record batch
 * ({@linkcode splitArrowIpcBatches}) by copying the bytes of its messages, nothing re-encoded. The only module that
 * imports `apache-arrow` for reading.
 *
 * Malformed bytes are found by walking the messages first (`_ipc_frames.ts`), so a reason names the byte offset of
 * the message that is wrong: `invalid Arrow IPC stream at byte 312: record batch body of 800 bytes runs past the
 * end (500 bytes left)`. ZSTD-compressed bodies are read (the codec of `node:zlib`, registered here once); LZ4-compressed
 * ones are an error naming the compression.
 * @module
 */
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import {
  compressionRegistry,
  CompressionType,
  Message,
  type RecordBatch,
  RecordBatchReader,
  type Schema,
  Table,
} from "apache-arrow";
import { type IpcFrame, readIpcFrames } from "./_ipc_frames.ts";

compressionRegistry.set(CompressionType.ZSTD, {
  encode: (bytes: Uint8Array) => new Uint8Array(zstdCompressSync(bytes)),
  decode: (bytes: Uint8Array) => new Uint8Array(zstdDecompressSync(bytes)),
});

/** Outcome of decoding one Arrow IPC message. */
export type ArrowIpcDecodeResult =
  /** The message's record batches as one table (no rows when the stream holds none). */
  | { kind: "table"; table: Table }
  /** Why the message is not a readable Arrow IPC stream; names a byte offset. */
  | { kind: "error"; reason: string };

/** One item of a split dump: a record batch as an IPC stream of its own, or the bytes that hold no batch. */
export type ArrowIpcItem =
  /** One record batch (with the schema and the dictionaries it needs) as a stream for {@linkcode decodeArrowIpc}. */
  | { kind: "batch"; bytes: Uint8Array; offset: number }
  /** Malformed bytes from `offset` to the end of the input (nothing after them can be framed). */
  | { kind: "error"; bytes: Uint8Array; offset: number; reason: string };

const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Decodes an Arrow IPC stream or file into a table. Never throws. */
export function decodeArrowIpc(bytes: Uint8Array): ArrowIpcDecodeResult {
  const framed = readIpcFrames(bytes);
  if (framed.kind === "error") {
    return { kind: "error", reason: `invalid Arrow IPC stream at byte ${framed.offset}: ${framed.reason}` };
  }
  const batches: RecordBatch[] = [];
  try {
    const reader = RecordBatchReader.from(bytes);
    for (const batch of reader) batches.push(batch);
    return { kind: "table", table: new Table(reader.schema as Schema, batches) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = offsetAfterBatches(framed.frames, batches.length);
    return { kind: "error", reason: `unreadable Arrow IPC content at byte ${at}: ${message}` };
  }
}

/**
 * Do these bytes start like an Arrow IPC stream (the continuation marker 0xFFFFFFFF and more) or file (`ARROW1`)?
 * Used by `value_format: auto`; legacy streams without the marker (Arrow < 0.15) are not recognised.
 */
export function isArrowIpcStart(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  if (bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff) return true;
  return String.fromCharCode(...bytes.subarray(0, 6)) === "ARROW1";
}

/**
 * Splits an Arrow IPC file or stream (a dump file, stdin) into its record batches, each a stream of its own: the
 * schema message, the dictionary batches it refers to, the batch, an end-of-stream marker. Reads the whole input
 * first (an IPC file's footer is at its end). Malformed input ends the split with one `error` item holding the rest
 * of the bytes; the batches before it are yielded.
 */
export async function* splitArrowIpcBatches(stream: ReadableStream<Uint8Array>): AsyncGenerator<ArrowIpcItem> {
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const framed = readIpcFrames(bytes);
  const frames = framed.frames;
  let schema: Uint8Array;
  try {
    schema = frames[0]?.kind === "schema" ? bytes.subarray(frames[0].offset, frames[0].end) : footerSchema(bytes);
  } catch (error) {
    const reason = `unreadable IPC file schema: ${error instanceof Error ? error.message : String(error)}`;
    yield { kind: "error", bytes: bytes.slice(), offset: 0, reason };
    return;
  }
  // Dictionary batches in force, by id: a replacement drops the earlier ones, a delta adds to them.
  const dictionaries = new Map<number, IpcFrame[]>();
  for (const frame of frames) {
    if (frame.kind === "dictionary" && frame.dictionary) {
      const known = frame.dictionary.delta ? dictionaries.get(frame.dictionary.id) ?? [] : [];
      dictionaries.set(frame.dictionary.id, [...known, frame]);
    } else if (frame.kind === "batch") {
      const parts = [...[...dictionaries.values()].flat(), frame].map((f) => bytes.subarray(f.offset, f.end));
      yield { kind: "batch", bytes: concatBytes([schema, ...parts, END_OF_STREAM]), offset: frame.offset };
    }
  }
  if (framed.kind === "error") {
    yield { kind: "error", bytes: bytes.slice(framed.offset), offset: framed.offset, reason: framed.reason };
  }
}

/**
 * Byte offset of the first message after the schema and the first `batches` record batches: where reading stopped
 * (the framing has already read the schema's fields).
 */
function offsetAfterBatches(frames: readonly IpcFrame[], batches: number): number {
  let seen = 0;
  for (let i = 1; i < frames.length; i++) {
    if (seen === batches) return frames[i]!.offset;
    if (frames[i]!.kind === "batch") seen++;
  }
  return frames.at(-1)?.offset ?? 0;
}

/** The schema message of an IPC file that keeps its schema only in the footer, encoded as a stream message. */
function footerSchema(bytes: Uint8Array): Uint8Array {
  const reader = RecordBatchReader.from(bytes).open();
  const metadata = Message.encode(Message.from(reader.schema));
  const padded = (metadata.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xffff_ffff, true);
  view.setInt32(4, padded, true);
  out.set(metadata, 8);
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
