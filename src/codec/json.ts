/**
 * JSON payload decoding: strict UTF-8, one JSON value per message, exact integers beyond 2^53, and Python's `NaN` /
 * `Infinity` tokens.
 *
 * The common path is `TextDecoder` + `JSON.parse`. UTF-8 is checked strictly but cheaply: the lenient decoder runs
 * first and the (three times slower) fatal one only when the text holds a U+FFFD, so invalid UTF-8 is an error while
 * a real U+FFFD passes. Two slower paths run only when needed:
 * - a parsed number beyond ±(2^53-1) (found by a walk of the parsed value, far cheaper than scanning the text)
 *   re-parses the message with a reviver that turns integer literals that a number cannot hold exactly into
 *   `bigint` (V8 gives revivers the literal's source); non-integer literals stay floats;
 * - a text that `JSON.parse` rejects and that contains `NaN` or `Infinity` is re-parsed with those bare tokens
 *   (as Python's `json.dumps` writes them) read as the float values NaN, Infinity and -Infinity.
 *
 * {@linkcode decodeJsonBatch} decodes the messages of one read together: their bytes joined as one JSON array, one
 * `TextDecoder` call and one `JSON.parse` per 64 KiB (faster than a call each, see the README's benchmark section).
 * Its results are exactly those of {@linkcode decodeJson} for each message: the join is trusted only when every
 * message is a self-contained value (a byte scan: brackets balanced, never a comma at top level, no string left
 * open) and the whole joined text parses, and then each array element is exactly one message's text; otherwise, and
 * for a message with a U+FFFD or a huge number, that group is decoded one by one, so every error keeps its reason.
 * @module
 */

/** Outcome of decoding one JSON message. */
export type JsonDecodeResult =
  /** The decoded value. */
  | { kind: "value"; value: unknown }
  /** Why the message is not JSON. */
  | { kind: "error"; reason: string };

const lenientDecoder = new TextDecoder("utf-8");
const fatalDecoder = new TextDecoder("utf-8", { fatal: true });
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INTEGER_LITERAL = /^-?\d+$/;
const NON_FINITE_TOKEN = /NaN|Infinity/;
// Stand-ins for NaN/Infinity in the rewritten text; the reviver maps them back to numbers.
const NAN_MARK = "\u0000fsds:NaN\u0000";
const POS_INF_MARK = "\u0000fsds:+Infinity\u0000";
const NEG_INF_MARK = "\u0000fsds:-Infinity\u0000";

interface ReviverContext {
  readonly source?: string;
}

function exactIntegerReviver(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value)) {
    const source = context?.source;
    if (source !== undefined && INTEGER_LITERAL.test(source)) return BigInt(source);
  }
  return value;
}

function nonFiniteReviver(key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === "string") {
    if (value === NAN_MARK) return NaN;
    if (value === POS_INF_MARK) return Infinity;
    if (value === NEG_INF_MARK) return -Infinity;
    return value;
  }
  return exactIntegerReviver(key, value, context);
}

type Reviver = (this: unknown, key: string, value: unknown) => unknown;

/** Decodes UTF-8 bytes holding one JSON value. Never throws. */
export function decodeJson(bytes: Uint8Array): JsonDecodeResult {
  const text = lenientDecoder.decode(bytes);
  if (text.includes("\uFFFD")) {
    try {
      fatalDecoder.decode(bytes);
    } catch {
      return { kind: "error", reason: "invalid UTF-8 in JSON payload" };
    }
  }
  return parseJsonText(text);
}

/** Does a parsed JSON value hold a number beyond the safe integer range (a big integer that lost precision)? */
function hasHugeNumber(value: unknown): boolean {
  if (typeof value === "number") return value > MAX_SAFE || value < -MAX_SAFE;
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasHugeNumber(item)) return true;
    return false;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    const item = object[key];
    if (typeof item === "number" ? item > MAX_SAFE || item < -MAX_SAFE : hasHugeNumber(item)) return true;
  }
  return false;
}

/** Parses one JSON text (see the module doc for the exact-integer and NaN rules). Never throws. */
export function parseJsonText(text: string): JsonDecodeResult {
  try {
    const value = JSON.parse(text);
    if (hasHugeNumber(value)) {
      return { kind: "value", value: JSON.parse(text, exactIntegerReviver as Reviver) };
    }
    return { kind: "value", value };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (text.trim() === "") return { kind: "error", reason: "empty JSON payload" };
    if (NON_FINITE_TOKEN.test(text)) {
      const rewritten = rewriteNonFiniteTokens(text);
      if (rewritten !== null) {
        try {
          return { kind: "value", value: JSON.parse(rewritten, nonFiniteReviver as Reviver) };
        } catch {
          // fall through to the original error, which points at the real mistake
        }
      }
    }
    return { kind: "error", reason: `invalid JSON: ${message}` };
  }
}

