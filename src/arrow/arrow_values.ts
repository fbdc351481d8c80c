/**
 * One row of an Arrow `Data` of any type as an exact JS value, for the few places that need values rather than
 * buffers: JSON text of lists and of structs deeper than `max_depth`, a column widened to text, and the `partition_by`
 * / `timestamp_field` lookups of typed rows.
 *
 * | Arrow type                         | value                                                        |
 * | ---------------------------------- | ------------------------------------------------------------ |
 * | Int/Uint up to 32 bits, Float*     | number                                                       |
 * | Int64/Uint64                       | number when safe, else bigint                                |
 * | Decimal                            | its exact decimal text (`"-0.01"`)                           |
 * | Bool, Utf8, LargeUtf8              | boolean, string                                              |
 * | Binary, LargeBinary, FixedSizeBinary | Uint8Array (a copy)                                        |
 * | Date32/Date64                      | `"YYYY-MM-DD"`                                               |
 * | Timestamp (any unit, any zone)     | {@linkcode TimestampValue} (the instant; ns floored to µs)  |
 * | Time32/Time64                      | `"HH:MM:SS[.fraction]"` with the unit's digits               |
 * | Duration                           | number (or bigint) in the type's unit                        |
 * | List, LargeList, FixedSizeList     | array                                                        |
 * | Struct, Map                        | plain object (map keys as text)                              |
 * | Dictionary                         | the dictionary's value                                       |
 * | other (Interval, Union, views)     | what Arrow JS gives                                          |
 *
 * Row `i` of a `Data` follows Arrow JS's slicing: validity bit `offset + i`; fixed-width values at `i * stride`;
 * Bool bits at `offset + i`; variable-width offsets at `i` into an unsliced byte buffer.
 * @module
 */
import { type Data, type DataType, makeVector, type Struct, Type } from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { textOf } from "./_text.ts";

const decoder = new TextDecoder();
const MS_PER_DAY = 86_400_000;

