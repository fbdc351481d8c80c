/**
 * Where a table lives in a sink: its folder, how its files are addressed, and the catalog that knows its current
 * metadata ({@linkcode TableCatalog}; default: the storage itself, as Hadoop tables do). Data files go under
 * `<table>/data/`, manifests and manifest lists under `<table>/metadata/`.
 * @module
 */
import type { Sink } from "../../core/sink.ts";
import type { TableCatalog, TableLocation, TableVersion } from "./catalog.ts";
import { HadoopCatalog } from "./hadoop_catalog.ts";
import type { TableMetadata } from "./metadata.ts";

export { DATA_FOLDER, METADATA_FOLDER, type TableVersion } from "./catalog.ts";

/** Options of {@linkcode TableStore}. */
export interface TableStoreOptions {
  /** Default: the table lives on the storage without a catalog. */
  readonly catalog?: TableCatalog;
  /** The table's name in the catalog (the dataset, or `sink.table`); default: its folder. */
  readonly name?: string;
}

const HADOOP = new HadoopCatalog();

/** One table in a sink. */
export class TableStore implements TableLocation {
  readonly sink: Sink;
  /** The table's folder relative to the sink root, ending in `/`. */
  readonly folder: string;
  readonly catalog: TableCatalog;
  /** The table's name in its catalog. */
  readonly name: string;
  readonly #root: string;

  constructor(sink: Sink, folder: string, options: TableStoreOptions = {}) {
    this.sink = sink;
    this.folder = folder.endsWith("/") ? folder : `${folder}/`;
    this.catalog = options.catalog ?? HADOOP;
    this.name = options.name ?? this.folder.slice(0, -1);
    this.#root = sink.uri ? sink.uri("") : sink.describe("");
  }

  /** The table's location, as its metadata names it (an absolute URI, no trailing slash). */
  get location(): string {
    return this.uriOf(this.folder.slice(0, -1));
  }

  /** The absolute URI of a path relative to the sink root. */
  uriOf(path: string): string {
    return this.sink.uri ? this.sink.uri(path) : this.sink.describe(path);
  }

  /** The path relative to the sink root of a URI in the table's metadata. Throws a RangeError for another place. */
  pathOf(uri: string): string {
    const root = this.#root.replace(/\/+$/, "");
    // Hadoop's FileSystem writes local paths as `file:/x`, the sink as `file:///x`: the same file.
    const canonical = uri.replace(/^file:\/(?!\/)/, "file:///");
    if (!canonical.startsWith(`${root}/`)) {
      throw new RangeError(`Cannot use "${uri}": it is not under the sink "${root}"`);
    }
    return canonical.slice(root.length + 1);
  }

  /** The newest version, or null when the table does not exist yet. */
  latest(): Promise<TableVersion | null> {
    return this.catalog.latest(this);
  }

  /**
   * Commits `next`, built on `base`: the committed version, or null when another writer committed first (or the
   * outcome is unknown: the caller re-reads and looks for its snapshot).
   */
  commit(base: TableVersion | null, next: TableMetadata): Promise<TableVersion | null> {
    return this.catalog.commit(this, base, next);
  }
}
