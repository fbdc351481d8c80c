/**
 * A Parquet file written row group by row group: {@linkcode ParquetStreamWriter} feeds Arrow tables to parquet-wasm's
 * `transformParquetStream` (arrow-rs's `AsyncArrowWriter`) and hands the bytes to a callback as each row group is
 * flushed, so a file never sits whole in memory. The file is the one {@linkcode encodeParquet} writes for the same
 * rows: same writer properties (`_properties.ts`), row groups of `rowGroupSize` rows whatever the batch boundaries.
 *
 * Memory: WebAssembly holds the row group being filled, encoded and compressed as it fills (plus the batch being
 * encoded), and hands each finished row group out whole; wasm linear memory grows to about the largest row group
 * and never shrinks (WebAssembly memory cannot), but it does not grow with the file. Back-pressure runs end to end:
 * `writeBatch` resolves once the encoder has taken the batch, and the encoder waits while `onBytes` is busy.
 *
 * Each batch's IPC copy and each row group's bytes are released as soon as they are used: their buffers are detached
 * (`ArrayBuffer.prototype.transfer(0)`), which returns the memory at once. Without it V8 keeps them until a major
 * collection, which a small JS heap rarely triggers: on the stream bench (a 300 MB file), the output chunks piled up
 * as external memory to about the file's size, and the process peaked at 500 MiB instead of 240 MiB.
 * @module
 */
import { type Table, tableToIPC } from "apache-arrow";
import * as pq from "parquet-wasm";
import { checkParquetOptions, type ParquetOptions, writerProperties } from "./_properties.ts";

/** Options of {@linkcode ParquetStreamWriter}: those of `encodeParquet`. */
export type ParquetStreamOptions = ParquetOptions;

/**
 * Receives the file's bytes in order; the writer waits for it before it encodes more. The chunk is valid until the
 * promise resolves, then released (its buffer detached, see the module doc): a receiver copies what it keeps.
 */
export type ParquetBytesReceiver = (chunk: Uint8Array) => Promise<void>;

/** What a finished file holds. */
export interface ParquetStreamResult {
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** Rows in the file. */
  readonly rows: number;
}

/** A batch waiting to be taken by the encoder, or the end of the input. */
type Offer = { readonly batch: pq.RecordBatch | null; readonly taken: () => void };

/**
 * Writes one Parquet file incrementally; see the module doc. Call {@linkcode writeBatch} for each table (all of one
 * schema; tables with no rows are skipped), then {@linkcode finish}, or {@linkcode abort} to drop the file. The bytes
 * go to `onBytes`; an error thrown there fails the writer (every later call rejects with it).
 */
export class ParquetStreamWriter {
  readonly #options: ParquetStreamOptions;
  readonly #onBytes: ParquetBytesReceiver;
  /** The encoder's pull, waiting for the next offer. */
  #wanted: ((offer: Offer) => void) | null = null;
  /** An offer made before the encoder asked for it. */
  #offered: Offer | null = null;
  #output: Promise<void> | null = null;
  /** The encoder's input: errored on abort or failure, so the encoder ends and frees its row group. */
  #input: ReadableStreamDefaultController<pq.RecordBatch> | null = null;
  #failure: { readonly error: unknown } | null = null;
  #failed!: Promise<never>;
  #fail!: (error: unknown) => void;
  #state: "open" | "finished" | "aborted" = "open";
  #bytes = 0;
  #rows = 0;
  /** The first table's schema, as text: parquet-wasm does not check later batches against it. */
  #schema: string | null = null;

