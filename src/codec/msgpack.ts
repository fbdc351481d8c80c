/**
 * MessagePack payload decoding, of one message or of a stream of values (a dump file); the only module that imports
 * `@msgpack/msgpack`.
 *
 * - int64/uint64 wire values decode as `bigint` so they stay exact (smaller integer encodings stay numbers);
 * - a message must hold exactly one MessagePack value: trailing bytes are an error;
 * - `bin` values decode as `Uint8Array`, the timestamp extension (-1) as `Date`, other extensions as an
 *   `ExtData` object (written as JSON text `{"type":N,"data":"<base64>"}`);
 * - map keys must be strings or numbers (numbers become their decimal text); other keys are an error;
 * - invalid UTF-8 inside a `str` value is never an error (unlike JSON, where the whole message is checked, because a
 *   MessagePack message may legitimately hold arbitrary bytes in `bin` values): `@msgpack/msgpack` decodes strings of
 *   up to 200 bytes byte by byte, so a stray 0xff becomes U+00FF and a bad sequence may become a lone surrogate
 *   (written as U+FFFD); longer strings get U+FFFD. The Parquet output is always valid UTF-8.
 * @module
 */
import { decodeMultiStream, Decoder } from "@msgpack/msgpack";

/** Outcome of decoding one MessagePack message. */
export type MsgpackDecodeResult =
  /** The decoded value. */
  | { kind: "value"; value: unknown }
  /** Why the message is not one MessagePack value. */
  | { kind: "error"; reason: string };

const decoder = new Decoder({ useBigInt64: true });

/** Decodes bytes holding exactly one MessagePack value. Never throws. */
export function decodeMsgpack(bytes: Uint8Array): MsgpackDecodeResult {
  if (bytes.length === 0) return { kind: "error", reason: "empty MessagePack payload" };
  try {
    return { kind: "value", value: decoder.decode(bytes) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "error", reason: `invalid MessagePack: ${message}` };
  }
}

/**
 * Decodes a stream of concatenated MessagePack values (a dump file, stdin) one value at a time as the bytes arrive,
 * with the conversions of {@linkcode decodeMsgpack} (int64 as `bigint`, ...). Throws at a byte that starts no value;
 * an incomplete value at the very end (a truncated dump) ends the stream without an error, as `@msgpack/msgpack`
 * does.
 */
export function decodeMsgpackStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  return decodeMultiStream<undefined>(stream, { useBigInt64: true });
}
