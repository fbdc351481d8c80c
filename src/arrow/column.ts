/**
 * One growable Arrow column of inferred kind, written straight into typed buffers (validity bitmap, int64 as int32
 * pairs, float64, bit-packed booleans, UTF-8 bytes with int32 offsets, list offsets over a child column). Widening
 * follows `widenKind` (kinds.ts); the rows already buffered are converted in place when a column widens.
 * @module
 */
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  Int64,
  List,
  makeData,
  Timestamp,
  TimeUnit,
  Utf8,
} from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { allValidBitmap, grownBytes, writeUtf8 } from "./_buffers.ts";
import {
  INT64_MAX,
  INT64_MIN,
  K_BINARY,
  K_BOOL,
  K_FLOAT,
  K_INT,
  K_LIST,
  K_NULL,
  K_STRING,
  K_TS,
  KIND_NAMES,
  kindCode,
  listElementKind,
  MIXED,
  widenCode,
  widenElement,
} from "./_kind_codes.ts";
import { textOf } from "./_text.ts";
import type { ColumnKind, KindSpec } from "./kinds.ts";
import { parseIsoTimestamp } from "./timestamp.ts";

const TWO_32 = 4294967296;
const MIN_CAPACITY = 64;
/** Most rows made room for up front: 8192 rows of int64 are 64 KiB, whatever a caller expects. */
const MAX_FIRST_CAPACITY = 8192;
const decoder = new TextDecoder();

/** Options of a {@linkcode Column}. */
export interface ColumnOptions {
  /** Recognise strict ISO-8601 strings as timestamps (off for list elements). */
  readonly inferTimestamps: boolean;
  /** Lists become Arrow lists (`list`) or JSON text (`json`). */
  readonly lists: "json" | "list";
  /** Kind to start with (from the run's schema memory); values then widen from it. */
  readonly initial?: KindSpec;
  /** Rows to make room for at the first value (e.g. the previous file's); at least 64, at most 8192. Default: 64. */
  readonly expectedRows?: number;
}

/** A growable column; rows are added in order, one value (or null) per row. */
export class Column {
  #kind = K_NULL;
  #length = 0;
  #capacity = 0;
  #validity: Uint8Array | null = null; // made at the first null row; until then every row is valid
  #nulls = 0;
  #pairs = new Int32Array(0); // int and timestamp: little-endian int64 as (lo, hi)
  #big: BigInt64Array | null = null; // view over #pairs, made on the first bigint
  #floats = new Float64Array(0);
  #bits = new Uint8Array(0); // bool values
  #offsets = new Int32Array(1); // string, binary, list
  #bytes = new Uint8Array(0);
  #byteLength = 0;
  #child: Column | null = null;
  #elementKind = K_NULL; // set by #classify for a list value
  readonly #inferTimestamps: boolean;
  readonly #listMode: boolean;
  readonly #firstCapacity: number;

  constructor(options: ColumnOptions) {
    this.#inferTimestamps = options.inferTimestamps;
    this.#firstCapacity = Math.min(MAX_FIRST_CAPACITY, Math.max(MIN_CAPACITY, options.expectedRows ?? 0));
    this.#listMode = options.lists === "list";
    if (options.initial && options.initial.kind !== "null") {
      this.#setKind(kindCode(options.initial.kind), options.initial.element);
    }
  }

  /** Rows added so far (values and nulls). */
  get length(): number {
    return this.#length;
  }

