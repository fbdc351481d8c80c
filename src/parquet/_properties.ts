/**
 * The writer properties of every Parquet file (codec, row group size, statistics, dictionary choice, writer
 * version), built in one place for the whole-file writer (`writer.ts`) and the streaming one (`stream_writer.ts`), so
 * that both write the same file for the same table. Private to this folder.
 * @module
 */
import type { Table } from "apache-arrow";
import * as pq from "parquet-wasm";
import type { Compression, ParquetDictionary } from "../core/plugin.ts";

/** Options shared by the whole-file and the streaming writer. */
export interface ParquetOptions {
  /** Codec of every column. */
  readonly compression: Compression;
  /** Codec level: not applied with parquet-wasm 0.8 (see `writer.ts`); check it with `checkCompressionLevel` (compression.ts). */
  readonly compressionLevel?: number;
  /** Rows per row group at most. */
  readonly rowGroupSize: number;
  /** Dictionary encoding (see `writer.ts`). Default: `off`. */
  readonly dictionary?: ParquetDictionary;
}

const CODECS: Record<Compression, pq.Compression> = {
  snappy: pq.Compression.SNAPPY,
  gzip: pq.Compression.GZIP,
  brotli: pq.Compression.BROTLI,
  zstd: pq.Compression.ZSTD,
  lz4: pq.Compression.LZ4_RAW,
  none: pq.Compression.UNCOMPRESSED,
};

/**
 * Throws a RangeError for a bad codec, row group size or dictionary mode: called before any data is handled, so a
 * streamed file fails before its first byte.
 */
export function checkParquetOptions(options: ParquetOptions): void {
  if (CODECS[options.compression] === undefined) {
    throw new RangeError(`Cannot write Parquet: unknown compression "${options.compression}"`);
  }
  if (!Number.isInteger(options.rowGroupSize) || options.rowGroupSize < 1) {
    throw new RangeError(`Cannot write Parquet: row group size ${options.rowGroupSize} is not a positive integer`);
  }
  const dictionary = options.dictionary ?? "off";
  if (dictionary !== "off" && dictionary !== "auto" && dictionary !== "on") {
    throw new RangeError(`Cannot write Parquet: unknown dictionary mode "${dictionary}"`);
  }
}

/**
 * The properties of a file whose first rows are `sample` (the `auto` dictionary choice reads its first rows). The
 * caller hands them to parquet-wasm, which takes ownership of (and frees) them.
 */
export function writerProperties(sample: Table, options: ParquetOptions): pq.WriterProperties {
  checkParquetOptions(options);
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(CODECS[options.compression])
    .setMaxRowGroupSize(options.rowGroupSize)
    .setStatisticsEnabled(pq.EnabledStatistics.Chunk)
    .setWriterVersion(pq.WriterVersion.V1)
    .setCreatedBy("fs-data-sink");
  const dictionary = options.dictionary ?? "off";
  if (dictionary === "off") {
    builder = builder.setDictionaryEnabled(false);
  } else if (dictionary === "auto") {
    for (const name of highCardinalityColumns(sample)) builder = builder.setColumnDictionaryEnabled(name, false);
  }
  return builder.build();
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
