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
import { Decoder } from "@msgpack/msgpack";

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

/** One item of a MessagePack stream, at its byte offset from the start of the stream. */
export type MsgpackStreamItem =
  /** A whole value at a record boundary; `bytes` are exactly its encoding. */
  | { kind: "value"; offset: number; bytes: Uint8Array; value: unknown }
  /**
   * Bytes that hold no value: from the failing byte to the next offset where records can be read again (see
   * {@linkcode decodeMsgpackStream}), or to the end of the stream.
   */
  | { kind: "error"; offset: number; bytes: Uint8Array; reason: string };

/**
 * Decodes a stream of concatenated MessagePack values (a dump file, stdin) one whole value at a time as the bytes
 * arrive, with the conversions of {@linkcode decodeMsgpack} (int64 as `bigint`, ...). Never throws for bad bytes.
 *
 * Each value is framed first (its end is worked out from its type and length bytes, without decoding it), then
 * decoded, so every item carries its byte offset and its exact bytes. The first value decides what the stream holds:
 * a map with string keys makes it a stream of records, where every top-level value must be such a map (a scalar, an
 * array or a map with another key there is garbage, not a row); anything else makes it a stream of values, where
 * any whole value is one. What cannot be read is one `error` item, and reading goes on:
 * - a whole value that does not decode (a map key that is not a string or number): that value; reading goes on
 *   right after it;
 * - a value cut short by the end of the stream (a truncated dump): the bytes from its start to the end;
 * - a byte that starts no value (0xc1), at the top or nested: the bytes from the value's start to the next offset
 *   after the bad byte where records can be read again, or to the end. That offset is found byte by byte: a whole
 *   map with at least one entry and only string keys, followed by the end of the stream or by another such map.
 *   Asking for two maps in a row keeps a stray map-like byte in garbage from being taken for a record;
 * - in a stream of records, a top-level value that is no map with string keys: from its start to the next offset
 *   where records can be read again, found the same way from the byte after its start.
 * MessagePack has no checksums: garbage that happens to form a map with string keys at a record boundary (or a map
 * nested at the end of a damaged record, followed by the next record) cannot be told from data, and a length byte in
 * garbage can make a value seem to run to the end of the stream.
 */
export async function* decodeMsgpackStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<MsgpackStreamItem> {
  const input = new StreamBuffer(stream);
  /** A stream of maps (records), or of any values; set by its first value. */
  let records: boolean | undefined;
  try {
    while (await input.has(input.offset + 1)) {
      const offset = input.offset;
      const framed = await frame(input, offset);
      let next: number;
      let reason: string;
      if (framed.kind === "whole" && (records === false || isRecordMap(input, offset, 0))) {
        const bytes = input.slice(offset, framed.end);
        input.consume(framed.end);
        const decoded = decodeMsgpack(bytes);
        if (decoded.kind === "value") yield { kind: "value", offset, bytes, value: decoded.value };
        else yield { kind: "error", offset, bytes, reason: `${decoded.reason} (value at byte ${offset})` };
        records ??= headOf(bytes[0] as number)?.kind === "map";
        continue;
      } else if (framed.kind === "whole" && records === undefined) {
        records = false; // the first value is no map with string keys: a stream of values
        continue;
      } else if (framed.kind === "whole") {
        next = await resync(input, offset + 1);
        reason = `invalid MessagePack record: the value at byte ${offset} is no map with string keys, in a stream ` +
          `of maps${await againAt(input, next)}`;
      } else if (framed.kind === "truncated") {
        next = input.end;
        reason =
          `truncated MessagePack: the stream ends at byte ${next} inside the value that starts at byte ${offset}`;
      } else {
        next = await resync(input, framed.at + 1);
        reason = `invalid MessagePack: byte 0x${hex(input.byte(framed.at))} at byte ${framed.at} starts no value` +
          await againAt(input, next);
      }
      const bytes = input.slice(offset, next);
      input.consume(next);
      yield { kind: "error", offset, bytes, reason };
    }
  } finally {
    await input.cancel();
  }
}

/** Says where reading goes on after an error, unless it is at the end of the stream. */
async function againAt(input: StreamBuffer, next: number): Promise<string> {
  return await input.has(next + 1) ? `; reading again at byte ${next}` : "";
}

