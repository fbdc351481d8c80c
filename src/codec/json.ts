/**
 * JSON payload decoding: strict UTF-8, one JSON value per message, exact integers beyond 2^53, and Python's `NaN` /
 * `Infinity` tokens.
 *
 * The common path is `TextDecoder` (fatal) + `JSON.parse`. Two slower paths run only when needed:
 * - a run of 16 or more digits in the text (2^53 has 16 digits) re-parses the message with a reviver that turns
 *   integer literals that a number cannot hold exactly into `bigint` (V8 gives revivers the literal's source);
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

const decoder = new TextDecoder("utf-8", { fatal: true });
const LONG_DIGIT_RUN = /\d{16}/;
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
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { kind: "error", reason: "invalid UTF-8 in JSON payload" };
  }
  return parseJsonText(text);
}

/** Parses one JSON text (see the module doc for the exact-integer and NaN rules). Never throws. */
export function parseJsonText(text: string): JsonDecodeResult {
  try {
    if (LONG_DIGIT_RUN.test(text)) {
      return { kind: "value", value: JSON.parse(text, exactIntegerReviver as Reviver) };
    }
    return { kind: "value", value: JSON.parse(text) };
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
