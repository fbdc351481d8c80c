/**
 * Parquet encoding through `parquet-wasm` (arrow-rs compiled to WebAssembly); the only module that imports it
 * (besides the test readers). The Arrow table crosses into WebAssembly as an IPC stream.
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
import type { Compression, ParquetDictionary } from "../core/plugin.ts";

/** Options of {@linkcode encodeParquet}. */
export interface EncodeParquetOptions {
  /** Codec of every column. */
  readonly compression: Compression;
  /** Codec level: not applied with parquet-wasm 0.8 (see the module doc); check it with `checkCompressionLevel` (compression.ts). */
  readonly compressionLevel?: number;
  /** Rows per row group at most. */
  readonly rowGroupSize: number;
  /** Dictionary encoding (see the module doc). Default: `off`. */
  readonly dictionary?: ParquetDictionary;
}

/** Whether {@linkcode EncodeParquetOptions.compressionLevel} changes the output (false with parquet-wasm 0.8). */
export const compressionLevelApplied = false;

const CODECS: Record<Compression, pq.Compression> = {
  snappy: pq.Compression.SNAPPY,
  gzip: pq.Compression.GZIP,
  brotli: pq.Compression.BROTLI,
  zstd: pq.Compression.ZSTD,
  lz4: pq.Compression.LZ4_RAW,
  none: pq.Compression.UNCOMPRESSED,
};

/**
 * Encodes an Arrow table as a Parquet file. Throws a RangeError for a bad codec or row group size; the level is not
 * checked here (it is not applied, see the module doc): validate it with `checkCompressionLevel` (compression.ts).
 */
export function encodeParquet(table: Table, options: EncodeParquetOptions): Uint8Array {
  const codec = CODECS[options.compression];
  if (codec === undefined) throw new RangeError(`Cannot write Parquet: unknown compression "${options.compression}"`);
  if (!Number.isInteger(options.rowGroupSize) || options.rowGroupSize < 1) {
    throw new RangeError(`Cannot write Parquet: row group size ${options.rowGroupSize} is not a positive integer`);
  }
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(codec)
    .setMaxRowGroupSize(options.rowGroupSize)
    .setStatisticsEnabled(pq.EnabledStatistics.Chunk)
    .setWriterVersion(pq.WriterVersion.V1)
    .setCreatedBy("fs-data-sink");
  const dictionary = options.dictionary ?? "off";
  if (dictionary === "off") {
    builder = builder.setDictionaryEnabled(false);
  } else if (dictionary === "auto") {
    for (const name of highCardinalityColumns(table)) builder = builder.setColumnDictionaryEnabled(name, false);
  } else if (dictionary !== "on") {
    throw new RangeError(`Cannot write Parquet: unknown dictionary mode "${dictionary}"`);
  }
  const properties = builder.build();
  const wasmTable = pq.Table.fromIPCStream(tableToIPC(table, "stream"));
  // writeParquet takes ownership of (and frees) both the table and the properties.
  return pq.writeParquet(wasmTable, properties);
}

const DICTIONARY_SAMPLE_ROWS = 256;

/** Top-level scalar columns whose sampled values are mostly distinct. */
function highCardinalityColumns(table: Table): string[] {
  const names: string[] = [];
  const sampleRows = Math.min(table.numRows, DICTIONARY_SAMPLE_ROWS);
  if (sampleRows < 2) return names;
  table.schema.fields.forEach((field, index) => {
    if (field.type.children?.length) return; // lists and maps: leaf paths differ; keep the default
    const vector = table.getChildAt(index);
    if (vector === null) return;
    const seen = new Set<unknown>();
    let nonNull = 0;
    for (let i = 0; i < sampleRows; i++) {
      const value = vector.get(i);
      if (value === null) continue;
      nonNull++;
      seen.add(value instanceof Uint8Array ? String.fromCharCode(...value.subarray(0, 64)) : value);
    }
    if (nonNull > 0 && seen.size * 2 > nonNull) names.push(field.name);
  });
  return names;
}

/** Decodes a Parquet file into an Arrow table (for tests and tools). */
export function decodeParquet(bytes: Uint8Array): Table {
  const wasmTable = pq.readParquet(bytes);
  return tableFromIPC(wasmTable.intoIPCStream());
}
