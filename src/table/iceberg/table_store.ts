/**
 * Where a table lives in a sink and how its metadata versions are found and committed, as Hadoop tables do without a
 * catalog: `<table>/metadata/v<N>.metadata.json`, the newest named by `<table>/metadata/version-hint.text` (a hint:
 * the versions after it are probed, since a writer may die between committing and updating it). A commit is the
 * create-if-absent of the next version ({@linkcode Sink.writeIfAbsent}); losing it means another writer committed
 * first. Data files go under `<table>/data/`, manifests and manifest lists under `<table>/metadata/`.
 * @module
 */
import type { Sink } from "../../core/sink.ts";
import { parseMetadata, type TableMetadata } from "./metadata.ts";

/** Folder of a table's metadata, relative to the table. */
export const METADATA_FOLDER = "metadata/";
/** Folder of a table's data files, relative to the table. */
export const DATA_FOLDER = "data/";
const VERSION_HINT = "version-hint.text";

/** A table's metadata as one version holds it. */
export interface TableVersion {
  readonly version: number;
  /** Path of the metadata file, relative to the sink root. */
  readonly path: string;
  readonly metadata: TableMetadata;
}

/** One table in a sink. */
export class TableStore {
  readonly sink: Sink;
  /** The table's folder relative to the sink root, ending in `/`. */
  readonly folder: string;
  readonly #root: string;

  constructor(sink: Sink, folder: string) {
    this.sink = sink;
    this.folder = folder.endsWith("/") ? folder : `${folder}/`;
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
    if (!uri.startsWith(`${root}/`)) throw new RangeError(`Cannot use "${uri}": it is not under the sink "${root}"`);
    return uri.slice(root.length + 1);
  }

  /** Path of metadata version `n`, relative to the sink root. */
  versionPath(n: number): string {
    return `${this.folder}${METADATA_FOLDER}v${n}.metadata.json`;
  }

  /**
   * The newest version, or null when the table does not exist yet. Starts from the version hint and probes the
   * versions after it; without a usable hint (missing, or naming a version deleted since), lists the metadata folder.
   */
  async latest(): Promise<TableVersion | null> {
    const hint = await this.sink.read(`${this.folder}${METADATA_FOLDER}${VERSION_HINT}`);
    const hinted = hint === null ? 0 : Number.parseInt(new TextDecoder().decode(hint).trim(), 10) || 0;
    let found: { version: number; bytes: Uint8Array } | null = null;
    const start = hinted > 0 ? hinted : await this.#newestListed();
    if (start > 0) {
      const bytes = await this.sink.read(this.versionPath(start));
      if (bytes !== null) found = { version: start, bytes };
    }
    if (found === null && start > 0) {
      const listed = await this.#newestListed();
      const bytes = listed > 0 ? await this.sink.read(this.versionPath(listed)) : null;
      if (bytes !== null) found = { version: listed, bytes };
    }
    for (let version = found?.version ?? 0;;) {
      const bytes = await this.sink.read(this.versionPath(version + 1));
      if (bytes === null) break;
      version++;
      found = { version, bytes };
    }
    if (found === null) return null;
    const path = this.versionPath(found.version);
    return { version: found.version, path, metadata: parseMetadata(found.bytes, this.sink.describe(path)) };
  }

  /** Versions of the metadata files in the folder, ascending. */
  async versions(): Promise<number[]> {
    const versions: number[] = [];
    for (const entry of await this.sink.list(`${this.folder}${METADATA_FOLDER}`)) {
      const match = /\/v(\d+)\.metadata\.json$/.exec(entry.path);
      if (match) versions.push(Number(match[1]));
    }
    return versions.sort((a, b) => a - b);
  }

  async #newestListed(): Promise<number> {
    return (await this.versions()).at(-1) ?? 0;
  }

  /**
   * Commits `metadata` as version `n` if no writer did first: true when committed, false when the version exists.
   * Updates the version hint afterwards (best effort: readers probe past a stale hint).
   */
  async commit(n: number, metadata: TableMetadata): Promise<boolean> {
    const sink = this.sink;
    if (!sink.writeIfAbsent) {
      throw new TypeError(
        `Cannot commit to the Iceberg table "${sink.describe(this.folder)}": the sink has no conditional write`,
      );
    }
    const bytes = new TextEncoder().encode(JSON.stringify(metadata, null, 1));
    if (!await sink.writeIfAbsent(this.versionPath(n), bytes)) return false;
    await sink.write(`${this.folder}${METADATA_FOLDER}${VERSION_HINT}`, new TextEncoder().encode(String(n)))
      .catch(() => {});
    return true;
  }
}