type Frame =
  /** A whole value ends at `end` (exclusive). */
  | { kind: "whole"; end: number }
  /** The byte at `at` starts no value. */
  | { kind: "invalid"; at: number }
  /** The stream ends inside the value. */
  | { kind: "truncated" };

/** Works out where the value at `offset` ends, reading more of the stream as needed, without decoding it. */
async function frame(input: StreamBuffer, offset: number): Promise<Frame> {
  let at = offset;
  let remaining = 1;
  for (;;) {
    // Through the bytes in hand without awaiting, so a stream of small values costs no promise per nested value.
    const end = input.end;
    let need = at + 1;
    while (remaining > 0 && at < end) {
      const head = headOf(input.byte(at));
      if (head === undefined) return { kind: "invalid", at };
      if (at + head.size > end) {
        need = at + head.size;
        break;
      }
      const n = head.lengthBytes > 0 ? input.uint(at + 1, head.lengthBytes) : head.count;
      remaining += head.kind === "map" ? 2 * n - 1 : head.kind === "array" ? n - 1 : -1;
      at += head.size + (head.kind === "bytes" ? n : 0);
      need = at + 1;
    }
    if (remaining === 0) return at <= end || await input.has(at) ? { kind: "whole", end: at } : TRUNCATED;
    if (!await input.has(need)) return TRUNCATED;
  }
}

const TRUNCATED: Frame = { kind: "truncated" };

/** The first offset from `from` where records can be read again (see `decodeMsgpackStream`), or the stream's end. */
async function resync(input: StreamBuffer, from: number): Promise<number> {
  for (let at = from; await input.has(at + 1); at++) {
    const end = await recordMapEnd(input, at, 1);
    if (end === undefined || decodeMsgpack(input.slice(at, end)).kind === "error") continue;
    if (!await input.has(end + 1) || await recordMapEnd(input, end, 1) !== undefined) return at;
  }
  return input.end;
}

/** Where a whole map of `minEntries` entries or more with only string keys starting at `at` ends, if one does. */
async function recordMapEnd(input: StreamBuffer, at: number, minEntries: number): Promise<number | undefined> {
  if (headOf(input.byte(at))?.kind !== "map") return undefined;
  const framed = await frame(input, at);
  return framed.kind === "whole" && isRecordMap(input, at, minEntries) ? framed.end : undefined;
}

/**
 * Is the whole value in hand at `at` a map of `minEntries` entries or more with only string keys? Checked from type
 * bytes only: its values may still fail to decode.
 */
function isRecordMap(input: StreamBuffer, at: number, minEntries: number): boolean {
  const head = headOf(input.byte(at));
  if (head?.kind !== "map") return false;
  const entries = head.lengthBytes > 0 ? input.uint(at + 1, head.lengthBytes) : head.count;
  if (entries < minEntries) return false;
  let key = at + head.size;
  for (let i = 0; i < entries; i++) {
    if (!isStrType(input.byte(key))) return false;
    key = endInHand(input, endInHand(input, key));
  }
  return true;
}

/** The end of a value nested in one whole in hand. */
function endInHand(input: StreamBuffer, offset: number): number {
  let at = offset;
  for (let remaining = 1; remaining > 0;) {
    const head = headOf(input.byte(at)) as Head; // framed already, so every type byte is known
    const n = head.lengthBytes > 0 ? input.uint(at + 1, head.lengthBytes) : head.count;
    remaining += head.kind === "map" ? 2 * n - 1 : head.kind === "array" ? n - 1 : -1;
    at += head.size + (head.kind === "bytes" ? n : 0);
  }
  return at;
}

function isStrType(type: number): boolean {
  return (type >= 0xa0 && type <= 0xbf) || type === 0xd9 || type === 0xda || type === 0xdb;
}

/** How a value's first bytes read: `size` bytes of header, then `n` payload bytes or `n` (or 2n) nested values. */
interface Head {
  readonly kind: "scalar" | "bytes" | "array" | "map";
  /** Bytes of the header, type byte included (for fixed-size scalars: the whole value). */
  readonly size: number;
  /** Bytes of the big-endian length or count after the type byte; 0 when `count` holds it. */
  readonly lengthBytes: number;
  /** The length or count held in the type byte (fix types); payload bytes of fixext. */
  readonly count: number;
}

/** `Head` of each type byte; undefined for 0xc1, which starts no value. */
const HEADS: readonly (Head | undefined)[] = Array.from({ length: 256 }, (_, type) => readHead(type));

