/**
 * Avro object container files (the format of Iceberg manifests and manifest lists), through `avsc`: the only module
 * that imports it. Records are encoded by avsc from the schema; the container (magic, metadata map, sync marker,
 * blocks) is assembled here so that no Node stream is involved. Uncompressed (`null` codec), which every Iceberg
 * reader accepts. The schema JSON is written as given, so Iceberg's `field-id` and `element-id` attributes survive.
 * @module
 */
import { Buffer } from "node:buffer";
import avro from "avsc";

const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const SYNC_BYTES = 16;
const metaType = avro.Type.forSchema({ type: "map", values: "bytes" });
const longType = avro.Type.forSchema("long");

/** Options of {@linkcode encodeAvroFile}. */
export interface AvroFileOptions {
  /** Extra file metadata (Iceberg puts the table schema, the partition spec and the format version there). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Encodes `records` as one Avro container file of `schema` (an Avro schema as JSON). */
export function encodeAvroFile(schema: object, records: readonly unknown[], options: AvroFileOptions = {}): Uint8Array {
  const type = avro.Type.forSchema(schema as avro.Schema);
  const meta: Record<string, Buffer> = { "avro.schema": utf8(JSON.stringify(schema)), "avro.codec": utf8("null") };
  for (const [key, value] of Object.entries(options.metadata ?? {})) meta[key] = utf8(value);
  const sync = crypto.getRandomValues(new Uint8Array(SYNC_BYTES));
  const parts: Uint8Array[] = [MAGIC, metaType.toBuffer(meta), sync];
  if (records.length > 0) {
    const body = concat(records.map((record) => type.toBuffer(withBuffers(record))));
    parts.push(longType.toBuffer(records.length), longType.toBuffer(body.length), body, sync);
  }
  return concat(parts);
}

/** A decoded Avro container file. */
export interface AvroFile {
  /** The writer's schema as JSON. */
  readonly schema: Record<string, unknown>;
  /** The file metadata, as text. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly records: unknown[];
}

/** Decodes an uncompressed Avro container file. Throws a SyntaxError naming `name` for anything else. */
export function decodeAvroFile(bytes: Uint8Array, name: string): AvroFile {
  const buffer = toBuffer(bytes);
  const fail = (detail: string): never => {
    throw new SyntaxError(`Cannot read Avro file "${name}": ${detail}`);
  };
  if (!MAGIC.every((b, i) => buffer[i] === b)) fail("not an Avro container file");
  const header = metaType.decode(buffer, MAGIC.length);
  if (header.offset < 0) fail("truncated header");
  const raw = header.value as Record<string, Uint8Array>;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) metadata[key] = new TextDecoder().decode(value);
  const codec = metadata["avro.codec"] ?? "null";
  if (codec !== "null") fail(`codec "${codec}" is not supported`);
  const schema = JSON.parse(metadata["avro.schema"] ?? "null");
  if (schema === null) fail("no schema");
  const type = avro.Type.forSchema(schema);
  let offset = header.offset + SYNC_BYTES;
  const records: unknown[] = [];
  while (offset < buffer.length) {
    const count = longType.decode(buffer, offset);
    const size = longType.decode(buffer, count.offset);
    if (count.offset < 0 || size.offset < 0) fail("truncated block");
    offset = size.offset;
    const end = offset + (size.value as number);
    for (let i = 0; i < (count.value as number); i++) {
      const decoded = type.decode(buffer, offset);
      if (decoded.offset < 0 || decoded.offset > end) fail("truncated record");
      records.push(decoded.value);
      offset = decoded.offset;
    }
    offset = end + SYNC_BYTES;
  }
  return { schema, metadata, records };
}

function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/** The value with every Uint8Array as a Node Buffer (avsc's `bytes` takes only Buffers). */
function withBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : toBuffer(value);
  if (Array.isArray(value)) return value.map(withBuffers);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBuffers(v)]));
  }
  return value;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function toBuffer(bytes: Uint8Array): Buffer {
  // avsc decodes from Node Buffers (it reads through their methods).
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