  /** Current kind (and element kind of a list). */
  get spec(): KindSpec {
    const kind = KIND_NAMES[this.#kind] as ColumnKind;
    return this.#kind === K_LIST && this.#child ? { kind, element: this.#child.spec } : { kind };
  }

  /** Estimated bytes of buffered data. */
  get byteSize(): number {
    const n = this.#length;
    switch (this.#kind) {
      case K_NULL:
        return 0;
      case K_BOOL:
        return (n >> 2) + 1;
      case K_STRING:
      case K_BINARY:
        return this.#byteLength + 4 * n + (n >> 3);
      case K_LIST:
        return 4 * n + (this.#child?.byteSize ?? 0);
    }
    return 8 * n + (n >> 3);
  }

  /** Sets the value of `row`: earlier missing rows become null; a second value for the same row is ignored. */
  add(row: number, value: unknown): void {
    if (row !== this.#length) {
      if (row < this.#length) return; // first value of a row wins
      this.padTo(row);
    }
    if (value === null || value === undefined) {
      this.#pushNull();
      return;
    }
    switch (this.#kind) {
      case K_STRING:
        if (typeof value === "string") return this.#pushString(value);
        break;
      case K_FLOAT:
        if (typeof value === "number") return this.#pushFloat(value);
        break;
      case K_INT:
        if (typeof value === "number") {
          if (Number.isSafeInteger(value)) return this.#pushInt(value);
        } else if (typeof value === "bigint" && value >= INT64_MIN && value <= INT64_MAX) {
          return this.#pushBigInt(value);
        }
        break;
      case K_TS:
        if (typeof value === "string") {
          const micros = parseIsoTimestamp(value);
          if (micros !== null) return this.#pushMicros(micros);
        }
        break;
      case K_BOOL:
        if (typeof value === "boolean") return this.#pushBool(value);
        break;
    }
    this.#addSlow(value);
  }

  /** Fills rows up to (not including) `row` with nulls. */
  padTo(row: number): void {
    while (this.#length < row) this.#pushNull();
  }

  /** Drops rows from `length` on (to undo a partially appended row). */
  truncate(length: number): void {
    if ((this.#kind === K_INT || this.#kind === K_TS) && this.#length > length) {
      this.#pairs.fill(0, 2 * length, 2 * this.#length); // #pushInt relies on zeroed high words
    }
    const validity = this.#validity;
    while (this.#length > length) {
      const i = this.#length - 1;
      const bit = 1 << (i & 7);
      if (validity !== null) {
        if ((validity[i >> 3]! & bit) !== 0) validity[i >> 3]! &= ~bit;
        else this.#nulls--;
      }
      if (this.#kind === K_BOOL) this.#bits[i >> 3]! &= ~bit;
      this.#length = i;
    }
    if (this.#kind === K_STRING || this.#kind === K_BINARY) this.#byteLength = this.#offsets[this.#length]!;
    if (this.#kind === K_LIST) this.#child?.truncate(this.#offsets[this.#length]!);
  }

  /** The column's Arrow type. */
  arrowType(): DataType {
    switch (this.#kind) {
      case K_BOOL:
        return new Bool();
      case K_INT:
        return new Int64();
      case K_FLOAT:
        return new Float64();
      case K_TS:
        return new Timestamp(TimeUnit.MICROSECOND, "UTC");
      case K_BINARY:
        return new Binary();
      case K_LIST:
        return new List(new Field("item", (this.#child as Column).arrowType(), true));
      default:
        return new Utf8();
    }
  }

  /** Arrow data of the first `length` rows (padding with nulls). The column must not be used afterwards. */
  toData(length: number): Data {
    this.padTo(length);
    const type = this.arrowType();
    const nullCount = this.#nulls;
    const nullBitmap = nullCount === 0 ? undefined : this.#validity?.subarray(0, (length + 7) >> 3);
    const base = { type, length, nullCount, nullBitmap };
    switch (this.#kind) {
      case K_NULL:
        return makeData({
          ...base,
          type: new Utf8(),
          valueOffsets: new Int32Array(length + 1),
          data: new Uint8Array(0),
        });
      case K_BOOL:
        return makeData({ ...base, type: type as Bool, data: this.#bits.subarray(0, (length + 7) >> 3) });
      case K_INT:
      case K_TS:
        return makeData({
          ...base,
          type: type as Int64,
          data: new BigInt64Array(this.#pairs.buffer, 0, length),
        });
      case K_FLOAT:
        return makeData({ ...base, type: type as Float64, data: this.#floats.subarray(0, length) });
      case K_LIST: {
        const child = this.#child as Column;
        return makeData({
          ...base,
          type: type as List,
          valueOffsets: this.#offsets.subarray(0, length + 1),
          child: child.toData(child.length),
        });
      }
      default:
        return makeData({
          ...base,
          type: type as Utf8,
          valueOffsets: this.#offsets.subarray(0, length + 1),
          data: this.#bytes.subarray(0, this.#byteLength),
        });
    }
  }

  /** The value of row `i` as a JS value (for conversions and tests); null for a null row. */
  valueAt(i: number): unknown {
    if (i >= this.#length) return null;
    if (this.#validity !== null && (this.#validity[i >> 3]! & (1 << (i & 7))) === 0) return null;
    switch (this.#kind) {
      case K_BOOL:
        return (this.#bits[i >> 3]! & (1 << (i & 7))) !== 0;
      case K_INT:
        return this.#intAt(i);
      case K_TS:
        return new TimestampValue(BigInt(this.#intAt(i)));
      case K_FLOAT:
        return this.#floats[i];
      case K_STRING:
        return decoder.decode(this.#bytes.subarray(this.#offsets[i], this.#offsets[i + 1]));
      case K_BINARY:
        return this.#bytes.slice(this.#offsets[i], this.#offsets[i + 1]);
      case K_LIST: {
        const child = this.#child as Column;
        const items: unknown[] = [];
        for (let j = this.#offsets[i]!; j < this.#offsets[i + 1]!; j++) items.push(child.valueAt(j));
        return items;
      }
      default:
        return null;
    }
  }

  #intAt(i: number): number | bigint {
    if (this.#big) {
      const value = this.#big[i] as bigint;
      return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
    }
    return this.#pairs[2 * i + 1]! * TWO_32 + (this.#pairs[2 * i]! >>> 0);
  }

  #addSlow(value: unknown): void {
    const kind = this.#classify(value);
    if (kind === K_LIST) return this.#addList(value as unknown[]);
    const target = widenCode(this.#kind, kind);
    if (target !== this.#kind) this.#convertTo(target);
    this.#pushAs(target, value);
  }

  /** Kind of a value; for a list in list mode, also sets #elementKind. */
  #classify(value: unknown): number {
    switch (typeof value) {
      case "boolean":
        return K_BOOL;
      case "number":
        return Number.isSafeInteger(value) ? K_INT : K_FLOAT;
      case "bigint":
        return value >= INT64_MIN && value <= INT64_MAX ? K_INT : K_STRING;
      case "string":
        return this.#inferTimestamps && parseIsoTimestamp(value) !== null ? K_TS : K_STRING;
      case "object":
        if (value === null) return K_NULL;
        if (value instanceof Uint8Array) return K_BINARY;
        if (value instanceof TimestampValue) return K_TS;
        if (value instanceof Date) return Number.isNaN(value.getTime()) ? K_NULL : K_TS;
        if (Array.isArray(value) && this.#listMode) {
          const element = listElementKind(value);
          if (element === MIXED) return K_STRING;
          this.#elementKind = element;
          return K_LIST;
        }
        return K_STRING;
      default:
        return K_NULL;
    }
  }

  #pushAs(kind: number, value: unknown): void {
    switch (kind) {
      case K_STRING:
        return this.#pushString(textOf(value));
      case K_FLOAT:
        return this.#pushFloat(Number(value));
      case K_INT:
        return typeof value === "bigint" ? this.#pushBigInt(value) : this.#pushInt(value as number);
      case K_TS:
        if (typeof value === "string") return this.#pushMicros(parseIsoTimestamp(value) as number | bigint);
        if (value instanceof TimestampValue) return this.#pushMicros(value.micros);
        return this.#pushMicros((value as Date).getTime() * 1000);
      case K_BOOL:
        return this.#pushBool(value as boolean);
      case K_BINARY:
        return this.#pushBytes(value as Uint8Array);
      default:
        return this.#pushNull();
    }
  }

  #addList(items: unknown[]): void {
    const element = this.#elementKind;
    if (this.#kind === K_NULL) this.#setKind(K_LIST, undefined);
    if (this.#kind !== K_LIST || widenElement(kindCode((this.#child as Column).spec.kind), element) === MIXED) {
      if (this.#kind !== K_STRING) this.#convertTo(K_STRING);
      return this.#pushString(textOf(items));
    }
    const child = this.#child as Column;
    this.#ensureRow();
    for (const item of items) child.add(child.length, item);
    this.#offsets[this.#length + 1] = child.length;
    this.#markValid();
  }

  #setKind(kind: number, element: KindSpec | undefined): void {
    this.#kind = kind;
    this.#capacity = 0;
    this.#big = null;
    if (kind === K_LIST) {
      this.#child = new Column({ inferTimestamps: false, lists: "json", initial: element });
    }
    this.#grow(this.#length + 1);
  }

  /** Re-types the column, converting the rows buffered so far. */
  #convertTo(kind: number): void {
    const n = this.#length;
    const values: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = this.valueAt(i);
    this.#length = 0;
    this.#nulls = 0;
    this.#validity = null;
    this.#byteLength = 0;
    this.#child = null;
    this.#setKind(kind, undefined);
    for (const value of values) {
      if (value === null) this.#pushNull();
      else this.#pushAs(kind, value);
    }
  }

  #grow(minRows: number): void {
    const capacity = Math.max(this.#firstCapacity, this.#capacity * 2, minRows);
    if (this.#validity !== null) {
      const validity = new Uint8Array((capacity + 7) >> 3);
      validity.set(this.#validity.subarray(0, Math.min(this.#validity.length, validity.length)));
      this.#validity = validity;
    }
    switch (this.#kind) {
      case K_INT:
      case K_TS: {
        const pairs = new Int32Array(capacity * 2);
        if (this.#capacity > 0) pairs.set(this.#pairs.subarray(0, this.#length * 2));
        this.#pairs = pairs;
        if (this.#big) this.#big = new BigInt64Array(pairs.buffer);
        break;
      }
      case K_FLOAT: {
        const floats = new Float64Array(capacity);
        if (this.#capacity > 0) floats.set(this.#floats.subarray(0, this.#length));
        this.#floats = floats;
        break;
      }
      case K_BOOL: {
        const bits = new Uint8Array((capacity + 7) >> 3);
        if (this.#capacity > 0) bits.set(this.#bits.subarray(0, Math.min(this.#bits.length, bits.length)));
        this.#bits = bits;
        break;
      }
      case K_STRING:
      case K_BINARY:
      case K_LIST: {
        const offsets = new Int32Array(capacity + 1);
        if (this.#capacity > 0) offsets.set(this.#offsets.subarray(0, this.#length + 1));
        this.#offsets = offsets;
        break;
      }
    }
    this.#capacity = capacity;
  }

  #ensureRow(): void {
    if (this.#length >= this.#capacity) this.#grow(this.#length + 1);
  }

  #markValid(): void {
    const i = this.#length;
    if (this.#validity !== null) this.#validity[i >> 3]! |= 1 << (i & 7);
    this.#length = i + 1;
  }

  #pushNull(): void {
    if (this.#kind !== K_NULL) {
      this.#ensureRow();
      if (this.#kind >= K_STRING) this.#offsets[this.#length + 1] = this.#offsets[this.#length]!;
    } else if (this.#length >= this.#capacity) {
      this.#grow(this.#length + 1);
    }
    if (this.#validity === null) this.#makeValidity();
    this.#nulls++;
    this.#length++;
  }

  /** The validity bitmap, made at the first null: the rows before it are all valid. */
  #makeValidity(): void {
    this.#validity = allValidBitmap(this.#length, this.#capacity);
  }

  #pushInt(value: number): void {
    this.#ensureRow();
    const i = this.#length;
    if (this.#big) {
      this.#big[i] = BigInt(value);
    } else if (value >= 0 && value <= 0x7fff_ffff) {
      this.#pairs[2 * i] = value; // high word already 0: buffers start zeroed, truncate re-zeroes
    } else {
      this.#pairs[2 * i] = value;
      this.#pairs[2 * i + 1] = Math.floor(value / TWO_32);
    }
    this.#markValid();
  }

  #pushBigInt(value: bigint): void {
    this.#ensureRow();
    this.#big ??= new BigInt64Array(this.#pairs.buffer);
    this.#big[this.#length] = value;
    this.#markValid();
  }

  #pushMicros(micros: number | bigint): void {
    if (typeof micros === "number") this.#pushInt(micros);
    else this.#pushBigInt(micros);
  }

  #pushFloat(value: number): void {
    this.#ensureRow();
    this.#floats[this.#length] = value;
    this.#markValid();
  }

  #pushBool(value: boolean): void {
    this.#ensureRow();
    const i = this.#length;
    if (value) this.#bits[i >> 3]! |= 1 << (i & 7);
    this.#markValid();
  }

  #ensureBytes(extra: number): void {
    const needed = this.#byteLength + extra;
    if (needed <= this.#bytes.length) return;
    this.#bytes = grownBytes(this.#bytes, this.#byteLength, needed);
  }

  #pushString(text: string): void {
    this.#ensureRow();
    this.#ensureBytes(text.length * 3);
    const pos = writeUtf8(this.#bytes, this.#byteLength, text);
    this.#byteLength = pos;
    this.#offsets[this.#length + 1] = pos;
    this.#markValid();
  }

  #pushBytes(value: Uint8Array): void {
    this.#ensureRow();
    this.#ensureBytes(value.length);
    this.#bytes.set(value, this.#byteLength);
    this.#byteLength += value.length;
    this.#offsets[this.#length + 1] = this.#byteLength;
    this.#markValid();
  }
}
