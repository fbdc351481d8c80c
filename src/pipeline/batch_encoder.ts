/**
 * Turns a cut stream batch into the files to write: the Parquet files the assembly encoded (a table format's small
 * files are encoded here, once their rows are prepared), or for large ones the rows to stream (one per output
 * folder, named `<stream>[~<generation>]+<first position>.parquet`, or where the delivery log says) and, when records
 * failed under `dead_letter`, one JSON-lines file.
 * @module
 */
import type { Table } from "apache-arrow";
import type { DeliveryLog, TableFile } from "../core/delivery_log.ts";
import type { AssembledFile } from "./assembly/mod.ts";
import type { StreamingParquetFile } from "./streamed_file.ts";
import { encodeDeadLetters } from "./dead_letter.ts";
import { dataFileName, deadLetterPath, fileStem } from "./layout.ts";
import type { StreamBatch } from "./stream_batch.ts";

/**
 * One file of a batch: its bytes, or (a large Parquet file) its rows, streamed into the sink when written. A table
 * format's file has its rows prepared (`tableFile`), for the commit after it is written.
 */
export interface OutputFile {
  /** Path relative to the sink root. */
  readonly path: string;
  readonly data?: Uint8Array;
  /** The rows; with `streamed`, the last rows of a file already streaming (absent when it has them all). */
  readonly table?: Table;
  /** A file streamed while its rows arrived, finished when written. */
  readonly streamed?: StreamingParquetFile;
  /** The table format's side of the file (its rows prepared, their statistics), for its commit. */
  readonly tableFile?: TableFile;
  /** Rows in the file (0 for dead letters). */
  readonly rows: number;
  /** Bytes: of `data`, or the estimate of the table's rows (what it holds in memory until written). */
  readonly size: number;
}

/** The files of one batch and their totals. */
export interface EncodedBatch {
  readonly files: readonly OutputFile[];
  readonly records: number;
  readonly bytes: number;
}

/**
 * How a table format's small files are encoded at the cut (its rows prepared there), so that a batch waiting for
 * its write holds their Parquet bytes rather than their rows; larger ones stream from their rows when written.
 */
export interface SmallFiles {
  /** Files whose rows hold fewer bytes than this (the builder's estimate). */
  readonly below: number;
  readonly encode: (table: Table) => Uint8Array;
}

/** A file of a cut, with the streaming file the pipeline opened for it when it had parts. */
export type CutFile = AssembledFile & { readonly streamed?: StreamingParquetFile };

/**
 * Names the batch's data files and adds its dead letters. `delivery`, when given, names the data files and prepares
 * the rows handed over as tables (a table format's layout and field ids); without it, `<folder><name>`. A streamed
 * file keeps the path it was opened under (named the same way at its first part); its last rows are prepared when
 * they are added to it. With `small`, a table format's small files are encoded here, once prepared.
 */
export function encodeBatch(
  batch: StreamBatch,
  data: readonly CutFile[],
  delivery?: DeliveryLog,
  small?: SmallFiles,
): EncodedBatch {
  const first = batch.first!;
  const stem = fileStem(batch.stream, batch.generation);
  const files: OutputFile[] = data.map((file) => {
    if (file.streamed !== undefined) {
      const { path, tableFile } = file.streamed;
      const size = file.table ? file.size : 0;
      return { path, streamed: file.streamed, table: file.table, tableFile, rows: file.rows, size };
    }
    if (file.part !== undefined) throw new Error(`File ${file.part} of ${batch.stream} was streamed, but not opened`);
    const name = dataFileName(stem, first, file.index);
    const path = delivery ? delivery.dataPath(batch.dataset, file.folder, name) : file.folder + name;
    if (file.data !== undefined) return { path, data: file.data, rows: file.rows, size: file.data.length };
    const tableFile = delivery?.tableFile?.(batch.dataset);
    const table = tableFile ? tableFile.prepare(file.table) : file.table;
    if (tableFile && small && file.size < small.below) {
      const encoded = small.encode(table);
      return { path, data: encoded, tableFile, rows: table.numRows, size: encoded.length };
    }
    return { path, table, tableFile, rows: table.numRows, size: file.size };
  });
  const letters = batch.deadLetters;
  if (letters.length > 0) {
    const letter = encodeDeadLetters(letters);
    files.push({ path: deadLetterPath(batch.dataset, stem, first), data: letter, rows: 0, size: letter.length });
  }
  return {
    files,
    records: files.reduce((n, f) => n + f.rows, 0),
    bytes: files.reduce((n, f) => n + f.size, 0),
  };
}
