/**
 * Test helper: an Arrow table's rows and column types as plain values (lists as arrays, maps as objects, int64 as
 * bigint, top-level timestamps as ISO-8601 text with microseconds, read from the raw values).
 * @module
 */
import { type Table, Type, Vector } from "apache-arrow";
import { isoFromMicros } from "../codec/values.ts";

function plain(value: unknown): unknown {
  if (value instanceof Vector) return [...value].map(plain);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    const maybeMap = value as { [Symbol.iterator]?: unknown; toJSON?: () => unknown };
    if (typeof maybeMap.toJSON === "function") {
      const json = maybeMap.toJSON() as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(json)) out[k] = plain(v);
      return out;
    }
  }
  return value;
}

function timestampText(vector: Vector, index: number, unit: number): string | null {
  let i = index;
  for (const data of vector.data) {
    if (i >= data.length) {
      i -= data.length;
      continue;
    }
    if (!data.getValid(i)) return null;
    const raw = (data.values as unknown as BigInt64Array)[data.offset + i] as bigint;
    return isoFromMicros(unit === 1 ? raw * 1000n : raw);
  }
  return null;
}

/** Rows of a table as plain objects. */
export function tableRows(table: Table): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    table.schema.fields.forEach((field, index) => {
      const vector = table.getChildAt(index);
      if (field.type.typeId === Type.Timestamp && vector) {
        row[field.name] = timestampText(vector, i, (field.type as unknown as { unit: number }).unit);
      } else {
        row[field.name] = plain(vector?.get(i) ?? null);
      }
    });
    rows.push(row);
  }
  return rows;
}

/** `name: type` of every column, e.g. `price: Float64`. */
export function tableTypes(table: Table): Record<string, string> {
  const types: Record<string, string> = {};
  for (const field of table.schema.fields) types[field.name] = String(field.type);
  return types;
}

/** One column's values. */
export function columnValues(table: Table, name: string): unknown[] {
  return tableRows(table).map((row) => row[name]);
}

/** Is the column a timestamp with microsecond unit in UTC? */
export function isMicrosUtc(table: Table, name: string): boolean {
  const type = table.schema.fields.find((field) => field.name === name)?.type as
    | { typeId: Type; unit: number; timezone: string }
    | undefined;
  return type?.typeId === Type.Timestamp && type.unit === 2 && type.timezone === "UTC";
}
