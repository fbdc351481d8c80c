/**
 * Framing of Arrow IPC bytes (private to `src/codec/`): walks the encapsulated messages of an IPC stream, or of the
 * stream inside an IPC file, reading only their metadata, so that malformed input is named at a byte offset before
 * any body is decoded, and a dump can be split into one stream per record batch by copying bytes.
 *
 * Checked per message: the length prefix (with or without the 0xFFFFFFFF continuation marker of Arrow >= 0.15), the
 * flatbuffer metadata, the message type (schema, dictionary batch or record batch; the first one a schema, no second
 * schema), the body length against the bytes left, and every buffer of a batch against its body. Bytes after the
 * end-of-stream marker of a stream are an error; an IPC file must end with its footer and magic, and may keep its
 * schema only in the footer (Arrow JS writes files so).
 * @module
 */
import { Message, MessageHeader } from "apache-arrow";

/** What one message of an IPC stream is. */
export type IpcFrameKind = "schema" | "dictionary" | "batch";

/** One encapsulated message: its bytes are `[offset, end)` of the input. */
export interface IpcFrame {
  readonly kind: IpcFrameKind;
  /** Byte offset of the message's length prefix in the input. */
  readonly offset: number;
  /** Byte offset just past the message's body. */
  readonly end: number;
  /** Dictionary batches: the dictionary id, and whether the batch adds to (rather than replaces) the dictionary. */
  readonly dictionary?: { readonly id: number; readonly delta: boolean };
}

/** Outcome of {@linkcode readIpcFrames}. */
export type IpcFrames =
  /** Every message is well framed. */
  | { readonly kind: "frames"; readonly frames: readonly IpcFrame[] }
  /** The message at `offset` is malformed; `frames` holds the well-framed ones before it. */
  | { readonly kind: "error"; readonly offset: number; readonly reason: string; readonly frames: readonly IpcFrame[] };

const FILE_MAGIC = "ARROW1";
/** "ARROW1" and two padding bytes open an IPC file; int32 footer length and "ARROW1" close it. */
const FILE_HEAD = 8;
const FILE_TAIL = 10;
const CONTINUATION = 0xffff_ffff;
const LABELS: Record<IpcFrameKind, string> = {
  schema: "schema",
  dictionary: "dictionary batch",
  batch: "record batch",
};

/** Walks the messages of an IPC stream or file (see the module doc). Never throws. */
export function readIpcFrames(bytes: Uint8Array): IpcFrames {
  if (bytes.length === 0) return { kind: "error", offset: 0, reason: "empty payload", frames: [] };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!hasMagic(bytes, 0)) return walk(bytes, view, 0, bytes.length, false);
  const tail = bytes.length - FILE_TAIL;
  if (bytes.length < FILE_HEAD + FILE_TAIL || !hasMagic(bytes, bytes.length - FILE_MAGIC.length)) {
    return {
      kind: "error",
      offset: bytes.length,
      reason: `an IPC file of ${bytes.length} bytes without its closing "ARROW1" magic (truncated?)`,
      frames: [],
    };
  }
  const footer = view.getInt32(tail, true);
  if (footer <= 0 || footer > tail - FILE_HEAD) {
    return {
      kind: "error",
      offset: tail,
      reason: `IPC file footer length ${footer} does not fit the file`,
      frames: [],
    };
  }
  return walk(bytes, view, FILE_HEAD, tail - footer, true);
}

