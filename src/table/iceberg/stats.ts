/**
 * Column statistics of a data file for its manifest entry, taken from the Arrow rows it was encoded from, whole or a
 * row group at a time (the same values the Parquet footer's statistics hold): per field id, the value count (nulls included), the null count, and
 * lower and upper bounds in Iceberg's single-value binary form for booleans, ints, longs, floats, doubles,
 * timestamps and strings (bounds of strings longer than 64 bytes are left out rather than truncated; NaNs never
 * bound a float). Lists and other types get counts only.
 * @module
 */
import { type Data, type DataType, makeVector, type Table, Type } from "apache-arrow";
import { FIELD_ID_KEY } from "./types.ts";

/** Statistics of one data file, by field id. */
export interface FileStats {
  readonly valueCounts: Map<number, number>;
  readonly nullCounts: Map<number, number>;
  readonly lowerBounds: Map<number, Uint8Array>;
  readonly upperBounds: Map<number, Uint8Array>;
}

const MAX_STRING_BOUND_BYTES = 64;

/** Statistics of the columns of `table` that carry a field id (see `field_ids.ts`). */
export function fileStats(table: Table): FileStats {
  const builder = new FileStatsBuilder();
  builder.add(table);
  return builder.finish();
}

/** One column's statistics so far; `bounds` undefined while it had no value to bound, null when it cannot have any. */
interface ColumnStats {
  readonly type: DataType;
  values: number;
  nulls: number;
  bounds: Bounds | null | undefined;
}

/**
 * Statistics of a data file written a row group at a time (a file streamed while its rows arrive): each
 * {@linkcode add} takes the next rows, {@linkcode finish} gives what {@linkcode fileStats} gives for all of them at
 * once. Holds a few numbers per column, never the rows.
 */
export class FileStatsBuilder {
  readonly #columns = new Map<number, ColumnStats>();

  /** Takes the next rows of the file (their columns carry field ids; a column's type stays the same). */
  add(table: Table): void {
    table.schema.fields.forEach((field, index) => {
      const id = Number(field.metadata.get(FIELD_ID_KEY));
      if (!Number.isInteger(id)) return;
      let column = this.#columns.get(id);
      if (column === undefined) {
        column = { type: field.type, values: 0, nulls: 0, bounds: undefined };
        this.#columns.set(id, column);
      }
      const chunks = table.batches.map((batch) => batch.data.children[index]!);
      for (const chunk of chunks) column.nulls += chunk.nullCount;
      column.values += table.numRows;
      if (column.bounds !== null) column.bounds = mergeBounds(column.type, column.bounds, boundsOf(chunks));
    });
  }

  finish(): FileStats {
    const stats: FileStats = {
      valueCounts: new Map(),
      nullCounts: new Map(),
      lowerBounds: new Map(),
      upperBounds: new Map(),
    };
    for (const [id, column] of this.#columns) {
      stats.valueCounts.set(id, column.values);
      stats.nullCounts.set(id, column.nulls);
      if (column.bounds) {
        stats.lowerBounds.set(id, column.bounds[0]);
        stats.upperBounds.set(id, column.bounds[1]);
      }
    }
    return stats;
  }
}

type Bounds = [Uint8Array, Uint8Array];

/** Bounds of the values of `chunks`: undefined when they hold none (all null), null when they cannot be bounded. */
function boundsOf(chunks: readonly Data[]): Bounds | null | undefined {
  const type = chunks[0]?.type;
  if (type === undefined) return undefined;
  switch (type.typeId) {
    case Type.Bool:
      return scalarBounds(chunks, (v) => (v ? 1 : 0), (n) => new Uint8Array([n]));
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      if (bitWidth < 32 || (bitWidth === 32 && isSigned)) return scalarBounds(chunks, Number, int32);
      if (bitWidth > 64 || (bitWidth === 64 && !isSigned)) return null;
      return scalarBounds(chunks, (v) => BigInt(v as number | bigint), int64);
    }
    case Type.Float: {
      const double = (type as unknown as { precision: number }).precision === 2;
      return scalarBounds(chunks, (v) => (Number.isNaN(v) ? undefined : Number(v)), double ? float64 : float32);
    }
    case Type.Timestamp:
      return timestampBounds(chunks, (type as unknown as { unit: number }).unit);
    case Type.Utf8:
    case Type.LargeUtf8:
      return stringBounds(chunks);
    default:
      return null;
  }
}

/** Bounds of values mapped by `key` (undefined: ignored) and encoded by `encode`. */
function scalarBounds<K extends number | bigint>(
  chunks: readonly Data[],
  key: (value: unknown) => K | undefined,
  encode: (value: K) => Uint8Array,
): Bounds | undefined {
  let min: K | undefined;
  let max: K | undefined;
  for (const chunk of chunks) {
    // Ints and floats straight from their values (Arrow JS slices them with the data); booleans and half floats
    // through a vector.
    const direct = chunk.typeId === Type.Int ||
      (chunk.typeId === Type.Float && (chunk.type as { precision?: number }).precision !== 0);
    const values = chunk.values as ArrayLike<number | bigint>;
    const vector = direct ? undefined : makeVector(chunk);
    const valid = chunk.nullCount === 0;
    for (let i = 0; i < chunk.length; i++) {
      if (!valid && !isValid(chunk, i)) continue;
      const value = key(vector === undefined ? values[i] : vector.get(i));
      if (value === undefined) continue;
      if (min === undefined || value < min) min = value;
      if (max === undefined || value > max) max = value;
    }
  }
  return min === undefined || max === undefined ? undefined : [encode(min), encode(max)];
}

