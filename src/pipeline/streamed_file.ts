/**
 * One Parquet file written as a stream: the rows of a sequence of Arrow tables go through the
 * {@linkcode ParquetStreamWriter} straight into a {@linkcode SinkUpload}, so neither the encoded file nor more than
 * a row group of it is held in memory; the file appears under its path only when the upload commits. A sink without
 * `open()` gets a buffered upload ({@linkcode openUpload}): the same calls, the whole file held until commit.
 * The building block of issue 16; the pipeline's use of it lives in `pipeline.ts`.
 * @module
 */
import type { Table } from "apache-arrow";
import type { TableFile } from "../core/delivery_log.ts";
import type { Sink, SinkEntry, SinkUpload } from "../core/sink.ts";
import { type ParquetStreamOptions, type ParquetStreamResult, ParquetStreamWriter } from "../parquet/stream_writer.ts";

/** `sink.open(path)`, or for a sink without it an upload that gathers the bytes and calls `sink.write` on commit. */
export function openUpload(sink: Sink, path: string): Promise<SinkUpload> {
  return sink.open ? sink.open(path) : Promise.resolve(new BufferedUpload(sink, path));
}

/**
 * Writes the rows of `tables` (all of one schema) as the Parquet file `path` of `sink`: bytes leave as each row group
 * fills; the file becomes visible, whole, when this resolves. On any failure nothing is left (the upload is aborted)
 * and the error is thrown. Throws a RangeError when no table has a row.
 */
export async function writeParquetFile(
  sink: Sink,
  path: string,
  tables: Iterable<Table> | AsyncIterable<Table>,
  options: ParquetStreamOptions,
): Promise<ParquetStreamResult> {
  const upload = await openUpload(sink, path);
  const writer = new ParquetStreamWriter(options, (chunk) => upload.write(chunk));
  try {
    for await (const table of tables) await writer.writeBatch(table);
    const result = await writer.finish();
    await upload.commit();
    return result;
  } catch (error) {
    await writer.abort();
    await upload.abort();
    throw error;
  }
}

/** The upload of a sink without `open()`: see {@linkcode openUpload}. */
class BufferedUpload implements SinkUpload {
  readonly path: string;
  readonly #sink: Sink;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #state: "open" | "committed" | "aborted" = "open";

  constructor(sink: Sink, path: string) {
    this.#sink = sink;
    this.path = path;
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#state !== "open") {
      return Promise.reject(
        new Error(`Cannot write "${this.#sink.describe(this.path)}": the upload is ${this.#state}`),
      );
    }
    this.#chunks.push(chunk.slice()); // the caller may release its chunk once this resolves
    this.#size += chunk.length;
    return Promise.resolve();
  }

  async commit(): Promise<SinkEntry> {
    if (this.#state !== "open") {
      throw new Error(`Cannot commit "${this.#sink.describe(this.path)}": the upload is ${this.#state}`);
    }
    const data = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [];
    this.#state = "aborted"; // until the write succeeds, a failed commit counts as an abort
    await this.#sink.write(this.path, data);
    this.#state = "committed";
    return { path: this.path, size: data.length };
  }

  abort(): Promise<void> {
    if (this.#state === "open") this.#state = "aborted";
    this.#chunks = [];
    return Promise.resolve();
  }
}

/** A streamed file that cannot be finished: its earlier rows are gone, so the batch cannot be written again. */
export class StreamedFileError extends Error {
  override readonly name = "StreamedFileError";
}

/**
 * A Parquet file streamed into the sink while its rows still arrive (the parts of an assembly,
 * `assembly/assembler.ts`): the upload opens with the first rows, each {@linkcode add} encodes the next rows as they
 * come (row groups leave as they fill), {@linkcode finish} adds the last rows, writes the footer and commits, so the
 * file appears whole, once. A table format's file (`tableFile`) has each table of rows prepared as it comes (field
 * ids, statistics), so its commit needs none of them. Memory held: the rows queued and not yet taken by the encoder,
 * one row group in WebAssembly and the sink's part buffers. A failure is final ({@linkcode StreamedFileError}): the rows already
 * encoded are not kept, so the batch holding the file cannot be written again; the upload is aborted.
 */
export class StreamingParquetFile {
  /** Path relative to the sink root. */
  readonly path: string;
  /** The table format's side of the file, when it belongs to a table. */
  readonly tableFile: TableFile | undefined;
  readonly #sink: Sink;
  readonly #upload: Promise<SinkUpload>;
  #chain: Promise<unknown>;
  #writer: ParquetStreamWriter | undefined;
  #result: Promise<number> | undefined;
  #aborted = false;

  constructor(sink: Sink, path: string, options: ParquetStreamOptions, tableFile?: TableFile) {
    this.path = path;
    this.tableFile = tableFile;
    this.#sink = sink;
    this.#upload = openUpload(sink, path);
    this.#chain = this.#upload.then((upload) => {
      this.#writer = new ParquetStreamWriter(options, (chunk) => upload.write(chunk));
    });
    this.#chain.catch(() => {}); // observed by add() and finish()
  }

  /**
   * Queues rows (all of one schema, the file's); resolves once the encoder has taken them (or the file was aborted),
   * rejects if the file failed.
   */
  add(table: Table): Promise<void> {
    let rows: Table;
    try {
      rows = this.tableFile ? this.tableFile.prepare(table) : table;
    } catch (error) {
      return Promise.reject(this.#error(error));
    }
    const step = this.#chain.then(() => this.#aborted ? undefined : this.#writer!.writeBatch(rows));
    this.#chain = step;
    return step.catch((error) => {
      if (this.#aborted) return; // dropped on purpose: nothing of it is wanted
      throw this.#error(error);
    });
  }

  /**
   * Adds `last` (if any), writes the footer and commits the upload; resolves with the file's size. Called again (a
   * retried batch), it answers as the first call did; on failure the upload is aborted.
   */
  finish(last?: Table): Promise<number> {
    this.#result ??= (async () => {
      try {
        if (last !== undefined) await this.add(last);
        await this.#chain;
        const result = await this.#writer!.finish();
        await (await this.#upload).commit();
        return result.bytes;
      } catch (error) {
        await this.abort();
        throw this.#error(error);
      }
    })();
    return this.#result;
  }

  /** Drops the file: nothing of it becomes visible. Safe to call at any time, more than once. */
  async abort(): Promise<void> {
    if (this.#aborted) return;
    this.#aborted = true;
    await this.#writer?.abort();
    const upload = await this.#upload.catch(() => undefined);
    await upload?.abort().catch(() => {});
  }

  #error(error: unknown): StreamedFileError {
    if (error instanceof StreamedFileError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new StreamedFileError(
      `Cannot write "${this.#sink.describe(this.path)}", streamed while its rows arrived: ${reason}. Its earlier ` +
        "rows are gone, so the batch is not written; nothing of it is acknowledged, and the next run reads it again",
      { cause: error },
    );
  }
}
