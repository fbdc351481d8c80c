/**
 * Normalisation of decoded Arrow data before it is stored: a dictionary-encoded column is decoded to its value type
 * (a dictionary of strings is written as strings: messages carry different dictionaries, and Parquet has no
 * dictionary type, only a dictionary encoding), view types (Utf8View, BinaryView) become Utf8 and Binary, unions
 * become JSON text. Three types Parquet has no annotation for are given the nearest one, as pyarrow's own writer
 * does (else they would be read back as bare integers): Timestamp(s) -> Timestamp(ms) with the same zone,
 * Time32(s) -> Time32(ms), Date64 -> Date32 (whole days, as the Arrow spec says a Date64 holds). Applied inside
 * lists, structs and maps too; every other type is kept exactly.
 * @module
 */
import {
  Binary,
  type Data,
  type DataType,
  DateDay,
  Field,
  List,
  makeData,
  Map_,
  Struct,
  TimeMillisecond,
  Timestamp,
  TimeUnit,
  Type,
  Utf8,
} from "apache-arrow";
import { textData } from "./_text_data.ts";
import { castData } from "./cast.ts";
import { isValid, valueAt } from "./arrow_values.ts";
import { concatData, type Piece, strideOf } from "./concat.ts";

/** The type {@linkcode normalizeData} gives for data of `type`. */
export function normalizeType(type: DataType): DataType {
  switch (type.typeId) {
    case Type.Dictionary:
      return normalizeType((type as unknown as { dictionary: DataType }).dictionary);
    case Type.Utf8View:
    case Type.Union:
      return new Utf8();
    case Type.BinaryView:
      return new Binary();
    case Type.Timestamp: {
      const timestamp = type as Timestamp;
      return timestamp.unit === TimeUnit.SECOND ? new Timestamp(TimeUnit.MILLISECOND, timestamp.timezone) : type;
    }
    case Type.Time:
      return (type as unknown as { unit: number }).unit === TimeUnit.SECOND ? new TimeMillisecond() : type;
    case Type.Date:
      return (type as unknown as { unit: number }).unit === 0 ? type : new DateDay();
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList:
    case Type.Map:
    case Type.Struct: {
      const children = type.children.map((field) => withType(field, normalizeType(field.type)));
      if (children.every((field, k) => field === type.children[k])) return type;
      return rebuildType(type, children);
    }
    default:
      return type;
  }
}

/** `data` with dictionaries decoded, views made plain and unions as JSON text, at any depth. */
export function normalizeData(data: Data): Data {
  switch (data.typeId) {
    case Type.Dictionary:
      return normalizeData(decodeDictionary(data));
    case Type.Utf8View:
      return textData(data, "text");
    case Type.Union:
      return textData(data, "json");
    case Type.BinaryView:
      return binaryFromValues(data);
    case Type.Timestamp:
    case Type.Time:
    case Type.Date: {
      const type = normalizeType(data.type);
      return type === data.type ? data : castData(data, type);
    }
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList:
    case Type.Map:
    case Type.Struct: {
      const type = normalizeType(data.type);
      if (type === data.type) return data;
      return data.clone(type, data.offset, data.length, data.nullCount, data.buffers, data.children.map(normalizeData));
    }
    default:
      return data;
  }
}

function withType(field: Field, type: DataType): Field {
  return type === field.type ? field : new Field(field.name, type, field.nullable, field.metadata);
}

function rebuildType(type: DataType, children: Field[]): DataType {
  switch (type.typeId) {
    case Type.Struct:
      return new Struct(children);
    case Type.Map:
      return new Map_(children[0]! as never, (type as unknown as { keysSorted: boolean }).keysSorted);
    case Type.List:
      return new List(children[0]!);
    default: {
      // LargeList and FixedSizeList: same constructor shape as their own class
      const Kind = type.constructor as new (...args: unknown[]) => DataType;
      return type.typeId === Type.FixedSizeList
        ? new Kind((type as unknown as { listSize: number }).listSize, children[0])
        : new Kind(children[0]);
    }
  }
}

/** The values a dictionary-encoded `data` stands for, as data of the dictionary's value type. */
function decodeDictionary(data: Data): Data {
  const type = (data.type as unknown as { dictionary: DataType }).dictionary;
  const chunks = data.dictionary?.data ?? [];
  const values = chunks.length === 1 ? chunks[0]! : concatData(type, chunks);
  const indices = data.values as ArrayLike<number | bigint>;
  const n = data.length;
  const valid = (i: number, index: number) =>
    isValid(data, i) && index >= 0 && index < values.length && isValid(values, index);
  switch (type.typeId) {
    case Type.Utf8:
    case Type.Binary:
      return takeVariable(type, values, indices, n, valid);
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
    case Type.FixedSizeBinary:
      return takeFixed(type, values, indices, n, valid);
    default: {
      // Rare value types (bool, large strings, nested): one slice per row, concatenated.
      const pieces: Piece[] = [];
      for (let i = 0; i < n; i++) {
        const index = Number(indices[i]);
        if (!valid(i, index)) {
          if (typeof pieces.at(-1) === "number") (pieces[pieces.length - 1] as number)++;
          else pieces.push(1);
        } else pieces.push(values.slice(index, 1));
      }
      return concatData(type, pieces);
    }
  }
}

type Valid = (i: number, index: number) => boolean;

function takeVariable(
  type: DataType,
  values: Data,
  indices: ArrayLike<number | bigint>,
  n: number,
  valid: Valid,
): Data {
  const source = values.values as Uint8Array;
  const sourceOffsets = values.valueOffsets as Int32Array;
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  let total = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const index = Number(indices[i]);
    if (valid(i, index)) {
      total += sourceOffsets[index + 1]! - sourceOffsets[index]!;
      validity[i >> 3]! |= 1 << (i & 7);
    } else nulls++;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1] === offsets[i]) continue;
    const index = Number(indices[i]);
    bytes.set(source.subarray(sourceOffsets[index]!, sourceOffsets[index + 1]!), offsets[i]!);
  }
  return makeData({
    type,
    length: n,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? undefined : validity,
    valueOffsets: offsets,
    data: bytes,
  } as never);
}

function takeFixed(type: DataType, values: Data, indices: ArrayLike<number | bigint>, n: number, valid: Valid): Data {
  const stride = strideOf(type);
  const source = values.values as unknown as ArrayLike<unknown> & { constructor: new (n: number) => unknown[] };
  const out = new source.constructor(n * stride);
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const index = Number(indices[i]);
    if (!valid(i, index)) {
      nulls++;
      continue;
    }
    validity[i >> 3]! |= 1 << (i & 7);
    for (let k = 0; k < stride; k++) out[i * stride + k] = source[index * stride + k];
  }
  return makeData(
    { type, length: n, nullCount: nulls, nullBitmap: nulls === 0 ? undefined : validity, data: out } as never,
  );
}

function binaryFromValues(data: Data): Data {
  const n = data.length;
  const items: (Uint8Array | null)[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const value = valueAt(data, i);
    const bytes = value instanceof Uint8Array ? value : null;
    items.push(bytes);
    total += bytes?.length ?? 0;
  }
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  const bytes = new Uint8Array(total);
  let at = 0;
  let nulls = 0;
  items.forEach((item, i) => {
    if (item === null) nulls++;
    else {
      bytes.set(item, at);
      at += item.length;
      validity[i >> 3]! |= 1 << (i & 7);
    }
    offsets[i + 1] = at;
  });
  return makeData({
    type: new Binary(),
    length: n,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? undefined : validity,
    valueOffsets: offsets,
    data: bytes,
  } as never);
}
