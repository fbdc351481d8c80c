import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  compressionRegistry,
  CompressionType,
  type RecordBatch,
  Table,
  tableFromArrays,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import { type ArrowIpcItem, decodeArrowIpc, splitArrowIpcBatches } from "./arrow_ipc.ts";

function twoBatches(): Table {
  const first = tableFromArrays({ id: Int32Array.from([1, 2]) });
  const second = tableFromArrays({ id: Int32Array.from([3]) });
  return new Table([...first.batches, ...second.batches] as RecordBatch[]);
}

async function split(bytes: Uint8Array): Promise<ArrowIpcItem[]> {
  const items: ArrowIpcItem[] = [];
  for await (const item of splitArrowIpcBatches(ReadableStream.from([bytes]))) items.push(item);
  return items;
}

function reason(bytes: Uint8Array): string {
  const decoded = decodeArrowIpc(bytes);
  if (decoded.kind !== "error") throw new Error(`expected an error, got ${decoded.kind}`);
  return decoded.reason;
}

Deno.test("splitArrowIpcBatches() yields one IPC stream per record batch of an IPC file or stream", async () => {
  for (const format of ["file", "stream"] as const) {
    const ids = [];
    for (const item of await split(tableToIPC(twoBatches(), format))) {
      assert(item.kind === "batch", format);
      const decoded = decodeArrowIpc(item.bytes);
      assert(decoded.kind === "table", format);
      ids.push(decoded.table.toArray().map((row) => row.id));
    }
    assertEquals(ids, [[1, 2], [3]], format);
  }
});

Deno.test("splitArrowIpcBatches() carries the dictionaries each batch needs", async () => {
  const whole = new Table({ sym: vectorFromArray(["AAPL", "MSFT", "AAPL", "GOOG"]) }).batches[0]!;
  const bytes = tableToIPC(new Table([whole.slice(0, 3), whole.slice(3, 4)]), "stream");
  const symbols = [];
  for (const item of await split(bytes)) {
    assert(item.kind === "batch");
    const decoded = decodeArrowIpc(item.bytes);
    assert(decoded.kind === "table");
    symbols.push(decoded.table.toArray().map((row) => row.sym));
  }
  assertEquals(symbols, [["AAPL", "MSFT", "AAPL"], ["GOOG"]]);
});

Deno.test("splitArrowIpcBatches() yields the batches before a cut, then the rest as an error at its byte offset", async () => {
  const bytes = tableToIPC(twoBatches(), "stream");
  const items = await split(bytes.subarray(0, bytes.length - 20));
  assertEquals(items.map((item) => item.kind), ["batch", "error"]);
  const error = items[1]!;
  assert(error.kind === "error");
  assert(error.offset > 0 && error.offset < bytes.length - 20, String(error.offset));
  assertEquals(error.bytes, bytes.slice(error.offset, bytes.length - 20));
  assert(error.reason.includes("runs past the end"), error.reason);
});

Deno.test("decodeArrowIpc() names the byte offset of a truncated, corrupt or padded stream", () => {
  const bytes = tableToIPC(twoBatches(), "stream");
  // Cut inside the last batch's body: the message at the reported offset is the second record batch.
  const cut = reason(bytes.subarray(0, bytes.length - 12));
  const at = Number(/at byte (\d+):/.exec(cut)?.[1]);
  assert(at > 0 && cut.includes("record batch body of"), cut);
  // Three stray bytes after the end-of-stream marker.
  const padded = new Uint8Array([...bytes, 1, 2, 3]);
  assertEquals(
    reason(padded),
    `invalid Arrow IPC stream at byte ${bytes.length}: 3 bytes after the end-of-stream marker`,
  );
  // A corrupt length prefix at the second message.
  const corrupt = bytes.slice();
  const second = at > 0 ? firstMessageAfterSchema(bytes) : 0;
  corrupt.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], second);
  assert(
    reason(corrupt).startsWith(`invalid Arrow IPC stream at byte ${second}: message metadata of`),
    reason(corrupt),
  );
});

Deno.test("decodeArrowIpc() rejects empty input, JSON text and random bytes with a reason", () => {
  assertEquals(reason(new Uint8Array(0)), "invalid Arrow IPC stream at byte 0: empty payload");
  assert(reason(new TextEncoder().encode('{"a":1}')).endsWith("(the payload looks like JSON)"));
  const random = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  assert(reason(random).startsWith("invalid Arrow IPC stream at byte 0:"), reason(random));
  assert(reason(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2])).includes("at byte 0"));
});

Deno.test("decodeArrowIpc() reads an IPC file whose footer is cut off as an error at the end", () => {
  const bytes = tableToIPC(twoBatches(), "file");
  const cut = bytes.subarray(0, bytes.length - 4);
  assertEquals(
    reason(cut),
    `invalid Arrow IPC stream at byte ${cut.length}: an IPC file of ${cut.length} bytes without its closing "ARROW1" magic (truncated?)`,
  );
});

/** Byte offset of the second message of a stream (the first after the schema). */
function firstMessageAfterSchema(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metadata = view.getInt32(4, true);
  const body = 0; // a schema message has no body
  return 8 + metadata + body;
}

Deno.test("decodeArrowIpc() reads ZSTD-compressed bodies and names LZ4-compressed ones as unsupported", () => {
  const zstd = tableToIPC(twoBatches(), "stream", CompressionType.ZSTD);
  const decoded = decodeArrowIpc(zstd);
  assert(decoded.kind === "table", decoded.kind === "error" ? decoded.reason : "");
  assertEquals(decoded.table.toArray().map((row) => row.id), [1, 2, 3]);
  // Writing LZ4 needs a codec in Arrow JS's registry: a fake one (frame magic and version, then the bytes), for this
  // test only; the reader refuses the batch from its metadata, before any body would be decoded.
  const fake = (bytes: Uint8Array) => new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0, ...bytes]);
  compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: fake, decode: (bytes: Uint8Array) => bytes });
  try {
    const lz4 = tableToIPC(twoBatches(), "stream", CompressionType.LZ4_FRAME);
    assert(reason(lz4).includes("the batch body is LZ4-compressed, which this reader does not support"), reason(lz4));
  } finally {
    compressionRegistry.set(CompressionType.LZ4_FRAME, null as never);
  }
});
