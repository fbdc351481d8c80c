/**
 * Casts of normalised Arrow data to the type its column widened to (`arrow_types.ts`): only the widenings that rule
 * produces, every one exact except integers and decimals to Float64 (as `int + float -> float` is for inferred
 * columns) and values to text. Null rows stay null (the validity bitmap is shared, not copied).
 * @module
 */
import { type Data, type DataType, makeData, Type } from "apache-arrow";
import { textData } from "./_text_data.ts";
import { decimalAt, decimalText, float16 } from "./arrow_values.ts";
import { sameType } from "./arrow_types.ts";
import { strideOf } from "./concat.ts";

const MS_PER_DAY = 86_400_000n;

/**
 * `data` as data of `target`.
 * @throws {TypeError} for a pair the widening rule never produces.
 */
export function castData(data: Data, target: DataType): Data {
  if (sameType(data.type, target)) return data;
  const from = data.type as DataType & { unit: number; scale: number; precision: number };
  const to = target as DataType & { unit: number; scale: number };
  switch (target.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return textData(data, "text", target.typeId === Type.LargeUtf8);
    case Type.Binary:
    case Type.LargeBinary:
      return binaryData(data, target);
    case Type.Int:
      if (data.typeId === Type.Int) {
        const big = (target as unknown as { bitWidth: number }).bitWidth === 64;
        return mapValues(data, target, big ? (v) => BigInt(v as number | bigint) : (v) => Number(v));
      }
      break;
    case Type.Float:
      if (data.typeId === Type.Int) return mapValues(data, target, (v) => Number(v));
      if (data.typeId === Type.Float) {
        return mapValues(data, target, from.precision === 0 ? (v) => float16(v as number) : (v) => v as number);
      }
      if (data.typeId === Type.Decimal) return decimalToFloat(data, target);
      break;
    case Type.Decimal:
      if (data.typeId === Type.Int || data.typeId === Type.Decimal) return toDecimal(data, target);
      break;
    case Type.Timestamp:
    case Type.Time:
    case Type.Duration:
      if (data.typeId === target.typeId) {
        const factor = 1000n ** BigInt(to.unit - from.unit);
        const big = target.ArrayType === BigInt64Array;
        return mapValues(
          data,
          target,
          big ? (v) => BigInt(v as number | bigint) * factor : (v) => Number(v) * Number(factor),
        );
      }
      break;
    case Type.Date:
      if (data.typeId !== Type.Date) break;
      if (to.unit === 1) return mapValues(data, target, (v) => BigInt(v as number) * MS_PER_DAY);
      // Date64 -> Date32 (normalize.ts): whole days, floored
      return mapValues(data, target, (v) => Number(floorDiv(BigInt(v as bigint), MS_PER_DAY)));
    case Type.List:
      if (data.typeId === Type.List) {
        const child = castData(data.children[0]!, target.children[0]!.type);
        return data.clone(target, data.offset, data.length, data.nullCount, data.buffers, [child]);
      }
      break;
  }
  throw new TypeError(`Cannot cast Arrow data of type ${data.type} to ${target}`);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

type Values = ArrayLike<number | bigint> & { [index: number]: number | bigint };

/** Fixed-width data with every valid value mapped (null rows hold zero); the validity bitmap is shared. */
function mapValues(data: Data, target: DataType, map: (value: number | bigint) => number | bigint): Data {
  const n = data.length;
  const source = data.values as Values;
  const out = new (target.ArrayType as unknown as new (n: number) => Values)(n);
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  for (let i = 0; i < n; i++) {
    if (bitmap !== undefined) {
      const bit = data.offset + i;
      if ((bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) continue;
    }
    out[i] = map(source[i]!);
  }
  return sameValidity(data, target, { data: out });
}

function decimalToFloat(data: Data, target: DataType): Data {
  const scale = (data.type as unknown as { scale: number }).scale;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(decimalText(decimalAt(data, i), scale));
  return sameValidity(data, target, { data: out });
}

function toDecimal(data: Data, target: DataType): Data {
  const to = target as unknown as { scale: number };
  const fromScale = data.typeId === Type.Decimal ? (data.type as unknown as { scale: number }).scale : 0;
  const factor = 10n ** BigInt(to.scale - fromScale);
  const stride = strideOf(target);
  const bits = BigInt(stride * 32);
  const words = new Uint32Array(data.length * stride);
  const source = data.values as Values;
  for (let i = 0; i < data.length; i++) {
    const unscaled = data.typeId === Type.Decimal ? decimalAt(data, i) : BigInt(source[i]!);
    let value = BigInt.asUintN(Number(bits), unscaled * factor);
    for (let k = 0; k < stride; k++) {
      words[i * stride + k] = Number(value & 0xffff_ffffn);
      value >>= 32n;
    }
  }
  return sameValidity(data, target, { data: words });
}

function binaryData(data: Data, target: DataType): Data {
  const n = data.length;
  const large = target.typeId === Type.LargeBinary;
  const offsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
  let bytes: Uint8Array;
  if (data.typeId === Type.FixedSizeBinary) {
    const width = data.stride;
    bytes = (data.values as Uint8Array).subarray(0, n * width);
    for (let i = 1; i <= n; i++) large ? (offsets[i] = BigInt(i * width)) : (offsets[i] = i * width);
  } else {
    const source = data.valueOffsets as ArrayLike<number | bigint>;
    const start = Number(source[0]);
    bytes = (data.values as Uint8Array).subarray(start, Number(source[n]));
    for (let i = 1; i <= n; i++) {
      const at = Number(source[i]) - start;
      large ? (offsets[i] = BigInt(at)) : (offsets[i] = at);
    }
  }
  return sameValidity(data, target, { valueOffsets: offsets, data: bytes });
}

function sameValidity(data: Data, type: DataType, buffers: Record<string, unknown>): Data {
  return makeData({
    type,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullCount > 0 ? data.nullBitmap : undefined,
    ...buffers,
  } as never);
}
