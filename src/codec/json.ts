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
