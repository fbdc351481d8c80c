/**
 * Concatenation of Arrow `Data` pieces of one type into one contiguous `Data`: the rows of a typed column gathered
 * from many messages (each piece a slice of a decoded IPC batch) become one column of the output file, with runs of
 * nulls where a message had no such column. Works on buffers (values, bits, offsets, children), never on values.
 *
 * Types: Null, Bool, every fixed-width type (Int, Float, Decimal, Date, Time, Timestamp, Duration, Interval,
 * FixedSizeBinary), Utf8/Binary and their Large forms, List/LargeList/FixedSizeList/Map and Struct (children
 * concatenated recursively). Dictionary, union and view types must be normalised first (`normalize.ts`).
 * @module
 */
import { type Data, type DataType, makeData, Type } from "apache-arrow";

/** A piece of a column: a `Data` slice, or a number of null rows. */
export type Piece = Data | number;

const MAX_INT32_OFFSET = 0x7fff_ffff;

/** Rows of a piece. */
export function pieceLength(piece: Piece): number {
  return typeof piece === "number" ? piece : piece.length;
}

/** Elements of `ArrayType` per row of a fixed-width type (Arrow JS's stride). */
export function strideOf(type: DataType): number {
  const t = type as DataType & { bitWidth?: number; byteWidth?: number; unit?: number; listSize?: number };
  switch (type.typeId) {
    case Type.Decimal:
      return (t.bitWidth ?? 128) / 32;
    case Type.FixedSizeBinary:
      return t.byteWidth ?? 1;
    case Type.Interval:
      return t.unit === 2 ? 4 : 1 + (t.unit ?? 0);
    case Type.FixedSizeList:
      return t.listSize ?? 1;
    default:
      return 1;
  }
}

/**
 * One `Data` of `type` holding the rows of every piece in order (pieces of another type are a bug: cast them first).
 * @throws {RangeError} when Utf8/Binary/List int32 offsets would pass 2 GiB.
 */
export function concatData(type: DataType, all: readonly Piece[]): Data {
  const pieces = all.filter((piece) => pieceLength(piece) > 0); // an empty Data may even lack its offsets
  let length = 0;
  let nulls = 0;
  for (const piece of pieces) {
    length += pieceLength(piece);
    nulls += typeof piece === "number" ? piece : piece.nullCount;
  }
  if (type.typeId === Type.Null) return makeData({ type, length, nullCount: length } as never);
  const nullBitmap = nulls === 0 ? undefined : validityOf(pieces, length);
  const base = { type, length, nullCount: nulls, nullBitmap } as const;
  switch (type.typeId) {
    case Type.Bool:
      return makeData({ ...base, data: boolBits(pieces, length) } as never);
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const { offsets, ranges } = concatOffsets(type, pieces, length);
      return makeData({ ...base, valueOffsets: offsets, data: concatBytes(ranges) } as never);
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const { offsets, ranges } = concatOffsets(type, pieces, length);
      const childPieces: Piece[] = ranges.map(({ data, start, end }) => data.children[0]!.slice(start, end - start));
      const child = concatData(type.children[0]!.type, childPieces);
      return makeData({ ...base, valueOffsets: offsets, child } as never);
    }
    case Type.FixedSizeList: {
      const size = strideOf(type);
      const childPieces = pieces.map((p) =>
        typeof p === "number" ? p * size : p.children[0]!.slice(0, p.length * size)
      );
      return makeData({ ...base, child: concatData(type.children[0]!.type, childPieces) } as never);
    }
    case Type.Struct: {
      const children = type.children.map((field, k) =>
        concatData(field.type, pieces.map((p) => typeof p === "number" ? p : p.children[k]!))
      );
      return makeData({ ...base, children } as never);
    }
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
    case Type.Interval:
    case Type.FixedSizeBinary:
      return makeData({ ...base, data: fixedValues(type, pieces, length) } as never);
    default:
      throw new TypeError(`Cannot concatenate Arrow data of type ${type}: normalise it first`);
  }
}

/**
 * Estimated bytes of a piece's rows (values, offsets, validity), for file and memory budgets: a slice of a large
 * batch counts only its own rows.
 */
export function estimateBytes(piece: Piece): number {
  if (typeof piece === "number") return 0;
  const data = piece;
  const n = data.length;
  if (n === 0) return 0;
  const validity = data.nullCount > 0 ? (n >> 3) + 1 : 0;
  switch (data.typeId) {
    case Type.Null:
      return 0;
    case Type.Bool:
      return (n >> 3) + 1 + validity;
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const offsets = data.valueOffsets as ArrayLike<number | bigint>;
      return Number(offsets[n]) - Number(offsets[0]) + 4 * n + validity;
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const offsets = data.valueOffsets as ArrayLike<number | bigint>;
      const start = Number(offsets[0]);
      return 4 * n + validity + estimateBytes(data.children[0]!.slice(start, Number(offsets[n]) - start));
    }
    case Type.FixedSizeList:
      return validity + estimateBytes(data.children[0]!.slice(0, n * data.stride));
    case Type.Struct:
      return validity + data.children.reduce((sum, child) => sum + estimateBytes(child), 0);
    default: {
      const values = data.values as { BYTES_PER_ELEMENT?: number } | undefined;
      return n * data.stride * (values?.BYTES_PER_ELEMENT ?? 8) + validity;
    }
  }
}