/** Microseconds per unit: seconds, milliseconds, microseconds, nanoseconds (Arrow's TimeUnit order). */
const MICROS: readonly [bigint, bigint][] = [[1_000_000n, 1n], [1000n, 1n], [1n, 1n], [1n, 1000n]];

function timestampBounds(chunks: readonly Data[], unit: number): Bounds | null | undefined {
  const [multiply, divide] = MICROS[unit] ?? [1n, 1n];
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const chunk of chunks) {
    const values = chunk.values as unknown;
    const valid = chunk.nullCount === 0;
    for (let i = 0; i < chunk.length; i++) {
      if (!valid && !isValid(chunk, i)) continue;
      const at = i; // Arrow JS slices fixed-width values with the data (only validity bits keep the offset)
      let raw: bigint;
      if (values instanceof BigInt64Array) raw = values[at]!;
      else if (values instanceof Int32Array) {
        raw = (BigInt(values[at * 2 + 1]!) << 32n) | BigInt(values[at * 2]! >>> 0);
      } else return null;
      if (min === undefined || raw < min) min = raw;
      if (max === undefined || raw > max) max = raw;
    }
  }
  if (min === undefined || max === undefined) return undefined;
  // Floor division keeps the lower bound below every value; the upper bound rounds up.
  const lower = floorDiv(min * multiply, divide);
  const upper = -floorDiv(-(max * multiply), divide);
  return [int64(lower), int64(upper)];
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Bounds of UTF-8 strings, compared as their bytes where they lie in the column (no string is decoded). */
function stringBounds(chunks: readonly Data[]): Bounds | null | undefined {
  let min: Uint8Array | undefined;
  let max: Uint8Array | undefined;
  for (const chunk of chunks) {
    const offsets = chunk.valueOffsets as ArrayLike<number | bigint>;
    const bytes = chunk.values as Uint8Array;
    // The least and greatest value of this chunk as byte ranges, copied once at the end. A value below the least
    // cannot be above the greatest, and one equal to either (a repeated value) changes neither.
    let seen = false;
    let lowStart = 0;
    let lowEnd = 0;
    let highStart = 0;
    let highEnd = 0;
    const valid = chunk.nullCount === 0;
    for (let i = 0; i < chunk.length; i++) {
      if (!valid && !isValid(chunk, i)) continue;
      const start = Number(offsets[i]);
      const end = Number(offsets[i + 1]);
      if (end - start > MAX_STRING_BOUND_BYTES) return null;
      if (!seen) {
        seen = true;
        lowStart = highStart = start;
        lowEnd = highEnd = end;
      } else if (compareRanges(bytes, start, end, lowStart, lowEnd) < 0) {
        lowStart = start;
        lowEnd = end;
      } else if (compareRanges(bytes, start, end, highStart, highEnd) > 0) {
        highStart = start;
        highEnd = end;
      }
    }
    if (!seen) continue;
    const lower = bytes.slice(lowStart, lowEnd);
    const upper = bytes.slice(highStart, highEnd);
    if (min === undefined || compareBytes(lower, min) < 0) min = lower;
    if (max === undefined || compareBytes(upper, max) > 0) max = upper;
  }
  return min === undefined || max === undefined ? undefined : [min, max];
}

/** Is row `i` of `data` valid (not null)? Arrow JS keeps a slice's offset in its validity bits. */
function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return true;
  const bit = data.offset + i;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

/** How the bytes from `a` to `aEnd` compare with those from `b` to `bEnd`, both in `bytes`. */
function compareRanges(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): number {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const d = bytes[a + i]! - bytes[b + i]!;
    if (d !== 0) return d;
  }
  return (aEnd - a) - (bEnd - b);
}

/** The bounds of two sets of values of a column of `type`, from the bounds of each. */
function mergeBounds(
  type: DataType,
  a: Bounds | null | undefined,
  b: Bounds | null | undefined,
): Bounds | null | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  if (a === null || b === null) return null;
  const compare = boundOrder(type);
  return [compare(a[0], b[0]) <= 0 ? a[0] : b[0], compare(a[1], b[1]) >= 0 ? a[1] : b[1]];
}

/** How two encoded bounds of a column of `type` compare (the order of the values they encode). */
function boundOrder(type: DataType): (a: Uint8Array, b: Uint8Array) => number {
  const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const by = <K extends number | bigint>(read: (view: DataView) => K) => (a: Uint8Array, b: Uint8Array) => {
    const x = read(view(a));
    const y = read(view(b));
    return x < y ? -1 : x > y ? 1 : 0;
  };
  switch (type.typeId) {
    case Type.Int: // small ints are bound as Iceberg ints (4 bytes), uint32 and int64 as longs (8 bytes)
      return (a, b) => (a.length === 8 ? by((v) => v.getBigInt64(0, true)) : by((v) => v.getInt32(0, true)))(a, b);
    case Type.Float:
      return (type as unknown as { precision: number }).precision === 2
        ? by((v) => v.getFloat64(0, true))
        : by((v) => v.getFloat32(0, true));
    case Type.Timestamp:
      return by((v) => v.getBigInt64(0, true));
    default:
      return compareBytes; // booleans (0, 1) and UTF-8 strings order by their bytes
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  return out;
}

function int64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, value, true);
  return out;
}

function float32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setFloat32(0, value, true);
  return out;
}

function float64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, value, true);
  return out;
}