function walk(bytes: Uint8Array, view: DataView, start: number, end: number, inFile: boolean): IpcFrames {
  const frames: IpcFrame[] = [];
  const fail = (offset: number, reason: string): IpcFrames => ({ kind: "error", offset, reason, frames });
  let pos = start;
  while (pos < end) {
    if (end - pos < 4) return fail(pos, `${end - pos} stray bytes where a message should start`);
    let length = view.getInt32(pos, true);
    let metadataAt = pos + 4;
    if (view.getUint32(pos, true) === CONTINUATION) {
      if (end - pos < 8) return fail(pos, "a message length cut short");
      length = view.getInt32(pos + 4, true);
      metadataAt = pos + 8;
    }
    if (length === 0) {
      // End-of-stream marker; a file keeps only padding between it and the footer.
      if (!inFile && metadataAt < end) {
        return fail(metadataAt, `${end - metadataAt} bytes after the end-of-stream marker`);
      }
      break;
    }
    const left = end - metadataAt;
    if (length < 0 || length > left) {
      const hint = frames.length === 0 && (bytes[0] === 0x7b || bytes[0] === 0x5b)
        ? " (the payload looks like JSON)"
        : "";
      return fail(pos, `message metadata of ${length} bytes runs past the end (${left} bytes left)${hint}`);
    }
    const parsed = parseMessage(bytes.subarray(metadataAt, metadataAt + length));
    if (typeof parsed === "string") return fail(pos, parsed);
    if (frames.length === 0 && parsed.kind !== "schema" && !inFile) {
      return fail(pos, `the stream starts with a ${LABELS[parsed.kind]} instead of a schema`);
    }
    if (frames.length > 0 && parsed.kind === "schema") return fail(pos, "a second schema message");
    const bodyAt = metadataAt + length;
    if (parsed.bodyLength > end - bodyAt) {
      const label = LABELS[parsed.kind];
      return fail(pos, `${label} body of ${parsed.bodyLength} bytes runs past the end (${end - bodyAt} bytes left)`);
    }
    const frameEnd = bodyAt + parsed.bodyLength;
    frames.push({ kind: parsed.kind, offset: pos, end: frameEnd, dictionary: parsed.dictionary });
    pos = frameEnd;
  }
  if (frames.length === 0 && !inFile) return fail(start, "no schema message");
  return { kind: "frames", frames };
}

interface ParsedMessage {
  readonly kind: IpcFrameKind;
  readonly bodyLength: number;
  readonly dictionary?: { readonly id: number; readonly delta: boolean };
}

/** The kind and body length of one message's flatbuffer metadata, or why it cannot be read. */
function parseMessage(metadata: Uint8Array): ParsedMessage | string {
  try {
    const message = Message.decode(metadata);
    const bodyLength = message.bodyLength;
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) return `message body length ${bodyLength} is invalid`;
    switch (message.headerType) {
      case MessageHeader.Schema:
        message.header(); // decodes the fields: a type this reader does not know fails here, at the schema's offset
        return { kind: "schema", bodyLength };
      case MessageHeader.RecordBatch: {
        const header = message.header() as unknown as BatchHeader;
        const refused = bufferOutside(header, bodyLength) ?? unsupportedCompression(header);
        return refused ?? { kind: "batch", bodyLength };
      }
      case MessageHeader.DictionaryBatch: {
        const header = message.header() as unknown as { id: number; isDelta: boolean; data: BatchHeader };
        const refused = bufferOutside(header.data, bodyLength) ?? unsupportedCompression(header.data);
        return refused ?? { kind: "dictionary", bodyLength, dictionary: { id: header.id, delta: header.isDelta } };
      }
      default:
        return `unsupported message type ${message.headerType} (not a schema, dictionary or record batch)`;
    }
  } catch (error) {
    return `unreadable message metadata: ${error instanceof Error ? error.message : String(error)}`;
  }
}

interface Region {
  readonly offset: number;
  readonly length: number;
}

interface BatchHeader {
  readonly buffers: Region[];
  /** Body compression: type 0 LZ4_FRAME, 1 ZSTD. */
  readonly compression?: { readonly type: number } | null;
}

/** ZSTD bodies are read (`arrow_ipc.ts` registers the codec); LZ4 frames are not. */
function unsupportedCompression(header: BatchHeader): string | undefined {
  const type = header.compression?.type;
  if (type === undefined || type === 1) return undefined;
  return type === 0
    ? "the batch body is LZ4-compressed, which this reader does not support (send it uncompressed or with ZSTD)"
    : `the batch body uses an unknown compression (${type})`;
}

function bufferOutside(header: BatchHeader, bodyLength: number): string | undefined {
  for (const region of header.buffers) {
    if (!(region.offset >= 0 && region.length >= 0 && region.offset + region.length <= bodyLength)) {
      return `a buffer at ${region.offset} of ${region.length} bytes lies outside the ${bodyLength}-byte body`;
    }
  }
  return undefined;
}

function hasMagic(bytes: Uint8Array, at: number): boolean {
  if (bytes.length < at + FILE_MAGIC.length) return false;
  for (let i = 0; i < FILE_MAGIC.length; i++) if (bytes[at + i] !== FILE_MAGIC.charCodeAt(i)) return false;
  return true;
}
