/**
 * Text forms of values, for columns widened to utf8 and for objects and lists kept as JSON text.
 * @module
 */
import { isoFromMicros, TimestampValue } from "../codec/values.ts";

const BASE64_CHUNK = 0x8000;

/** Standard base64 (with padding) of bytes. */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += BASE64_CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BASE64_CHUNK));
  }
  return btoa(binary);
}

/** ISO-8601 text of a Date, or null when the Date is invalid. */
function dateText(date: Date): string | null {
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * JSON text of any decoded value. Unlike `JSON.stringify` it writes bigints as exact numbers, bytes as base64
 * strings, Dates and {@linkcode TimestampValue}s as ISO strings, and non-finite numbers as `null` (JSON has no NaN).
 */
export function toJsonText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + toJsonText(value[i]);
        return out + "]";
      }
      if (value instanceof Uint8Array) return JSON.stringify(base64(value));
      if (value instanceof Date) return JSON.stringify(dateText(value));
      if (value instanceof TimestampValue) return JSON.stringify(isoFromMicros(value.micros));
      let out = "{";
      let first = true;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
        out += (first ? "" : ",") + JSON.stringify(key) + ":" + toJsonText(item);
        first = false;
      }
      return out + "}";
    }
    default:
      return "null";
  }
}

/**
 * Text of a value stored in a utf8 column: strings as they are, numbers as JS prints them (`1.5`, `NaN`,
 * `1e+21`), booleans `true`/`false`, bytes as base64, times as ISO-8601 UTC, lists and objects as JSON text.
 */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    default:
      if (value instanceof Uint8Array) return base64(value);
      if (value instanceof Date) return dateText(value) ?? "null";
      if (value instanceof TimestampValue) return isoFromMicros(value.micros);
      return toJsonText(value);
  }
}
