/**
 * Raw buffer helpers of a `Column` (private to `src/arrow/`): growing the UTF-8/bytes buffer, writing text into it,
 * and the validity bitmap made at a column's first null.
 * @module
 */

/** Utf8/Binary offsets are int32: a column's text must stay under 2 GiB. */
const MAX_BYTES = 0x7fff_ffff;

const encoder = new TextEncoder();
/** Non-ASCII text longer than this (UTF-16 units) goes to `TextEncoder.encodeInto`. */
const NATIVE_FROM = 64;

/**
 * A larger copy of `bytes` (its first `used` bytes kept) with room for at least `needed` bytes.
 * @throws {RangeError} when `needed` is past 2 GiB.
 */
export function grownBytes(bytes: Uint8Array, used: number, needed: number): Uint8Array<ArrayBuffer> {
  if (needed > MAX_BYTES) throw new RangeError(`Cannot grow a column past 2 GiB: ${needed} bytes needed`);
  const grown = new Uint8Array(Math.min(MAX_BYTES, Math.max(1024, bytes.length * 2, needed)));
  grown.set(bytes.subarray(0, used));
  return grown;
}

/**
 * Writes `text` as UTF-8 into `bytes` at `pos` and returns the position after it; `bytes` must have room for three
 * bytes per UTF-16 unit of `text`.
 */
export function writeUtf8(bytes: Uint8Array, pos: number, text: string): number {
  const n = text.length;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    bytes[pos + i] = c;
  }
  if (i === n) return pos + n;
  pos += i;
  // Longer text: the native encoder (which also replaces lone surrogates by U+FFFD) is faster than the loop below,
  // which spares short text the slice and the view that the call needs.
  if (n - i > NATIVE_FROM) return pos + encoder.encodeInto(i === 0 ? text : text.slice(i), bytes.subarray(pos)).written;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes[pos++] = c;
    } else if (c < 0x800) {
      bytes[pos++] = 0xc0 | (c >> 6);
      bytes[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = c <= 0xdbff && i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        const code = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        bytes[pos++] = 0xf0 | (code >> 18);
        bytes[pos++] = 0x80 | ((code >> 12) & 0x3f);
        bytes[pos++] = 0x80 | ((code >> 6) & 0x3f);
        bytes[pos++] = 0x80 | (code & 0x3f);
        i++;
      } else {
        bytes[pos++] = 0xef; // a lone surrogate: U+FFFD
        bytes[pos++] = 0xbf;
        bytes[pos++] = 0xbd;
      }
    } else {
      bytes[pos++] = 0xe0 | (c >> 12);
      bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/** The validity bitmap made at the first null of a column holding `n` rows: the rows before it are all valid. */
export function allValidBitmap(n: number, capacity: number): Uint8Array {
  const validity = new Uint8Array((Math.max(capacity, n + 1) + 7) >> 3);
  validity.fill(0xff, 0, n >> 3);
  if ((n & 7) !== 0) validity[n >> 3] = (1 << (n & 7)) - 1;
  return validity;
}
