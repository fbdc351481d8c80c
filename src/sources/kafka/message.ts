/**
 * Conversion of a fetched Kafka record into the pipeline's {@linkcode SourceMessage}: metadata values in the
 * configured column order, the key as text, header values as text, and the offset as a zero-padded position. Pure.
 * @module
 */
import type { FetchedRecord } from "./client.ts";
import type { MetadataValue, SourceMessage } from "../../core/source.ts";
import type { MetadataField } from "./config.ts";
import { POSITION_DIGITS } from "./offsets.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/**
 * Decodes a key as UTF-8; keys that are not valid UTF-8 (binary keys) become `base64:<base64>` so the column stays
 * text and no key is lost.
 */
export function decodeKey(key: Uint8Array | null): string | null {
  if (key === null) return null;
  try {
    return utf8.decode(key);
  } catch {
    let binary = "";
    for (const byte of key) binary += String.fromCharCode(byte);
    return `base64:${btoa(binary)}`;
  }
}

/**
 * Header values as text (invalid UTF-8 bytes become U+FFFD); a header given several times keeps its last value;
 * a header with a null value is left out.
 */
export function decodeHeaders(headers: FetchedRecord["headers"]): Record<string, string> | null {
  if (headers.length === 0) return null;
  const out: Record<string, string> = {};
  let any = false;
  for (const [name, value] of headers) {
    if (name === null || value === null) continue;
    out[lenientUtf8.decode(name)] = lenientUtf8.decode(value);
    any = true;
  }
  return any ? out : null;
}

/** Where a message comes from, and how {@linkcode toSourceMessage} presents it. */
export interface MessageOrigin {
  /** Metadata fields, in the order of the source's metadata columns. */
  readonly fields: readonly MetadataField[];
  /** Topic of the message. */
  readonly topic: string;
  /** Partition of the message. */
  readonly partition: number;
  /** Stream name of the topic-partition (`topic+partition`). */
  readonly stream: string;
  /** Offset of the record. */
  readonly offset: bigint;
  /** Mark the message `skip` (a tombstone when tombstones are skipped): acknowledged, never written. */
  readonly skip: boolean;
}

/** The pipeline's message for a fetched record; the value's bytes are shared, not copied. */
export function toSourceMessage(message: FetchedRecord, origin: MessageOrigin): SourceMessage {
  const { topic, partition, stream, offset, skip } = origin;
  const time = Number(message.timestamp);
  const timestampMs = Number.isFinite(time) && time >= 0 ? time : undefined;
  const metadata: MetadataValue[] = origin.fields.map((field) => {
    switch (field) {
      case "topic":
        return topic;
      case "partition":
        return partition;
      case "offset":
        return offset;
      case "timestamp":
        return timestampMs ?? null;
      case "key":
        return decodeKey(message.key);
      case "headers":
        return decodeHeaders(message.headers);
    }
  });
  const value = message.value;
  return {
    stream,
    position: offset.toString().padStart(POSITION_DIGITS, "0"),
    value,
    metadata,
    timestampMs,
    ...(skip ? { skip: true } : {}),
  };
}