  constructor(options: ParquetStreamOptions, onBytes: ParquetBytesReceiver) {
    checkParquetOptions(options);
    this.#options = options;
    this.#onBytes = onBytes;
    this.#failed = new Promise<never>((_, reject) => {
      this.#fail = (error) => {
        this.#failure ??= { error };
        reject(this.#failure.error);
        try {
          this.#input?.error(this.#failure.error);
        } catch {
          // already closed or errored
        }
        this.#input = null;
      };
    });
    this.#failed.catch(() => {}); // observed by the calls that race it
  }

  /** Bytes handed to `onBytes` so far. */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /** Rows taken so far. */
  get rowsWritten(): number {
    return this.#rows;
  }

  /** Adds the rows of `table`; resolves once the encoder has taken them (a full row group is flushed on the way). */
  async writeBatch(table: Table): Promise<void> {
    this.#checkOpen("write a batch to");
    if (table.numRows === 0) return;
    const schema = schemaText(table);
    if (this.#schema !== null && schema !== this.#schema) {
      throw new TypeError(
        `Cannot write a batch to a Parquet file: its schema ${schema} is not the file's ${this.#schema}`,
      );
    }
    this.#schema = schema;
    const ipc = tableToIPC(table, "stream");
    const wasmTable = pq.Table.fromIPCStream(ipc); // copied into WebAssembly memory
    release(ipc);
    let batches: pq.RecordBatch[];
    try {
      batches = wasmTable.recordBatches();
    } finally {
      wasmTable.free();
    }
    if (this.#output === null) this.#start(table);
    for (let i = 0; i < batches.length; i++) {
      try {
        await this.#offer(batches[i]!);
      } catch (error) {
        for (const rest of batches.slice(i + 1)) rest.free();
        throw error;
      }
    }
    this.#rows += table.numRows;
  }

  /** Writes the footer and resolves once `onBytes` has taken the last byte. Needs at least one row. */
  async finish(): Promise<ParquetStreamResult> {
    this.#checkOpen("finish");
    if (this.#output === null) {
      throw new RangeError("Cannot finish a Parquet file without rows: write at least one non-empty batch");
    }
    this.#state = "finished";
    await this.#offer(null);
    await Promise.race([this.#output, this.#failed]);
    if (this.#failure) throw this.#failure.error;
    return { bytes: this.#bytes, rows: this.#rows };
  }

  /** Stops the encoder and drops what it holds; nothing more reaches `onBytes`. Safe to call at any time. */
  async abort(): Promise<void> {
    if (this.#state === "aborted") return;
    this.#state = "aborted";
    this.#fail(new Error("Cannot write Parquet: the file was aborted"));
    this.#offered?.batch?.free();
    this.#offered = null;
    await this.#output?.catch(() => {});
  }

  #checkOpen(action: string): void {
    if (this.#failure) throw this.#failure.error;
    if (this.#state !== "open") throw new Error(`Cannot ${action} a Parquet file that is ${this.#state}`);
  }

  /** Starts the encoder; the properties' `auto` dictionary choice samples the first table. */
  #start(first: Table): void {
    const input = new ReadableStream<pq.RecordBatch>({
      start: (controller) => {
        this.#input = controller;
      },
      pull: async (controller) => {
        const offer = await this.#next();
        offer.taken();
        if (offer.batch === null) controller.close();
        else controller.enqueue(offer.batch);
      },
    }, { highWaterMark: 0 });
    // The promise resolves once the encoder has read the first batch (it needs the schema).
    const stream = pq.transformParquetStream(input, writerProperties(first, this.#options));
    this.#output = this.#drain(stream).catch((error) => this.#fail(error));
  }

  async #drain(stream: Promise<ReadableStream>): Promise<void> {
    const reader = (await Promise.race([stream, this.#failed]) as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), this.#failed]);
        if (done) return;
        await this.#onBytes(value);
        this.#bytes += value.byteLength;
        release(value);
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error;
    }
  }

  /** Hands a batch (or the end) to the encoder and waits until it asks for more, or fails. */
  async #offer(batch: pq.RecordBatch | null): Promise<void> {
    let taken!: () => void;
    const wasTaken = new Promise<void>((resolve) => taken = resolve);
    const offer: Offer = { batch, taken };
    if (this.#wanted) {
      const wanted = this.#wanted;
      this.#wanted = null;
      wanted(offer);
    } else {
      this.#offered = offer;
    }
    try {
      await Promise.race([wasTaken, this.#failed]);
    } catch (error) {
      if (this.#offered === offer) {
        this.#offered = null;
        batch?.free();
      }
      throw error;
    }
  }

  #next(): Promise<Offer> {
    const offered = this.#offered;
    if (offered) {
      this.#offered = null;
      return Promise.resolve(offered);
    }
    return new Promise<Offer>((resolve) => this.#wanted = resolve);
  }
}

/** Names, types and nullability of a table's columns, e.g. `{id: Float64, tags?: List<Utf8>}`. */
function schemaText(table: Table): string {
  return `{${table.schema.fields.map((f) => `${f.name}${f.nullable ? "?" : ""}: ${f.type}`).join(", ")}}`;
}

/**
 * Frees a buffer's memory now (see the module doc) by detaching it; the array is empty afterwards. Views of a larger
 * buffer and buffers that cannot be detached (WebAssembly memory) are left to the collector.
 */
function release(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  if (bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength) return;
  try {
    buffer.transfer(0);
  } catch {
    // not detachable: the collector frees it
  }
}
