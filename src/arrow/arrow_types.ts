/**
 * Widening of typed (Arrow IPC) columns: the type a column gets when its pieces, from different messages or files of
 * one run, disagree. The rules extend those of inferred columns (`kinds.ts`: `null + X -> X`, `int + float -> float`,
 * any other pair -> text) so that a column typed by the sender keeps the narrowest type holding every value:
 *
 * | pieces                                   | column type                                                     |
 * | ---------------------------------------- | --------------------------------------------------------------- |
 * | the same type                            | that type                                                       |
 * | Null + X                                 | X                                                               |
 * | two integer types                        | the narrowest integer type holding both (`int8 + uint8 -> int16`); `uint64 + signed -> decimal(20, 0)` |
 * | integer + float, two floats              | Float64 (Float32 when both are Float16/Float32)                 |
 * | integer + decimal, decimal + decimal     | a decimal holding both exactly (scale the larger); past 76 digits text |
 * | decimal + float                          | Float64                                                         |
 * | timestamp + timestamp                    | the finer unit; the zone kept when equal, else UTC; with and without zone -> text |
 * | Date32 + Date64                          | Date64                                                          |
 * | time + time, duration + duration         | the finer unit                                                  |
 * | Utf8 + LargeUtf8, Binary + LargeBinary   | the Large form; FixedSizeBinary widths differing, or with Binary -> Binary |
 * | List<a> + List<b>                        | List<widen(a, b)> when the elements widen without text, else text |
 * | any other pair                           | Utf8 (every value as its text, see `arrow_values.ts`)           |
 *
 * Inferred columns take part through their Arrow types (Int64, Float64, Timestamp(µs, UTC), Utf8, Binary, Bool, List).
 * @module
 */
import {
  Binary,
  Bool,
  type DataType,
  Date_,
  Decimal,
  type Duration,
  Field,
  type Float,
  Float64,
  Int,
  Int64,
  LargeBinary,
  LargeUtf8,
  List,
  type Time,
  Timestamp,
  TimeUnit,
  Type,
  Utf8,
} from "apache-arrow";
import type { KindSpec } from "./kinds.ts";

const MAX_DECIMAL128 = 38;
const MAX_DECIMAL256 = 76;
/** Decimal digits of the largest value of each integer type, by bit width and signedness. */
const INT_DIGITS: Record<string, number> = {
  "8s": 3,
  "16s": 5,
  "32s": 10,
  "64s": 19,
  "8u": 3,
  "16u": 5,
  "32u": 10,
  "64u": 20,
};

/** Parameters that tell two types of one type id apart (Arrow JS's own comparison ignores a decimal's). */
const PARAMETERS = [
  "bitWidth",
  "isSigned",
  "precision",
  "scale",
  "unit",
  "timezone",
  "byteWidth",
  "listSize",
  "keysSorted",
  "mode",
] as const;

/** Are two types the same (zones, units, precision and scale, children and their names and nullability)? */
export function sameType(a: DataType, b: DataType): boolean {
  if (a === b) return true;
  if (a.typeId !== b.typeId) return false;
  const pa = a as unknown as Record<string, unknown>;
  const pb = b as unknown as Record<string, unknown>;
  for (const key of PARAMETERS) if ((pa[key] ?? null) !== (pb[key] ?? null)) return false;
  const ca = a.children ?? [];
  const cb = b.children ?? [];
  if (ca.length !== cb.length) return false;
  return ca.every((field, k) => {
    const other = cb[k]!;
    return field.name === other.name && field.nullable === other.nullable && sameType(field.type, other.type);
  });
}

/** The type of a column whose pieces have types `a` and `b` (see the module doc). */
export function widenType(a: DataType, b: DataType): DataType {
  if (sameType(a, b)) return a;
  if (a.typeId === Type.Null) return b;
  if (b.typeId === Type.Null) return a;
  const widened = widenPair(a, b) ?? widenPair(b, a);
  return widened ?? new Utf8();
}

/** Is `type` text (what a conflict widens to)? */
export function isText(type: DataType): boolean {
  return type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8;
}

/** The Arrow type of an inferred column kind (as `Column.arrowType()` gives it). */
export function typeOfKind(spec: KindSpec): DataType | undefined {
  switch (spec.kind) {
    case "bool":
      return new Bool();
    case "int":
      return new Int64();
    case "float":
      return new Float64();
    case "timestamp":
      return new Timestamp(TimeUnit.MICROSECOND, "UTC");
    case "string":
      return new Utf8();
    case "binary":
      return new Binary();
    case "list": {
      const element = spec.element && typeOfKind(spec.element);
      return element ? new List(new Field("item", element, true)) : undefined;
    }
    default:
      return undefined;
  }
}

