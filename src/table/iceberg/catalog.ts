/**
 * Where a table's current metadata is found and how a new version is committed: on the storage itself, as Hadoop
 * tables do (`hadoop_catalog.ts`, the default), or through an Iceberg REST catalog (`rest/`). Data files, manifests
 * and manifest lists are written to the table's folder by the pipeline either way; the catalog decides only which
 * metadata is current.
 * @module
 */
import type { Sink } from "../../core/sink.ts";
import type { TableMetadata } from "./metadata.ts";

/** Folder of a table's metadata, relative to the table. */
export const METADATA_FOLDER = "metadata/";
/** Folder of a table's data files, relative to the table. */
export const DATA_FOLDER = "data/";

/** A table's metadata as one version holds it. */
export interface TableVersion {
  /** The version's number: Hadoop tables' `v<N>`; a REST catalog's count of metadata files so far. */
  readonly version: number;
  /** Path of the metadata file, relative to the sink root. */
  readonly path: string;
  readonly metadata: TableMetadata;
}

/** Where a table lives, as a catalog needs to know it (`TableStore` is the one implementation). */
export interface TableLocation {
  readonly sink: Sink;
  /** The table's folder relative to the sink root, ending in `/`. */
  readonly folder: string;
  /** The table's name in its catalog. */
  readonly name: string;
  /** The table's location, as its metadata names it (an absolute URI, no trailing slash). */
  readonly location: string;
  /** The absolute URI of a path relative to the sink root. */
  uriOf(path: string): string;
  /** The path relative to the sink root of a URI in the table's metadata. Throws a RangeError for another place. */
  pathOf(uri: string): string;
}

/** See the module doc. */
export interface TableCatalog {
  /** `hadoop` or `rest`, for messages. */
  readonly kind: string;
  /** The newest committed metadata of the store's table, or null when the table does not exist yet. */
  latest(store: TableLocation): Promise<TableVersion | null>;
  /**
   * Commits `next`, built on `base` (null: the table is created with it). Resolves with the committed version, or
   * with null when another writer committed first or the outcome is unknown (the caller re-reads and tells which by
   * looking for its snapshot).
   */
  commit(store: TableLocation, base: TableVersion | null, next: TableMetadata): Promise<TableVersion | null>;
  /** Deletes the metadata files no reader needs any more, after `newest`; resolves with how many. */
  pruneMetadata(store: TableLocation, newest: TableVersion): Promise<number>;
}
