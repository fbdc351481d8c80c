/**
 * Turns a cut stream batch into the files to write: one Parquet file per output folder (named
 * `<stream>[~<generation>]+<first position>.parquet`) and, when records failed under `dead_letter`, one JSON-lines file.
 * Synchronous CPU work, done before the batch joins the write queue.
 * @module
 */
import { encodeParquet } from "../parquet/writer.ts";
import type { Table } from "apache-arrow";
import type { DeliveryLog } from "../core/delivery_log.ts";
import type { CommonSinkConfig } from "../core/plugin.ts";
import { encodeDeadLetters } from "./dead_letter.ts";
import { dataFileName, deadLetterPath, fileStem } from "./layout.ts";
import type { StreamBatch } from "./stream_batch.ts";

/** One file of a batch. */
export interface OutputFile {
  /** Path relative to the sink root. */
  readonly path: string;
  readonly data: Uint8Array;
  /** Rows in the file (0 for dead letters). */
  readonly rows: number;
  /** The Arrow table the data file was encoded from, kept for a table format's commit (never for plain files). */
  readonly table?: Table;
}

/** The files of one batch and their totals. */
export interface EncodedBatch {
  readonly files: readonly OutputFile[];
  readonly records: number;
  readonly bytes: number;
}

/**
 * Encodes a batch; files with no rows or no columns are never produced. `delivery`, when given, names the data files
 * and prepares their tables (a table format's layout and field ids); without it, `<folder><name>`.
 */
export function encodeBatch(batch: StreamBatch, sink: CommonSinkConfig, delivery?: DeliveryLog): EncodedBatch {
  const first = batch.first!;
  const stem = fileStem(batch.stream, batch.generation);
  const name = dataFileName(stem, first);
  const files: OutputFile[] = [];
  for (const [folder, builder] of batch.builders) {
    const built = builder.finish();
    if (built === null || built.numRows === 0) continue;
    const table = delivery?.prepare?.(batch.dataset, built) ?? built;
    const data = encodeParquet(table, {
      compression: sink.compression,
      compressionLevel: sink.compression_level,
      rowGroupSize: sink.row_group_size,
      dictionary: sink.parquet_dictionary,
    });
    const path = delivery ? delivery.dataPath(batch.dataset, folder, name) : folder + name;
    // Only a table format needs the table after encoding (statistics, field ids); plain files let it go at once.
    files.push({ path, data, rows: table.numRows, ...(delivery?.prepare ? { table } : {}) });
  }
  if (batch.deadLetters.length > 0) {
    const path = deadLetterPath(batch.dataset, stem, first);
    files.push({ path, data: encodeDeadLetters(batch.deadLetters), rows: 0 });
  }
  return {
    files,
    records: files.reduce((n, f) => n + f.rows, 0),
    bytes: files.reduce((n, f) => n + f.data.length, 0),
  };
}
