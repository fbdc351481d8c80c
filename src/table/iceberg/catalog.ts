/**
 * Where a table's current metadata is found and how a new version is committed: on the storage itself, as Hadoop
 * tables do (`hadoop_catalog.ts`, the default), or through an Iceberg REST catalog (`rest/`). Data files, manifests
 * and manifest lists are written to the table's folder by the pipeline either way; the catalog decides only which
 * metadata is current.
 * @module
 */
import type { TableMetadata } from "./metadata.ts";
import type { TableStore, TableVersion } from "./table_store.ts";

/** See the module doc. */
export interface TableCatalog {
  /** `hadoop` or `rest`, for messages. */
  readonly kind: string;
  /** The newest committed metadata of the store's table, or null when the table does not exist yet. */
  latest(store: TableStore): Promise<TableVersion | null>;
  /**
   * Commits `next`, built on `base` (null: the table is created with it). Resolves with the committed version, or
   * with null when another writer committed first or the outcome is unknown (the caller re-reads and tells which by
   * looking for its snapshot).
   */
  commit(store: TableStore, base: TableVersion | null, next: TableMetadata): Promise<TableVersion | null>;
  /** Deletes the metadata files no reader needs any more, after `newest`; resolves with how many. */
  pruneMetadata(store: TableStore, newest: TableVersion): Promise<number>;
}
