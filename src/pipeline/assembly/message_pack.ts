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
  /** Per metadata column: the values, or for binary columns the [start, end] pairs in `bytes` (-1 for null). */
  readonly metadata: readonly (readonly MetadataValue[] | Int32Array)[];
  /** Source timestamps (NaN when absent). */
  readonly timestamps: Float64Array;
  /** Structured payloads (Redis stream entries), when any message has them. */
  readonly fields?: readonly (Record<string, unknown> | undefined)[];
}

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
  const metadata = columns.map((column, c) => {
    if (column.type !== "binary") return messages.map((message) => message.metadata[c] ?? null);
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
    return spans;
  });
  return fields
    ? { count, bytes, payloads, metadata, timestamps, fields }
    : { count, bytes, payloads, metadata, timestamps };
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
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      if (column instanceof Int32Array) {
        const from = column[2 * i]!;
        metadata[c] = from === -1 ? null : bytes.subarray(from, column[2 * i + 1]!);
      } else {
        metadata[c] = column[i]!;
      }
    }
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