/** Copies `count` bits from `src` at bit `from` to `dst` at bit `to`. */
function copyBits(src: Uint8Array, from: number, dst: Uint8Array, to: number, count: number): void {
  let i = 0;
  if ((from & 7) === 0 && (to & 7) === 0) {
    const bytes = count >> 3;
    dst.set(src.subarray(from >> 3, (from >> 3) + bytes), to >> 3);
    i = bytes << 3;
  }
  for (; i < count; i++) {
    const s = from + i;
    if ((src[s >> 3]! & (1 << (s & 7))) !== 0) {
      const d = to + i;
      dst[d >> 3]! |= 1 << (d & 7);
    }
  }
}

/** Sets `count` bits of `dst` from bit `to`. */
function setBits(dst: Uint8Array, to: number, count: number): void {
  let i = 0;
  for (; i < count && ((to + i) & 7) !== 0; i++) dst[(to + i) >> 3]! |= 1 << ((to + i) & 7);
  const whole = (count - i) >> 3;
  if (whole > 0) {
    dst.fill(0xff, (to + i) >> 3, ((to + i) >> 3) + whole);
    i += whole << 3;
  }
  for (; i < count; i++) dst[(to + i) >> 3]! |= 1 << ((to + i) & 7);
}

function validityOf(pieces: readonly Piece[], length: number): Uint8Array {
  const bitmap = new Uint8Array((length + 7) >> 3);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece === "number") {
      at += piece;
      continue;
    }
    if (piece.nullCount === 0 || !piece.nullBitmap || piece.nullBitmap.length === 0) {
      setBits(bitmap, at, piece.length);
    } else copyBits(piece.nullBitmap, piece.offset, bitmap, at, piece.length);
    at += piece.length;
  }
  return bitmap;
}

function boolBits(pieces: readonly Piece[], length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece !== "number") copyBits(piece.values as Uint8Array, piece.offset, bits, at, piece.length);
    at += pieceLength(piece);
  }
  return bits;
}

type TypedArray = { set(source: ArrayLike<unknown>, offset: number): void; subarray(a: number, b: number): TypedArray };
type ArrayConstructorLike = new (length: number) => TypedArray;

function fixedValues(type: DataType, pieces: readonly Piece[], length: number): TypedArray {
  const stride = strideOf(type);
  const values = new (type.ArrayType as unknown as ArrayConstructorLike)(length * stride);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece !== "number") {
      const source = piece.values as unknown as TypedArray;
      values.set(source.subarray(0, piece.length * stride) as unknown as ArrayLike<unknown>, at * stride);
    }
    at += pieceLength(piece);
  }
  return values;
}

interface ByteRange {
  readonly data: Data;
  readonly start: number;
  readonly end: number;
}

/** Rebased offsets of every piece, and the byte (or child) range each piece's rows cover. */
function concatOffsets(
  type: DataType,
  pieces: readonly Piece[],
  length: number,
): { offsets: Int32Array | BigInt64Array; ranges: ByteRange[] } {
  const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary || type.typeId === Type.LargeList;
  const out = new Float64Array(length + 1);
  const ranges: ByteRange[] = [];
  let row = 0;
  let total = 0;
  for (const piece of pieces) {
    if (typeof piece === "number") {
      out.fill(total, row + 1, row + piece + 1);
      row += piece;
      continue;
    }
    const offsets = piece.valueOffsets as ArrayLike<number | bigint>;
    const start = Number(offsets[0]);
    for (let i = 1; i <= piece.length; i++) out[row + i] = total + Number(offsets[i]) - start;
    const end = Number(offsets[piece.length]);
    ranges.push({ data: piece, start, end });
    total += end - start;
    row += piece.length;
  }
  if (!large && total > MAX_INT32_OFFSET) {
    throw new RangeError(`Cannot build a ${type} column past 2 GiB: ${total} bytes or items`);
  }
  const offsets = large ? BigInt64Array.from(out, (v) => BigInt(v)) : Int32Array.from(out);
  return { offsets, ranges };
}

function concatBytes(ranges: readonly ByteRange[]): Uint8Array {
  let total = 0;
  for (const range of ranges) total += range.end - range.start;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const { data, start, end } of ranges) {
    bytes.set((data.values as Uint8Array).subarray(start, end), at);
    at += end - start;
  }
  return bytes;
}
