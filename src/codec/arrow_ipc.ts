/**
 * Arrow IPC payload decoding: a message holds an Arrow IPC stream (or file) of one or more record batches; every
 * row becomes one plain object, which then goes through the same flattening and inference as JSON rows. A dump file
 * is split into one message per record batch ({@linkcode splitArrowIpcBatches}). The only module that imports
 * `apache-arrow` for reading.
 *
 * Conversions: Int64/Uint64 -> `bigint`; Timestamp (any unit) -> {@linkcode TimestampValue} (microseconds, ns are
 * truncated); Date -> TimestampValue at midnight UTC; Struct -> nested object (flattened later); List -> array;
 * Map -> object keyed by the map keys' text; Decimal -> its exact decimal text; Binary -> `Uint8Array`;
 * Dictionary -> the dictionary value; other types -> the value Arrow JS gives (numbers, strings, typed arrays).
 * @module
 */
import { type DataType, type Field, Table, tableFromIPC, tableToIPC, Type, type Vector } from "apache-arrow";
import { TimestampValue } from "./values.ts";

/** Outcome of decoding one Arrow IPC message. */
export type ArrowIpcDecodeResult =
  /** One plain object per row, in order; empty when the stream holds no rows. */
  | { kind: "rows"; rows: Record<string, unknown>[] }
  /** Why the message is not an Arrow IPC stream. */
  | { kind: "error"; reason: string };

/** Decodes an Arrow IPC stream into row objects. Never throws. */
export function decodeArrowIpc(bytes: Uint8Array): ArrowIpcDecodeResult {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "error", reason: `invalid Arrow IPC stream: ${message}` };
  }
  if (table.schema.fields.length === 0 && bytes.length > 0 && table.numRows === 0) {
    // tableFromIPC accepts garbage as an empty stream; a real empty stream still has a schema message.
    if (!looksLikeIpc(bytes)) return { kind: "error", reason: "invalid Arrow IPC stream: no schema message" };
  }
  try {
    return { kind: "rows", rows: tableRows(table) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: "error", reason: `unsupported Arrow IPC content: ${message}` };
  }
}

/**
 * Splits an Arrow IPC file or stream (a dump file, stdin) into its record batches, each re-encoded as an IPC stream
 * of its own, i.e. one message for {@linkcode decodeArrowIpc}. Reads the whole input first: an IPC file's footer is
 * at its end. Throws on malformed input.
 */
export async function* splitArrowIpcBatches(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const table = tableFromIPC(bytes);
  for (const batch of table.batches) yield tableToIPC(new Table(batch), "stream");
}

/** An IPC stream starts with a continuation marker (0xFFFFFFFF) or, legacy, a flatbuffer length; a file with ARROW1. */
function looksLikeIpc(bytes: Uint8Array): boolean {
  if (bytes.length >= 6 && String.fromCharCode(...bytes.subarray(0, 6)) === "ARROW1") return true;
  return bytes.length >= 8 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff;
}

function tableRows(table: Table): Record<string, unknown>[] {
  const n = table.numRows;
  const rows: Record<string, unknown>[] = new Array(n);
  for (let r = 0; r < n; r++) rows[r] = {};
  table.schema.fields.forEach((field: Field, index: number) => {
    const vector = table.getChildAt(index);
    if (vector === null) return;
    const values = columnValues(vector, field.type);
    for (let r = 0; r < n; r++) (rows[r] as Record<string, unknown>)[field.name] = values[r];
  });
  return rows;
}

function columnValues(vector: Vector, type: DataType): unknown[] {
  const out: unknown[] = [];
  if (type.typeId === Type.Timestamp) {
    // Read the raw int64 values: Arrow JS's getter gives float milliseconds, which can lose microseconds.
    const unit = (type as unknown as { unit: number }).unit;
    for (const data of vector.data) {
      const values = data.values as unknown as BigInt64Array | Int32Array;
      for (let i = 0; i < data.length; i++) {
        if (!data.getValid(i)) {
          out.push(null);
          continue;
        }
        const raw = values instanceof BigInt64Array
          ? values[data.offset + i] as bigint
          : combineInt32Pair(values, data.offset + i);
        out.push(new TimestampValue(toMicros(raw, unit)));
      }
    }
    return out;
  }
  for (let i = 0; i < vector.length; i++) out.push(convert(vector.get(i), type));
  return out;
}

function combineInt32Pair(values: Int32Array, index: number): bigint {
  const lo = BigInt((values[2 * index] as number) >>> 0);
  const hi = BigInt(values[2 * index + 1] as number);
  return (hi << 32n) + lo;
}

/** Arrow TimeUnit: 0 s, 1 ms, 2 us, 3 ns. */
function toMicros(raw: bigint, unit: number): bigint {
  switch (unit) {
    case 0:
      return raw * 1_000_000n;
    case 1:
      return raw * 1000n;
    case 3:
      return raw / 1000n;
    default:
      return raw;
  }
}

function convert(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Struct: {
      const object: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const child of type.children as Field[]) object[child.name] = convert(source[child.name], child.type);
      return object;
    }
    case Type.List:
    case Type.FixedSizeList:
    case Type.LargeList: {
      const child = (type.children as Field[])[0];
      const items: unknown[] = [];
      for (const item of value as Iterable<unknown>) items.push(child ? convert(item, child.type) : item);
      return items;
    }
    case Type.Map: {
      const entries = (type.children as Field[])[0]?.type.children as Field[] | undefined;
      const valueType = entries?.[1]?.type;
      const object: Record<string, unknown> = {};
      for (const [k, v] of value as Iterable<[unknown, unknown]>) {
        object[String(k)] = valueType ? convert(v, valueType) : v;
      }
      return object;
    }
    case Type.Timestamp:
      return new TimestampValue(BigInt(Math.round((value as number) * 1000)));
    case Type.Date:
      return new TimestampValue(BigInt(Math.round(value instanceof Date ? value.getTime() : value as number)) * 1000n);
    case Type.Decimal:
      return decimalText(String(value), (type as unknown as { scale: number }).scale);
    case Type.Dictionary:
      return convert(value, (type as unknown as { dictionary: DataType }).dictionary);
    default:
      return value;
  }
}

/** Inserts the decimal point into an unscaled integer's text. */
function decimalText(unscaled: string, scale: number): string {
  if (scale <= 0) return scale === 0 ? unscaled : unscaled + "0".repeat(-scale);
  const negative = unscaled.startsWith("-");
  const digits = (negative ? unscaled.slice(1) : unscaled).padStart(scale + 1, "0");
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
