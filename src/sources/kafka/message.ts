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

/** Where a partition's messages come from, and how {@linkcode toSourceMessage} presents them: one per fetch. */
export interface MessageOrigin {
  /** Metadata fields, in the order of the source's metadata columns. */
  readonly fields: readonly MetadataField[];
  /** Topic of the messages. */
  readonly topic: string;
  /** Partition of the messages. */
  readonly partition: number;
  /** Stream name of the topic-partition (`topic+partition`). */
  readonly stream: string;
  /** Mark tombstones (null values) `skip`: acknowledged, never written. */
  readonly skipTombstones: boolean;
}

/**
 * The pipeline's message for a fetched record; the value's bytes are shared, not copied. Called for every record,
 * so it allocates no more than the message, its metadata array and its position.
 */
export function toSourceMessage(message: FetchedRecord, origin: MessageOrigin): SourceMessage {
  const fields = origin.fields;
  const offset = message.offset;
  const time = Number(message.timestamp);
  const timestampMs = Number.isFinite(time) && time >= 0 ? time : undefined;
  const metadata: MetadataValue[] = new Array(fields.length);
  for (let i = 0; i < fields.length; i++) {
    switch (fields[i]) {
      case "topic":
        metadata[i] = origin.topic;
        break;
      case "partition":
        metadata[i] = origin.partition;
        break;
      case "offset":
        metadata[i] = offset;
        break;
      case "timestamp":
        metadata[i] = timestampMs ?? null;
        break;
      case "key":
        metadata[i] = decodeKey(message.key);
        break;
      case "headers":
        metadata[i] = decodeHeaders(message.headers);
        break;
    }
  }
  const value = message.value;
  const position = offset.toString().padStart(POSITION_DIGITS, "0");
  return value === null && origin.skipTombstones
    ? { stream: origin.stream, position, value, metadata, timestampMs, skip: true }
    : { stream: origin.stream, position, value, metadata, timestampMs };
}
