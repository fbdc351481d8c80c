import assert, { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { Int32, Table, Utf8, vectorFromArray } from "apache-arrow";
import { decodeParquet, encodeParquet } from "./writer.ts";
import * as pq from "parquet-wasm";
import { ParquetStreamWriter } from "./stream_writer.ts";
import type { ParquetOptions } from "./_properties.ts";

const OPTIONS: ParquetOptions = { compression: "snappy", rowGroupSize: 10_000, dictionary: "auto" };

/** `rows` rows starting at `from`: an id, a few repeating symbols, a price. */
function slice(from: number, rows: number): Table {
  return new Table({
    id: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => from + i)),
    symbol: vectorFromArray(Array.from({ length: rows }, (_, i) => `SYM${(from + i) % 7}`), new Utf8()),
    price: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => ((from + i) * 7919) % 100_003 / 100)),
  });
}

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

Deno.test("ParquetStreamWriter writes the same bytes as encodeParquet for the same rows, however the batches are cut", async () => {
  const whole = slice(0, 35_000);
  const chunks: Uint8Array[] = [];
  const writer = new ParquetStreamWriter(OPTIONS, (chunk) => {
    chunks.push(chunk.slice());
    return Promise.resolve();
  });
  for (const [from, rows] of [[0, 3_000], [3_000, 12_000], [15_000, 1], [15_001, 19_999]] as const) {
    await writer.writeBatch(slice(from, rows));
  }
  const result = await writer.finish();
  const streamed = concatBytes(chunks);
  assertEquals(result, { bytes: streamed.length, rows: 35_000 });
  assertEquals(streamed, encodeParquet(whole, OPTIONS));
});

Deno.test("ParquetStreamWriter hands each row group out as it fills, before finish()", async () => {
  let received = 0;
  const seenAfterBatch: number[] = [];
  const writer = new ParquetStreamWriter(OPTIONS, (chunk) => {
    received += chunk.length;
    return Promise.resolve();
  });
  for (let i = 0; i < 8; i++) {
    await writer.writeBatch(slice(i * 5_000, 5_000));
    seenAfterBatch.push(received);
  }
  const before = received;
  const { bytes } = await writer.finish();
  // Two batches make a row group; its bytes arrive no later than the encoder asks for the batch after next.
  assert(seenAfterBatch[3]! > 0, `nothing emitted after 20,000 rows: ${seenAfterBatch}`);
  assert(seenAfterBatch[7]! > seenAfterBatch[3]!, `bytes stopped flowing: ${seenAfterBatch}`);
  assert(before > bytes * 0.6, `only ${before} of ${bytes} bytes emitted before finish()`);
  assertEquals(decodeParquet(await collect(slice(0, 40_000))).numRows, 40_000);
});

Deno.test("ParquetStreamWriter waits for a slow receiver instead of queueing row groups", async () => {
  let busy = 0;
  let most = 0;
  const writer = new ParquetStreamWriter({ ...OPTIONS, rowGroupSize: 1_000 }, async () => {
    most = Math.max(most, ++busy);
    await new Promise((resolve) => setTimeout(resolve, 5));
    busy--;
  });
  for (let i = 0; i < 10; i++) await writer.writeBatch(slice(i * 1_000, 1_000));
  await writer.finish();
  assertEquals(most, 1);
});

Deno.test("ParquetStreamWriter releases each chunk once its receiver resolves", async () => {
  const kept: Uint8Array[] = [];
  const sizes: number[] = [];
  const writer = new ParquetStreamWriter({ ...OPTIONS, rowGroupSize: 1_000 }, (chunk) => {
    kept.push(chunk);
    sizes.push(chunk.length);
    return Promise.resolve();
  });
  for (let i = 0; i < 3; i++) await writer.writeBatch(slice(i * 1_000, 1_000));
  await writer.finish();
  assert(sizes.every((size) => size > 0));
  assertEquals(kept.map((chunk) => chunk.length), kept.map(() => 0));
});

Deno.test("ParquetStreamWriter fails every later call with the receiver's error", async () => {
  let calls = 0;
  const writer = new ParquetStreamWriter({ ...OPTIONS, rowGroupSize: 1_000 }, () => {
    calls++;
    return Promise.reject(new Error("disk full"));
  });
  await rejects(async () => {
    for (let i = 0; i < 10; i++) await writer.writeBatch(slice(i * 1_000, 1_000));
  }, /disk full/);
  await rejects(writer.finish(), /disk full/);
  assertEquals(calls, 1);
});

Deno.test("ParquetStreamWriter rejects a batch of another schema and keeps the file going", async () => {
  const chunks: Uint8Array[] = [];
  const writer = new ParquetStreamWriter(OPTIONS, (chunk) => {
    chunks.push(chunk.slice());
    return Promise.resolve();
  });
  await writer.writeBatch(slice(0, 10));
  const other = new Table({ id: vectorFromArray([1, 2], new Int32()) });
  await rejects(writer.writeBatch(other), /Cannot write a batch to a Parquet file: its schema \{id\?: Int32\} is not/);
  await writer.writeBatch(slice(10, 10));
  assertEquals((await writer.finish()).rows, 20);
  assertEquals(decodeParquet(concatBytes(chunks)).numRows, 20);
});

Deno.test("ParquetStreamWriter: abort() ends the file, finish() without rows and bad options are errors", async () => {
  let received = 0;
  const writer = new ParquetStreamWriter(OPTIONS, (chunk) => {
    received += chunk.length;
    return Promise.resolve();
  });
  await writer.writeBatch(slice(0, 100));
  await writer.abort();
  await rejects(writer.finish(), /aborted/);
  assertEquals(received, 0);
  await rejects(new ParquetStreamWriter(OPTIONS, () => Promise.resolve()).finish(), RangeError);
  assert.throws(() => new ParquetStreamWriter({ ...OPTIONS, rowGroupSize: 0 }, () => Promise.resolve()), RangeError);
  assert.throws(
    () => new ParquetStreamWriter({ ...OPTIONS, compression: "lzo" as "snappy" }, () => Promise.resolve()),
    RangeError,
  );
});

Deno.test("ParquetStreamWriter: abort() frees the row group the encoder holds", async () => {
  const rows = new Table({ a: vectorFromArray(Float64Array.from({ length: 500_000 }, (_, i) => Math.sin(i))) });
  const options: ParquetOptions = { compression: "none", rowGroupSize: 10_000_000 };
  const growth = async (files: number) => {
    const before = pq.wasmMemory().buffer.byteLength;
    for (let i = 0; i < files; i++) {
      const writer = new ParquetStreamWriter(options, () => Promise.resolve());
      await writer.writeBatch(rows); // 4 MB of doubles, held in the unfinished row group
      await writer.writeBatch(rows);
      await writer.abort();
    }
    return pq.wasmMemory().buffer.byteLength - before;
  };
  await growth(2); // the first files grow the memory to what one file needs
  const grown = await growth(12);
  assert(grown < 16 * 1024 * 1024, `wasm memory grew by ${grown} bytes over 12 aborted files`);
});

async function collect(table: Table): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = new ParquetStreamWriter(OPTIONS, (chunk) => {
    chunks.push(chunk.slice());
    return Promise.resolve();
  });
  await writer.writeBatch(table);
  await writer.finish();
  return concatBytes(chunks);
}
