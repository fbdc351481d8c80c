/**
 * Messages packed for a worker thread: every payload (and every binary metadata value) copied into one buffer that is
 * transferred, not cloned, plus the other metadata column by column. Cloning the messages as they are would copy,
 * for each payload, the whole network buffer it is a view of, and would clone one object per message.
 * @module
 */
import type { MetadataColumn, MetadataValue } from "../../core/source.ts";
import type { AssemblyMessage } from "./assembler.ts";

/** A run of messages of one stream, ready for `postMessage` (transfer `bytes.buffer`). */
export interface PackedMessages {
  readonly count: number;
  /** Payloads, then binary metadata values, back to back. */
  readonly bytes: Uint8Array;
  /** Per message: start of its payload in `bytes`, or -1 for no payload; then the end of the last one. */
  readonly payloads: Int32Array;
  /** Per metadata column, packed by its type (see {@linkcode PackedColumn}). */
  readonly metadata: readonly PackedColumn[];
  /** Source timestamps (NaN when absent). */
  readonly timestamps: Float64Array;
  /** Structured payloads (Redis stream entries), when any message has them. */
  readonly fields?: readonly (Record<string, unknown> | undefined)[];
}

/**
 * One metadata column of a pack: binary values as [start, end] pairs in the pack's `bytes` (-1: null); numbers in a
 * typed array (with a null mask when any is null); text that is the same in every message (a topic, a key name) once;
 * anything else as a plain array.
 */
export type PackedColumn =
  | { readonly kind: "spans"; readonly spans: Int32Array }
  | { readonly kind: "int32"; readonly values: Int32Array; readonly nulls?: Uint8Array }
  | { readonly kind: "int64"; readonly values: BigInt64Array; readonly nulls?: Uint8Array }
  | { readonly kind: "float64"; readonly values: Float64Array; readonly nulls?: Uint8Array }
  | { readonly kind: "same"; readonly value: MetadataValue }
  | { readonly kind: "values"; readonly values: readonly MetadataValue[] };

/** Packs messages (of one stream) whose metadata follows `columns`. */
export function packMessages(messages: readonly AssemblyMessage[], columns: readonly MetadataColumn[]): PackedMessages {
  const count = messages.length;
  let size = 0;
  for (const message of messages) {
    size += message.value?.length ?? 0;
    columns.forEach((column, c) => {
      if (column.type === "binary") size += (message.metadata[c] as Uint8Array | null)?.length ?? 0;
    });
  }
  const bytes = new Uint8Array(size);
  const payloads = new Int32Array(count + 1);
  const timestamps = new Float64Array(count);
  let offset = 0;
  let fields: (Record<string, unknown> | undefined)[] | undefined;
  for (let i = 0; i < count; i++) {
    const message = messages[i]!;
    const value = message.value;
    if (value === null) {
      payloads[i] = -1;
    } else {
      payloads[i] = offset;
      bytes.set(value, offset);
      offset += value.length;
    }
    timestamps[i] = message.timestampMs ?? NaN;
    if (message.fields !== undefined) (fields ??= new Array(count))[i] = message.fields;
  }
  payloads[count] = offset;
  const metadata = columns.map((column, c): PackedColumn => {
    if (column.type === "binary") {
      const spans = new Int32Array(count * 2);
      for (let i = 0; i < count; i++) {
        const value = messages[i]!.metadata[c] as Uint8Array | null;
        if (value === null || value === undefined) {
          spans[2 * i] = -1;
          continue;
        }
        bytes.set(value, offset);
        spans[2 * i] = offset;
        spans[2 * i + 1] = offset += value.length;
      }
      return { kind: "spans", spans };
    }
    if (column.type === "int32") return packNumbers(messages, c, new Int32Array(count));
    if (column.type === "timestamp_ms") return packNumbers(messages, c, new Float64Array(count));
    if (column.type === "int64") return packNumbers(messages, c, new BigInt64Array(count));
    const first = messages[0]?.metadata[c] ?? null;
    if (column.type === "utf8" && messages.every((message) => (message.metadata[c] ?? null) === first)) {
      return { kind: "same", value: first };
    }
    return { kind: "values", values: messages.map((message) => message.metadata[c] ?? null) };
  });
  return fields
    ? { count, bytes, payloads, metadata, timestamps, fields }
    : { count, bytes, payloads, metadata, timestamps };
}

function packNumbers(
  messages: readonly AssemblyMessage[],
  c: number,
  values: Int32Array | Float64Array | BigInt64Array,
): PackedColumn {
  let nulls: Uint8Array | undefined;
  for (let i = 0; i < messages.length; i++) {
    const value = messages[i]!.metadata[c];
    if (value === null || value === undefined) (nulls ??= new Uint8Array(messages.length))[i] = 1;
    else if (values instanceof BigInt64Array) values[i] = BigInt(value as bigint | number);
    else values[i] = value as number;
  }
  if (values instanceof BigInt64Array) return { kind: "int64", values, ...(nulls ? { nulls } : {}) };
  if (values instanceof Int32Array) return { kind: "int32", values, ...(nulls ? { nulls } : {}) };
  return { kind: "float64", values, ...(nulls ? { nulls } : {}) };
}

/** The value of message `i` in a packed column. */
function valueAt(column: PackedColumn, i: number, bytes: Uint8Array): MetadataValue {
  switch (column.kind) {
    case "spans": {
      const from = column.spans[2 * i]!;
      return from === -1 ? null : bytes.subarray(from, column.spans[2 * i + 1]!);
    }
    case "same":
      return column.value;
    case "values":
      return column.values[i]!;
    default:
      return column.nulls?.[i] ? null : column.values[i]!;
  }
}

/** The messages of a pack, as views into its buffer. */
export function unpackMessages(packed: PackedMessages, stream: string, dataset: string): AssemblyMessage[] {
  const { count, bytes, payloads, timestamps, fields } = packed;
  const columns = packed.metadata;
  const messages: AssemblyMessage[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const start = payloads[i]!;
    let end = payloads[i + 1]!;
    for (let j = i + 2; end === -1 && j <= count; j++) end = payloads[j]!;
    const metadata: MetadataValue[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) metadata[c] = valueAt(columns[c]!, i, bytes);
    const timestamp = timestamps[i]!;
    messages[i] = {
      stream,
      dataset,
      value: start === -1 ? null : bytes.subarray(start, end),
      metadata,
      timestampMs: Number.isNaN(timestamp) ? undefined : timestamp,
      fields: fields?.[i],
    };
  }
  return messages;
}
