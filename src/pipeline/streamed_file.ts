/**
 * One Parquet file written as a stream: the rows of a sequence of Arrow tables go through the
 * {@linkcode ParquetStreamWriter} straight into a {@linkcode SinkUpload}, so neither the encoded file nor more than
 * a row group of it is held in memory; the file appears under its path only when the upload commits. A sink without
 * `open()` gets a buffered upload ({@linkcode openUpload}): the same calls, the whole file held until commit.
 * The building block of issue 16; the pipeline's use of it lives in `pipeline.ts`.
 * @module
 */
import type { Table } from "apache-arrow";
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
