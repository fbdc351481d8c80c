/**
 * Numeric kind codes of a `Column` (private to `src/arrow/`): the codes, their widening rules, and the element kind
 * of a list value. Codes are ordered so that `>= K_STRING` means "has offsets".
 * @module
 */
import { TimestampValue } from "../codec/values.ts";
import { type ColumnKind, widenKind } from "./kinds.ts";

/** Kind code: no value seen yet (all nulls). */
export const K_NULL = 0;
/** Kind code: boolean. */
export const K_BOOL = 1;
/** Kind code: int64. */
export const K_INT = 2;
/** Kind code: float64. */
export const K_FLOAT = 3;
/** Kind code: timestamp (microseconds, UTC). */
export const K_TS = 4;
/** Kind code: UTF-8 text. */
export const K_STRING = 5;
/** Kind code: bytes. */
export const K_BINARY = 6;
/** Kind code: list over a child column. */
export const K_LIST = 7;
/** List elements that disagree: the list is kept as JSON text. */
export const MIXED = -1;
/** Kind names by kind code. */
export const KIND_NAMES: readonly ColumnKind[] = [
  "null",
  "bool",
  "int",
  "float",
  "timestamp",
  "string",
  "binary",
  "list",
];

/** Smallest int64. */
export const INT64_MIN = -(2n ** 63n);
/** Largest int64. */
export const INT64_MAX = 2n ** 63n - 1n;

/** Kind code of a kind name. */
export function kindCode(kind: ColumnKind): number {
  return KIND_NAMES.indexOf(kind);
}

/** Kind code two scalar kind codes widen to (see `widenKind`). */
export function widenCode(a: number, b: number): number {
  if (a === b) return a;
  return kindCode(widenKind(KIND_NAMES[a] as ColumnKind, KIND_NAMES[b] as ColumnKind));
}

/** List elements: like scalars, but any conflict other than int + float is MIXED (the list becomes JSON). */
export function widenElement(a: number, b: number): number {
  if (a === b || b === K_NULL) return a;
  if (a === K_NULL) return b;
  if ((a === K_INT && b === K_FLOAT) || (a === K_FLOAT && b === K_INT)) return K_FLOAT;
  return MIXED;
}

/** Element kind of a list of scalars, or MIXED when the elements disagree or one is a list or an object. */
export function listElementKind(items: unknown[]): number {
  let kind = K_NULL;
  for (const item of items) {
    let k: number;
    switch (typeof item) {
      case "boolean":
        k = K_BOOL;
        break;
      case "number":
        k = Number.isSafeInteger(item) ? K_INT : K_FLOAT;
        break;
      case "bigint":
        k = item >= INT64_MIN && item <= INT64_MAX ? K_INT : MIXED;
        break;
      case "string":
        k = K_STRING;
        break;
      case "object":
        if (item === null) k = K_NULL;
        else if (item instanceof Uint8Array) k = K_BINARY;
        else if (item instanceof TimestampValue || item instanceof Date) k = K_TS;
        else k = MIXED;
        break;
      default:
        k = MIXED;
    }
    if (k === MIXED) return MIXED;
    kind = widenElement(kind, k);
    if (kind === MIXED) return MIXED;
  }
  return kind;
}
