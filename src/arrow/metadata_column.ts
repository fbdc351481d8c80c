/**
 * Builders of a source's metadata columns, with their declared types (never inferred): `utf8` -> Utf8, `int32` ->
 * Int32, `int64` -> Int64, `timestamp_ms` -> Timestamp(ms, UTC), `binary` -> Binary, `map_utf8` ->
 * Map<Utf8, Utf8>. A value of the wrong JS type is converted when that is lossless (a number for int64, a string
 * for binary as UTF-8) and is null otherwise.
 * @module
 */
import {
  type Data,
  type DataType,
  Field,
  Int32,
  makeData,
  Map_,
  Struct,
  Timestamp,
  TimeUnit,
  Utf8,
} from "apache-arrow";
import type { MetadataColumn, MetadataType, MetadataValue } from "../core/source.ts";
import { textOf } from "./_text.ts";
import { Column } from "./column.ts";

const encoder = new TextEncoder();

/** Builds one metadata column. */
export class MetadataColumnBuilder {
  /** Column name. */
  readonly name: string;
  /** Declared type. */
  readonly type: MetadataType;
  #column: Column | null = null; // utf8, int64, timestamp_ms, binary
  #ints: Int32Array = new Int32Array(0); // int32
  #valid: Uint8Array = new Uint8Array(0); // int32 and map_utf8
  #length = 0;
  #validCount = 0;
  #offsets: Int32Array = new Int32Array(1); // map_utf8
  #keys: Column | null = null;
  #values: Column | null = null;

  constructor(column: MetadataColumn) {
    this.name = column.name;
    this.type = column.type;
    const kind = ({ utf8: "string", int64: "int", timestamp_ms: "int", binary: "binary" } as const)[
      column.type as "utf8" | "int64" | "timestamp_ms" | "binary"
    ];
    if (kind) this.#column = new Column({ inferTimestamps: false, lists: "json", initial: { kind } });
    if (column.type === "map_utf8") {
      this.#keys = new Column({ inferTimestamps: false, lists: "json", initial: { kind: "string" } });
      this.#values = new Column({ inferTimestamps: false, lists: "json", initial: { kind: "string" } });
    }
  }

  /** Estimated bytes of buffered data. */
  get byteSize(): number {
    if (this.#column) return this.#column.byteSize;
    if (this.#keys && this.#values) return this.#keys.byteSize + this.#values.byteSize + 4 * this.#length;
    return 4 * this.#length;
  }

  /** Appends the value of the next row. */
  add(row: number, value: MetadataValue | undefined): void {
    const column = this.#column;
    if (column === null) {
      while (this.#length < row) this.#push(null);
      if (this.#length === row) this.#push(value ?? null);
      return;
    }
    if (value === null || value === undefined) {
      column.add(row, null);
      return;
    }
    switch (this.type) {
      case "utf8":
        column.add(row, typeof value === "string" ? value : textOf(value));
        return;
      case "int64":
      case "timestamp_ms":
        column.add(row, toInt64(value));
        return;
      case "binary":
        column.add(row, value instanceof Uint8Array ? value : typeof value === "string" ? encoder.encode(value) : null);
        return;
      default:
        column.add(row, null);
    }
  }

  #push(value: MetadataValue): void {
    const i = this.#length;
    if (i + 1 >= this.#ints.length) {
      const capacity = Math.max(64, this.#ints.length * 2);
      const ints = new Int32Array(capacity);
      ints.set(this.#ints);
      this.#ints = ints;
      const valid = new Uint8Array(capacity);
      valid.set(this.#valid);
      this.#valid = valid;
      const offsets = new Int32Array(capacity + 1);
      offsets.set(this.#offsets);
      this.#offsets = offsets;
    }
    let ok = false;
    if (this.type === "int32") {
      if (typeof value === "number" && Number.isInteger(value)) {
        this.#ints[i] = value;
        ok = true;
      }
    } else if (this.#keys && this.#values) {
      if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
        for (const [key, item] of Object.entries(value)) {
          this.#keys.add(this.#keys.length, key);
          this.#values.add(this.#values.length, item === null || item === undefined ? null : textOf(item));
        }
        ok = true;
      }
      this.#offsets[i + 1] = this.#keys.length;
    }
    if (ok) {
      this.#valid[i] = 1;
      this.#validCount++;
    }
    this.#length = i + 1;
  }

  /** The column's Arrow type. */
  arrowType(): DataType {
    switch (this.type) {
      case "int32":
        return new Int32();
      case "timestamp_ms":
        return new Timestamp(TimeUnit.MILLISECOND, "UTC");
      case "map_utf8":
        return mapUtf8Type();
      default:
        return (this.#column as Column).arrowType();
    }
  }

  /** Arrow data of `length` rows. */
  toData(length: number): Data {
    const column = this.#column;
    if (column) {
      const data = column.toData(length);
      return this.type === "timestamp_ms" ? data.clone(this.arrowType()) : data;
    }
    while (this.#length < length) this.#push(null);
    const nullCount = length - this.#validCount;
    const nullBitmap = nullCount === 0 ? undefined : packBits(this.#valid, length);
    if (this.type === "int32") {
      return makeData({ type: new Int32(), length, nullCount, nullBitmap, data: this.#ints.subarray(0, length) });
    }
    const keys = this.#keys as Column;
    const values = this.#values as Column;
    const type = this.arrowType() as Map_;
    const entries = keys.length;
    const child = makeData({
      type: type.children[0]!.type as Struct,
      length: entries,
      nullCount: 0,
      children: [keys.toData(entries), values.toData(entries)],
    });
    return makeData({
      type,
      length,
      nullCount,
      nullBitmap,
      valueOffsets: this.#offsets.subarray(0, length + 1),
      child,
    });
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A number or bigint as an exact int64 (a number when safe), or null when it is not an integer in range. */
function toInt64(value: unknown): number | bigint | null {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) return value;
    if (!Number.isInteger(value)) return null;
    value = BigInt(value);
  }
  if (typeof value !== "bigint") return null;
  // A safe bigint is stored as a number: the column then keeps its cheaper int32-pair path.
  const number = Number(value);
  if (Number.isSafeInteger(number)) return number;
  return value >= INT64_MIN && value <= INT64_MAX ? value : null;
}

function mapUtf8Type(): Map_<Utf8, Utf8> {
  const entries = new Struct<{ key: Utf8; value: Utf8 }>([
    new Field("key", new Utf8(), false),
    new Field("value", new Utf8(), true),
  ]);
  return new Map_<Utf8, Utf8>(new Field("entries", entries, false) as never, false);
}

function packBits(flags: Uint8Array, length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3);
  for (let i = 0; i < length; i++) if (flags[i]) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}
