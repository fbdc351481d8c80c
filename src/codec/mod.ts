/**
 * Payload decoders: raw message bytes -> JS values, by `value_format`. Never throws for bad input: a message that
 * cannot be decoded gives `{kind: "error", reason}` for the pipeline's error policy.
 *
 * One message gives one value (one row), except `arrow_ipc`, which gives one Arrow table of typed columns (one row
 * per row of its record batches, possibly none): `src/arrow/` builds output columns straight from its vectors, so
 * the sender's types survive. A top-level JSON array is one value (it goes to the `value_column`), not one row per
 * element, so that a message's rows are always counted the same way whatever its content.
 *
 * `auto` decides per message, MessagePack first as the Redpanda collector does, without ever reading a JSON text as
 * MessagePack (every ASCII byte is also a valid one-byte MessagePack value, e.g. `{` = 0x7b is the fixint 123):
 * 0. an Arrow IPC stream (the continuation marker 0xFFFFFFFF) or file (`ARROW1`): Arrow IPC. Neither is a JSON text,
 *    nor a single MessagePack value (0xff and `A` are one-byte values, which cannot be followed by more bytes);
 *    a file source in `auto` mode hands its Arrow dumps over this way;
 * 1. first byte 0x80-0x8f, 0xde, 0xdf (map) or 0x90-0x9f, 0xdc, 0xdd (array): MessagePack, which must consume every
 *    byte. No JSON text can start with these bytes, so no JSON message is ever taken for MessagePack.
 * 2. otherwise, JSON; a text with a UTF-8 byte-order mark is JSON too.
 * 3. if JSON fails, MessagePack of the whole message (e.g. a scalar like 0xcb float64, or a fixstr);
 * 4. if both fail, an error that gives both reasons.
 * A MessagePack scalar whose bytes are also a JSON text (a single digit `4` = 0x34) is therefore read as JSON.
 * @module
 */
import type { Table } from "apache-arrow";
import type { ValueFormat } from "../core/plugin.ts";
import { decodeArrowIpc, isArrowIpcStart } from "./arrow_ipc.ts";
import { decodeJson } from "./json.ts";
import { decodeMsgpack } from "./msgpack.ts";

export { TimestampValue } from "./values.ts";

/** Outcome of decoding one message. */
export type DecodeResult =
  /** Decoded values (json, msgpack, auto): one per message. */
  | { kind: "values"; values: unknown[] }
  /** An Arrow IPC message's record batches, their columns typed by the sender (arrow_ipc). */
  | { kind: "table"; table: Table }
  /** The message cannot be decoded; `reason` says why, for logs and dead letters. */
  | { kind: "error"; reason: string };

/** Decodes one message's payload. Never throws. */
export function decodePayload(bytes: Uint8Array, format: ValueFormat): DecodeResult {
  switch (format) {
    case "json": {
      const result = decodeJson(bytes);
      return result.kind === "value" ? { kind: "values", values: [result.value] } : result;
    }
    case "msgpack": {
      const result = decodeMsgpack(bytes);
      return result.kind === "value" ? { kind: "values", values: [result.value] } : result;
    }
    case "arrow_ipc":
      return decodeArrowIpc(bytes);
    case "auto":
      return decodeAuto(bytes);
  }
}

/** Is this byte the first byte of a MessagePack map or array? */
export function isMsgpackContainerStart(byte: number): boolean {
  return (byte >= 0x80 && byte <= 0x9f) || byte === 0xdc || byte === 0xdd || byte === 0xde || byte === 0xdf;
}

function decodeAuto(bytes: Uint8Array): DecodeResult {
  if (bytes.length === 0) return { kind: "error", reason: "empty payload" };
  if (isArrowIpcStart(bytes)) return decodeArrowIpc(bytes);
  const first = bytes[0] as number;
  if (isMsgpackContainerStart(first)) {
    const result = decodeMsgpack(bytes);
    return result.kind === "value" ? { kind: "values", values: [result.value] } : result;
  }
  const json = decodeJson(bytes);
  if (json.kind === "value") return { kind: "values", values: [json.value] };
  const msgpack = decodeMsgpack(bytes);
  if (msgpack.kind === "value") return { kind: "values", values: [msgpack.value] };
  return { kind: "error", reason: `neither JSON nor MessagePack: ${json.reason}; ${msgpack.reason}` };
}