/** Replaces bare `NaN`, `Infinity` and `-Infinity` tokens outside strings by marker strings; null if none. */
function rewriteNonFiniteTokens(text: string): string | null {
  let out = "";
  let last = 0;
  let inString = false;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    let token: string | null = null;
    let mark = "";
    if (c === 0x4e && text.startsWith("NaN", i)) [token, mark] = ["NaN", NAN_MARK];
    else if (c === 0x49 && text.startsWith("Infinity", i)) [token, mark] = ["Infinity", POS_INF_MARK];
    else if (c === 0x2d && text.startsWith("-Infinity", i)) [token, mark] = ["-Infinity", NEG_INF_MARK];
    if (token !== null) {
      out += text.slice(last, i) + JSON.stringify(mark);
      i += token.length - 1;
      last = i + 1;
      found = true;
    }
  }
  return found ? out + text.slice(last) : null;
}

/** The decoded values of several messages, see {@linkcode decodeJsonBatch}. */
export interface JsonBatch {
  /** The value of each payload, by index; undefined for a null payload and where `errors` has an entry. */
  readonly values: readonly unknown[];
  /** Why a payload could not be decoded, by index; empty when every one was decoded. */
  readonly errors: ReadonlyMap<number, string>;
}

/**
 * Bytes joined into one parse at most; a larger read is parsed in several groups. 64 KiB was as fast as 1 MiB in the
 * pipeline benchmark, which held ~40 MiB more at its peak.
 */
const JOIN_BYTES = 64 * 1024;
const NO_ERRORS: ReadonlyMap<number, string> = new Map();
let scratch = new Uint8Array(0);

/**
 * Decodes several JSON payloads (null entries are skipped), with the results {@linkcode decodeJson} gives for each
 * one; see the module doc. Never throws.
 */
export function decodeJsonBatch(payloads: readonly (Uint8Array | null)[]): JsonBatch {
  const values: unknown[] = new Array(payloads.length);
  let errors: Map<number, string> | undefined;
  for (let start = 0; start < payloads.length;) {
    let end = start;
    let bytes = 1;
    let count = 0;
    for (; end < payloads.length; end++) {
      const payload = payloads[end];
      if (payload === null || payload === undefined) continue;
      if (count > 0 && bytes + payload.length + 1 > JOIN_BYTES) break;
      bytes += payload.length + 1;
      count++;
    }
    if (count < 2 || !parseJoined(payloads, start, end, bytes, count, values)) {
      for (let i = start; i < end; i++) {
        const payload = payloads[i];
        if (payload === null || payload === undefined) continue;
        const result = decodeJson(payload);
        if (result.kind === "value") values[i] = result.value;
        else (errors ??= new Map()).set(i, result.reason);
      }
    }
    start = end;
  }
  return { values, errors: errors ?? NO_ERRORS };
}

/** Parses payloads `start..end` joined as `[a,b,...]` into `values`; false (nothing trusted) when it cannot. */
function parseJoined(
  payloads: readonly (Uint8Array | null)[],
  start: number,
  end: number,
  bytes: number,
  count: number,
  values: unknown[],
): boolean {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, 2 * scratch.length));
  const buffer = scratch;
  let pos = 0;
  buffer[pos++] = 0x5b; // [
  for (let i = start; i < end; i++) {
    const payload = payloads[i];
    if (payload === null || payload === undefined) continue;
    if (!isSelfContained(payload)) return false;
    if (pos > 1) buffer[pos++] = 0x2c; // ,
    buffer.set(payload, pos);
    pos += payload.length;
  }
  buffer[pos++] = 0x5d; // ]
  const text = lenientDecoder.decode(buffer.subarray(0, pos));
  if (text.includes("\uFFFD")) return false; // invalid UTF-8, or a real U+FFFD: one by one tells them apart
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (!Array.isArray(parsed) || parsed.length !== count) return false;
  let next = 0;
  for (let i = start; i < end; i++) {
    const payload = payloads[i];
    if (payload === null || payload === undefined) continue;
    const value = parsed[next++];
    if (hasHugeNumber(value)) {
      const exact = parseJsonText(lenientDecoder.decode(payload));
      values[i] = exact.kind === "value" ? exact.value : value;
    } else {
      values[i] = value;
    }
  }
  return true;
}

/**
 * Can these bytes stand between two commas of a JSON array as exactly one element? True when, outside strings,
 * brackets never close more than they opened and are balanced at the end, no comma is at the top level, and no
 * string is left open. Then, if the joined array parses, each payload is one element (no value spans two payloads
 * and none holds two).
 */
function isSelfContained(bytes: Uint8Array): boolean {
  // A string is skipped by its own tight loop rather than a state flag tested at every byte: a third less time on the
  // bench's records (most of whose bytes are keys and text).
  const n = bytes.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x22) {
      for (i++;; i++) {
        if (i >= n) return false; // a string left open
        const d = bytes[i]!;
        if (d === 0x22) break;
        if (d === 0x5c) i++; // backslash: skip the escaped byte
      }
    } else if (c === 0x7b || c === 0x5b) { // { [
      depth++;
    } else if (c === 0x7d || c === 0x5d) { // } ]
      if (--depth < 0) return false;
    } else if (c === 0x2c && depth === 0) { // a comma at the top level
      return false;
    }
  }
  return depth === 0;
}
