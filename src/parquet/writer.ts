/**
 * Parquet encoding through `parquet-wasm` (arrow-rs compiled to WebAssembly); this folder holds the only modules that
 * import it (this one, `stream_writer.ts` and `_properties.ts`, besides the test readers). The Arrow table crosses into WebAssembly as an IPC stream.
 *
 * - Codecs: `snappy`, `gzip`, `brotli`, `zstd`, `lz4` (written as LZ4_RAW, the LZ4 variant that DuckDB, pyarrow,
 *   ClickHouse and Spark read; the older Hadoop-framed LZ4 is deprecated), `none`.
 * - Levels: parquet-wasm 0.8 exposes no codec level, so `compressionLevel` is validated but the writer uses the
 *   codec's default level (gzip 6, brotli 1, zstd 1). {@linkcode compressionLevelApplied} says so to callers.
 * - Row groups of at most `rowGroupSize` rows; column-chunk statistics (min, max, null count: what DuckDB, Spark
 *   and ClickHouse use to skip row groups) on.
 * - Dictionary encoding (the sink's `parquet_dictionary`): `off` by default (every column plain); `auto` decides per
 *   column from a sample of its first rows: on when fewer than half the sampled values are distinct (symbols, sides,
 *   topics), off otherwise (ids, timestamps, sequence numbers), where the encoder would build a dictionary only to
 *   throw it away; `on` tries it for every column (the encoder falls back to plain once a column's dictionary page
 *   is full). On the codec bench (100,000-row files, snappy), `auto` makes files about 9% smaller than `off` and
 *   costs about 15% more CPU end to end; `on` is slower and larger than `auto`.
 * - Writer version 1 (data page v1 headers, the most widely read); logical types (timestamps, strings, lists) are
 *   annotated as usual.
 * @module
 */
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow";
import * as pq from "parquet-wasm";
import { type ParquetOptions, writerProperties } from "./_properties.ts";

/** Options of {@linkcode encodeParquet}. */
export type EncodeParquetOptions = ParquetOptions;

/** Whether {@linkcode EncodeParquetOptions.compressionLevel} changes the output (false with parquet-wasm 0.8). */
export const compressionLevelApplied = false;

/**
 * Encodes an Arrow table as a Parquet file. Throws a RangeError for a bad codec or row group size; the level is not
 * checked here (it is not applied, see the module doc): validate it with `checkCompressionLevel` (compression.ts).
 * The whole file is built in memory; `stream_writer.ts` writes the same file row group by row group.
 */
export function encodeParquet(table: Table, options: EncodeParquetOptions): Uint8Array {
  const properties = writerProperties(table, options);
  const wasmTable = pq.Table.fromIPCStream(tableToIPC(table, "stream"));
  // writeParquet takes ownership of (and frees) both the table and the properties.
  return pq.writeParquet(wasmTable, properties);
}

/** Decodes a Parquet file into an Arrow table (for tests and tools). */
export function decodeParquet(bytes: Uint8Array): Table {
  const wasmTable = pq.readParquet(bytes);
  return tableFromIPC(wasmTable.intoIPCStream());
}