/** Is row `i` of `data` valid (not null)? */
export function isValid(data: Data, i: number): boolean {
  if (data.typeId === Type.Null) return false;
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  const bit = data.offset + i;
  return (data.nullBitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

/** The value of row `i` of `data` (see the module doc); null for a null row. */
export function valueAt(data: Data, i: number): unknown {
  if (data.typeId !== Type.Union && !isValid(data, i)) return null;
  const type = data.type as DataType & Record<string, unknown>;
  switch (data.typeId) {
    case Type.Int: {
      const value = (data.values as ArrayLike<number | bigint>)[i]!;
      return typeof value === "bigint" ? exactNumber(value) : value;
    }
    case Type.Float:
      return type.precision === 0 ? float16((data.values as Uint16Array)[i]!) : (data.values as Float64Array)[i];
    case Type.Bool: {
      const bit = data.offset + i;
      return ((data.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) !== 0;
    }
    case Type.Decimal:
      return decimalText(decimalAt(data, i), type.scale as number);
    case Type.Utf8:
    case Type.LargeUtf8: {
      const [start, end] = bounds(data, i);
      return decoder.decode((data.values as Uint8Array).subarray(start, end));
    }
    case Type.Binary:
    case Type.LargeBinary: {
      const [start, end] = bounds(data, i);
      return (data.values as Uint8Array).slice(start, end);
    }
    case Type.FixedSizeBinary: {
      const width = data.stride;
      return (data.values as Uint8Array).slice(i * width, (i + 1) * width);
    }
    case Type.Date: {
      const raw = (data.values as ArrayLike<number | bigint>)[i]!;
      const ms = type.unit === 0 ? Number(raw) * MS_PER_DAY : Number(raw);
      return new Date(ms).toISOString().slice(0, 10);
    }
    case Type.Timestamp:
      return new TimestampValue(toMicros(BigInt((data.values as ArrayLike<number | bigint>)[i]!), type.unit as number));
    case Type.Time:
      return timeText(BigInt((data.values as ArrayLike<number | bigint>)[i]!), type.unit as number);
    case Type.Duration:
      return exactNumber(BigInt((data.values as ArrayLike<number | bigint>)[i]!));
    case Type.List:
    case Type.LargeList: {
      const [start, end] = bounds(data, i);
      const child = data.children[0]!;
      const items: unknown[] = new Array(end - start);
      for (let j = start; j < end; j++) items[j - start] = valueAt(child, j);
      return items;
    }
    case Type.FixedSizeList: {
      const size = data.stride;
      const child = data.children[0]!;
      const items: unknown[] = new Array(size);
      for (let j = 0; j < size; j++) items[j] = valueAt(child, i * size + j);
      return items;
    }
    case Type.Struct: {
      const object: Record<string, unknown> = {};
      (type as unknown as Struct).children.forEach((field, k) => object[field.name] = valueAt(data.children[k]!, i));
      return object;
    }
    case Type.Map: {
      const [start, end] = bounds(data, i);
      const entries = data.children[0]!;
      const object: Record<string, unknown> = {};
      for (let j = start; j < end; j++) {
        object[textOf(valueAt(entries.children[0]!, j))] = valueAt(entries.children[1]!, j);
      }
      return object;
    }
    case Type.Dictionary: {
      const index = Number((data.values as ArrayLike<number | bigint>)[i]);
      return dictionaryValue(data, index);
    }
    case Type.Null:
      return null;
    default:
      return makeVector(data).get(i) ?? null;
  }
}

/** Start and end (offsets) of row `i` of a variable-width or list `data`. */
function bounds(data: Data, i: number): [number, number] {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return [Number(offsets[i]), Number(offsets[i + 1])];
}

/** The unscaled integer of row `i` of a Decimal `data` (little-endian two's complement words). */
export function decimalAt(data: Data, i: number): bigint {
  const words = data.values as Uint32Array;
  const stride = data.stride;
  let value = 0n;
  for (let k = stride - 1; k >= 0; k--) value = (value << 32n) | BigInt(words[i * stride + k]!);
  const bits = BigInt(stride * 32);
  return value >= 1n << (bits - 1n) ? value - (1n << bits) : value;
}

/** Inserts the decimal point into an unscaled integer: `decimalText(-1n, 2)` is `"-0.01"`. */
export function decimalText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return scale === 0 ? String(unscaled) : String(unscaled * 10n ** BigInt(-scale));
  const negative = unscaled < 0n;
  const digits = String(negative ? -unscaled : unscaled).padStart(scale + 1, "0");
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Arrow TimeUnit (0 s, 1 ms, 2 µs, 3 ns) to microseconds, flooring nanoseconds. */
function toMicros(raw: bigint, unit: number): bigint {
  switch (unit) {
    case 0:
      return raw * 1_000_000n;
    case 1:
      return raw * 1000n;
    case 3:
      return raw >= 0n ? raw / 1000n : -((-raw + 999n) / 1000n);
    default:
      return raw;
  }
}

/** A half-precision float's bits as a number. */
export function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function exactNumber(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

/** `HH:MM:SS` and the unit's fraction digits of a time of day. */
function timeText(raw: bigint, unit: number): string {
  const digits = [0, 3, 6, 9][unit] ?? 0;
  const perSecond = 10n ** BigInt(digits);
  const perDay = 86_400n * perSecond;
  const sinceMidnight = ((raw % perDay) + perDay) % perDay;
  const seconds = Number(sinceMidnight / perSecond);
  const fraction = sinceMidnight % perSecond;
  const hms = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60]
    .map((n) => String(n).padStart(2, "0")).join(":");
  return digits === 0 ? hms : `${hms}.${String(fraction).padStart(digits, "0")}`;
}

function dictionaryValue(data: Data, index: number): unknown {
  const dictionary = data.dictionary;
  if (!dictionary) return null;
  let at = index;
  for (const chunk of dictionary.data) {
    if (at < chunk.length) return valueAt(chunk, at);
    at -= chunk.length;
  }
  return null;
}