/** Widening of an ordered pair, or undefined when this order has no rule (the caller tries the other order). */
function widenPair(a: DataType, b: DataType): DataType | undefined {
  switch (a.typeId) {
    case Type.Int:
      if (b.typeId === Type.Int) return widenInts(a as Int, b as Int);
      if (b.typeId === Type.Float) return new Float64();
      if (b.typeId === Type.Decimal) return widenDecimals(intAsDecimal(a as Int), b as Decimal);
      return undefined;
    case Type.Float:
      if (b.typeId === Type.Float) return widenFloats(a as Float, b as Float);
      if (b.typeId === Type.Decimal) return new Float64();
      return undefined;
    case Type.Decimal:
      return b.typeId === Type.Decimal ? widenDecimals(a as Decimal, b as Decimal) : undefined;
    case Type.Timestamp:
      return b.typeId === Type.Timestamp ? widenTimestamps(a as Timestamp, b as Timestamp) : undefined;
    case Type.Date:
      return b.typeId === Type.Date ? new Date_(1) : undefined; // DateUnit.MILLISECOND: the wider form
    case Type.Time:
      if (b.typeId !== Type.Time) return undefined;
      return finer(a as Time, b as Time) as DataType;
    case Type.Duration:
      return b.typeId === Type.Duration ? finer(a as Duration, b as Duration) as DataType : undefined;
    case Type.Utf8:
      return b.typeId === Type.LargeUtf8 ? new LargeUtf8() : undefined;
    case Type.Binary:
      if (b.typeId === Type.LargeBinary) return new LargeBinary();
      return b.typeId === Type.FixedSizeBinary ? new Binary() : undefined;
    case Type.FixedSizeBinary:
      return b.typeId === Type.FixedSizeBinary ? new Binary() : undefined;
    case Type.LargeBinary:
      return b.typeId === Type.FixedSizeBinary ? new LargeBinary() : undefined;
    case Type.List: {
      if (b.typeId !== Type.List) return undefined;
      const ea = a.children[0]!;
      const eb = b.children[0]!;
      const element = widenType(ea.type, eb.type);
      // Elements that conflict (widen to text without both being text) make the whole column text, as for JSON lists.
      if (isText(element) && !(isText(ea.type) && isText(eb.type))) return undefined;
      return new List(new Field(ea.name, element, ea.nullable || eb.nullable));
    }
    default:
      return undefined;
  }
}

function widenInts(a: Int, b: Int): DataType {
  if (a.isSigned === b.isSigned) return a.bitWidth >= b.bitWidth ? a : b;
  const signed = a.isSigned ? a : b;
  const unsigned = a.isSigned ? b : a;
  if (signed.bitWidth > unsigned.bitWidth) return signed;
  if (unsigned.bitWidth === 64) return new Decimal(0, 20, 128);
  return new Int(true, (unsigned.bitWidth * 2) as 16 | 32 | 64);
}

function widenFloats(a: Float, b: Float): DataType {
  return a.precision >= b.precision ? a : b; // HALF < SINGLE < DOUBLE
}

function intAsDecimal(type: Int): Decimal {
  return new Decimal(0, INT_DIGITS[`${type.bitWidth}${type.isSigned ? "s" : "u"}`] ?? 20, 128);
}

function widenDecimals(a: Decimal, b: Decimal): DataType {
  const scale = Math.max(a.scale, b.scale);
  const precision = Math.max(a.precision - a.scale, b.precision - b.scale) + scale;
  if (precision > MAX_DECIMAL256) return new Utf8();
  const bitWidth = precision > MAX_DECIMAL128 || a.bitWidth === 256 || b.bitWidth === 256 ? 256 : 128;
  return new Decimal(scale, precision, bitWidth);
}

function widenTimestamps(a: Timestamp, b: Timestamp): DataType | undefined {
  if ((a.timezone ? 1 : 0) !== (b.timezone ? 1 : 0)) return new Utf8(); // local time and instants do not mix
  const unit = Math.max(a.unit, b.unit);
  const zone = a.timezone === b.timezone ? a.timezone : "UTC";
  return new Timestamp(unit, zone ?? undefined);
}

function finer<T extends { unit: number }>(a: T, b: T): T {
  return a.unit >= b.unit ? a : b;
}