function headOf(type: number): Head | undefined {
  return HEADS[type];
}

function readHead(type: number): Head | undefined {
  const h = (kind: Head["kind"], size: number, lengthBytes = 0, count = 0): Head => ({
    kind,
    size,
    lengthBytes,
    count,
  });
  if (type <= 0x7f || type >= 0xe0) return h("scalar", 1);
  if (type <= 0x8f) return h("map", 1, 0, type & 0x0f);
  if (type <= 0x9f) return h("array", 1, 0, type & 0x0f);
  if (type <= 0xbf) return h("bytes", 1, 0, type & 0x1f);
  switch (type) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return h("scalar", 1);
    case 0xc4:
    case 0xd9:
      return h("bytes", 2, 1);
    case 0xc5:
    case 0xda:
      return h("bytes", 3, 2);
    case 0xc6:
    case 0xdb:
      return h("bytes", 5, 4);
    case 0xc7:
      return h("bytes", 3, 1); // ext 8: length, type, data
    case 0xc8:
      return h("bytes", 4, 2);
    case 0xc9:
      return h("bytes", 6, 4);
    case 0xca:
      return h("scalar", 5);
    case 0xcb:
      return h("scalar", 9);
    case 0xcc:
    case 0xd0:
      return h("scalar", 2);
    case 0xcd:
    case 0xd1:
      return h("scalar", 3);
    case 0xce:
    case 0xd2:
      return h("scalar", 5);
    case 0xcf:
    case 0xd3:
      return h("scalar", 9);
    case 0xd4:
      return h("scalar", 3); // fixext 1: type, 1 byte
    case 0xd5:
      return h("scalar", 4);
    case 0xd6:
      return h("scalar", 6);
    case 0xd7:
      return h("scalar", 10);
    case 0xd8:
      return h("scalar", 18);
    case 0xdc:
      return h("array", 3, 2);
    case 0xdd:
      return h("array", 5, 4);
    case 0xde:
      return h("map", 3, 2);
    case 0xdf:
      return h("map", 5, 4);
    default:
      return undefined; // 0xc1, never used
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/** The bytes of a stream from the first unconsumed one, addressed by offsets from the start of the stream. */
class StreamBuffer {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #bytes = new Uint8Array(0);
  /** Index in `#bytes` of the first unconsumed byte, the one at offset `#base`. */
  #start = 0;
  #stop = 0;
  #base = 0;
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Offset of the first unconsumed byte. */
  get offset(): number {
    return this.#base;
  }

  /** Offset just past the last byte read so far (the stream's length once it has ended). */
  get end(): number {
    return this.#base + this.#stop - this.#start;
  }

  /** Reads until the bytes before offset `end` are in hand; false if the stream ends first. */
  async has(end: number): Promise<boolean> {
    while (this.end < end && !this.#done) {
      const { done, value } = await this.#reader.read();
      if (done) this.#done = true;
      else this.#append(value);
    }
    return this.end >= end;
  }

  /** The byte at `offset` (in hand). */
  byte(offset: number): number {
    return this.#bytes[this.#start + offset - this.#base] as number;
  }

  /** The big-endian unsigned integer of `size` bytes at `offset` (in hand). */
  uint(offset: number, size: number): number {
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + this.byte(offset + i);
    return n;
  }

  /** A copy of the bytes from `start` to `end` (in hand). */
  slice(start: number, end: number): Uint8Array {
    return this.#bytes.slice(this.#start + start - this.#base, this.#start + end - this.#base);
  }

  /** Drops the bytes before offset `end`. */
  consume(end: number): void {
    this.#start += end - this.#base;
    this.#base = end;
  }

  /** Stops reading the stream. */
  async cancel(): Promise<void> {
    if (!this.#done) await this.#reader.cancel().catch(() => {});
    this.#reader.releaseLock();
  }

  #append(chunk: Uint8Array): void {
    const kept = this.#stop - this.#start;
    if (this.#stop + chunk.length > this.#bytes.length) {
      const size = kept + chunk.length;
      const target = size > this.#bytes.length / 2 ? new Uint8Array(Math.max(2 * size, 64 * 1024)) : this.#bytes;
      target.set(this.#bytes.subarray(this.#start, this.#stop));
      this.#bytes = target;
      this.#start = 0;
      this.#stop = kept;
    }
    this.#bytes.set(chunk, this.#stop);
    this.#stop += chunk.length;
  }
}
