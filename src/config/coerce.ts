/**
 * Turns text (an INI value, an environment variable, a flag, an expanded `${VAR}`) into the type the schema expects
 * at that key. Text that does not fit stays text, so validation reports it with its origin.
 * @module
 */
import type { z } from "zod";
import type { EnvKind } from "../core/plugin.ts";
import { acceptedKinds, elementSchema } from "./schema_walk.ts";

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);
const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Parses a boolean word (true/false, yes/no, on/off, 1/0; any case); undefined when it is none. */
export function parseBool(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** Parses a decimal number; undefined when the text is not one. */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return NUMBER_RE.test(trimmed) ? Number(trimmed) : undefined;
}

/** Splits a comma list, trimming items and dropping empty ones: `a, b,` -> `["a", "b"]`. */
export function splitList(text: string): string[] {
  return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/**
 * Coerces `text` to what `schema` accepts: `null`/`~`/empty to null where null is allowed, boolean words, numbers,
 * comma lists for arrays (items coerced by the element schema), JSON for objects. Without a schema, or when nothing
 * fits, the text is returned unchanged.
 */
export function coerceText(text: string, schema: z.ZodType | undefined): unknown {
  if (!schema) return text;
  const kinds = acceptedKinds(schema);
  if (kinds.has("any")) return text;
  const trimmed = text.trim();
  if (kinds.has("null") && (trimmed === "null" || trimmed === "~" || trimmed === "")) return null;
  if (kinds.has("number")) {
    const n = parseNumber(trimmed);
    if (n !== undefined) return n;
  }
  if (kinds.has("boolean")) {
    const b = parseBool(trimmed);
    if (b !== undefined) return b;
  }
  if (kinds.has("string")) return text;
  if (kinds.has("array")) {
    if (trimmed.startsWith("[")) {
      const parsed = tryJson(trimmed);
      if (Array.isArray(parsed)) return parsed;
    }
    const element = elementSchema(schema);
    return splitList(text).map((item) => coerceText(item, element));
  }
  if (kinds.has("object") && trimmed.startsWith("{")) {
    const parsed = tryJson(trimmed);
    if (parsed !== undefined) return parsed;
  }
  return text;
}

/** Coerces each item of a list of text by the element schema of `schema`. */
export function coerceTextList(items: readonly unknown[], schema: z.ZodType | undefined): unknown[] {
  const element = schema ? elementSchema(schema) : undefined;
  return items.map((item) => typeof item === "string" ? coerceText(item, element) : item);
}

/**
 * Parses an environment variable by its declared kind. Returns `{ ok: false }` when the text does not parse, so the
 * caller keeps the raw text and validation reports it with the variable's name.
 */
export function parseEnvValue(text: string, kind: EnvKind): { ok: true; value: unknown } | { ok: false } {
  switch (kind) {
    case "string":
      return { ok: true, value: text };
    case "int": {
      const n = parseNumber(text);
      return n !== undefined && Number.isInteger(n) ? { ok: true, value: n } : { ok: false };
    }
    case "number": {
      const n = parseNumber(text);
      return n !== undefined ? { ok: true, value: n } : { ok: false };
    }
    case "bool": {
      const b = parseBool(text);
      return b !== undefined ? { ok: true, value: b } : { ok: false };
    }
    case "list":
      return { ok: true, value: splitList(text) };
    case "json": {
      const parsed = tryJson(text);
      return parsed !== undefined ? { ok: true, value: parsed } : { ok: false };
    }
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
