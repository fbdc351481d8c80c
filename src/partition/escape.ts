/**
 * Escaping of values that become path segments (partition values, stream names). Follows Hive's rule: characters
 * that mean something in a path or URL are percent-encoded; other Unicode (e.g. `流`) stays readable. The result can
 * never be empty, `.` or `..`, and never contains `/`, so a value cannot leave the output root.
 * @module
 */

/** Hive's name for a null or empty partition value; every engine reads it back as NULL. */
export const DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__";

const MAX_SEGMENT_BYTES = 200;
const encoder = new TextEncoder();

// Control characters, and the characters Hive escapes: " # % ' * / : = ? \ { [ ] ^ and DEL, plus + and space
// kept readable. `+` is our file-name separator, so it is escaped inside values too.
const ESCAPED = new Uint8Array(0x80);
ESCAPED.fill(1, 0, 0x20);
ESCAPED[0x7f] = 1;
for (const char of "\"#%'*/:=?\\{[]^+") ESCAPED[char.charCodeAt(0)] = 1;

function needsEscape(code: number): boolean {
  return ESCAPED[code] === 1;
}

/**
 * Escapes one path segment. Empty strings become {@linkcode DEFAULT_PARTITION}; `.` and `..` are encoded; segments
 * longer than 200 UTF-8 bytes are cut and suffixed with a hash so distinct values stay distinct.
 */
export function escapeSegment(value: string): string {
  const length = value.length;
  if (length === 0) return DEFAULT_PARTITION;
  if (length <= MAX_SEGMENT_BYTES && isPlainAscii(value) && value !== "." && value !== "..") return value;
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code < 0x80 && needsEscape(code)) out += "%" + code.toString(16).toUpperCase().padStart(2, "0");
    else if (code >= 0xd800 && code <= 0xdfff) out += "%EF%BF%BD"; // lone surrogate -> U+FFFD
    else out += char;
  }
  if (out === "." || out === "..") out = out.replaceAll(".", "%2E");
  if (encoder.encode(out).length > MAX_SEGMENT_BYTES) out = shorten(out);
  return out;
}

/** Is every character printable ASCII that needs no escape? Then the value is its own escaped form. */
function isPlainAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80 || ESCAPED[code] === 1) return false;
  }
  return true;
}

/** Escapes a stream name for a file name: like {@linkcode escapeSegment} but `+` (topic+partition) is kept. */
export function escapeStream(stream: string): string {
  return stream.split("+").map(escapeSegment).join("+");
}

function shorten(value: string): string {
  let cut = "";
  for (const char of value) {
    if (encoder.encode(cut + char).length > MAX_SEGMENT_BYTES - 18) break;
    cut += char;
  }
  return `${cut}~${fnv1a(value)}`;
}

/** 64-bit FNV-1a of a string, as 16 hex digits: a stable short fingerprint (not cryptographic). */
export function fnv1a(value: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of encoder.encode(value)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}
