/**
 * Apache Iceberg tables (format version 2) on any sink with a conditional write, without a catalog: the delivery log
 * that commits the pipeline's batches as snapshots (`delivery.ts`), and the maintenance of `fs-data-sink compact`
 * (`compact.ts`). The rest of the folder: schema and field ids (`types.ts`, `field_ids.ts`, `schema_evolution.ts`),
 * partition specs (`partition.ts`), column statistics (`stats.ts`), metadata JSON (`metadata.ts`), Avro manifests
 * (`avro_file.ts`, `manifests.ts`), the table's files in the sink (`table_store.ts`, `data_files.ts`) and one
 * append commit (`append.ts`).
 * @module
 */
import type { Table } from "apache-arrow";
import type { CommonSinkConfig } from "../../core/plugin.ts";
import type { MetadataColumn } from "../../core/source.ts";
import { escapeSegment } from "../../partition/escape.ts";
import { encodeParquet } from "../../parquet/writer.ts";
import type { Logger } from "../../core/logger.ts";
import type { Sink } from "../../core/sink.ts";
import { IcebergLog } from "./delivery.ts";
import type { TableCatalog } from "./catalog.ts";
import { ConfigError } from "../../core/errors.ts";
import { RestClient } from "./rest/client.ts";
import { RestCatalog } from "./rest/catalog.ts";

export { IcebergLog } from "./delivery.ts";
export { type CompactOptions, type CompactResult, compactTable } from "./compact.ts";
export { type ExpireOptions, type ExpireResult, expireTable } from "./expire.ts";
export { TableStore } from "./table_store.ts";
export { RestCatalog } from "./rest/catalog.ts";
export { type MaintenanceOptions, startMaintenance } from "./maintenance.ts";

/** The table folder (relative to the sink root, ending in `/`) of a dataset under a sink config. */
export function tableFolder(sink: CommonSinkConfig, dataset: string): string {
  const name = sink.table ?? dataset;
  return name.split("/").filter((part) => part !== "").map(escapeSegment).join("/") + "/";
}

/** The column `date`/`hour` partitions are taken from: `timestamp_field`, else the source's timestamp column. */
export function timeColumnOf(sink: CommonSinkConfig, metadataColumns: readonly MetadataColumn[]): string | undefined {
  return sink.timestamp_field ?? metadataColumns.find((c) => c.type === "timestamp_ms")?.name;
}

/** The catalog a sink section names: a REST catalog, or undefined for tables on the storage. */
export function tableCatalog(config: CommonSinkConfig, log: Logger): TableCatalog | undefined {
  if (config.catalog !== "rest") return undefined;
  if (!config.catalog_uri) throw new ConfigError("sink.catalog: rest needs sink.catalog_uri");
  const client = new RestClient({
    uri: config.catalog_uri,
    warehouse: config.catalog_warehouse,
    token: config.catalog_token,
    credential: config.catalog_credential,
    scope: config.catalog_scope,
    log,
  });
  return new RestCatalog(client, config.catalog_namespace ?? "default", log);
}

/** The name of a dataset's table in its catalog: `sink.table`, else the dataset. */
export function tableName(config: CommonSinkConfig, dataset: string): string {
  return config.table ?? dataset;
}

/** The delivery log of Iceberg tables for a sink section. Throws a TypeError when the sink cannot commit. */
export function icebergLog(
  sink: Sink,
  config: CommonSinkConfig,
  options: {
    readonly log: Logger;
    readonly metadataColumns: readonly MetadataColumn[];
    /** Fresh probe paths (the layout's), for the conditional-write probe before the first commit. */
    readonly probePath?: () => string;
  },
): IcebergLog {
  const catalog = tableCatalog(config, options.log.child("catalog"));
  if (!catalog && !sink.writeIfAbsent) {
    throw new TypeError(`Cannot write Iceberg tables to sink "${config.type}": it has no conditional write`);
  }
  return new IcebergLog(sink, {
    log: options.log,
    catalog,
    tableOf: (dataset) => tableFolder(config, dataset),
    nameOf: (dataset) => tableName(config, dataset),
    partitionBy: config.partition_by,
    timeColumn: timeColumnOf(config, options.metadataColumns),
    encode: parquetEncoder(config),
    // A REST catalog commits: the storage needs no conditional write.
    probePath: catalog ? undefined : options.probePath,
  });
}

/** Encodes tables as Parquet with a sink section's codec, row groups and dictionary setting. */
export function parquetEncoder(config: CommonSinkConfig): (table: Table) => Uint8Array {
  return (table) =>
    encodeParquet(table, {
      compression: config.compression,
      compressionLevel: config.compression_level,
      rowGroupSize: config.row_group_size,
      dictionary: config.parquet_dictionary,
    });
}
