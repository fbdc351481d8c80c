/**
 * Tables without a catalog, as Hadoop tables keep them: `<table>/metadata/v<N>.metadata.json`, the newest named by
 * `<table>/metadata/version-hint.text` (a hint: the versions after it are probed, since a writer may die between
 * committing and updating it). A commit is the create-if-absent of the next version ({@linkcode Sink.writeIfAbsent});
 * losing it means another writer committed first.
 * @module
 */
import type { Sink } from "../../core/sink.ts";
import { METADATA_FOLDER, type TableCatalog, type TableLocation, type TableVersion } from "./catalog.ts";
import { parseMetadata, type TableMetadata } from "./metadata.ts";

const VERSION_HINT = "version-hint.text";

/** Path of metadata version `n` of a table folder, relative to the sink root. */
export function versionPath(folder: string, n: number): string {
  return `${folder}${METADATA_FOLDER}v${n}.metadata.json`;
}

/** Versions of the metadata files in a table folder, ascending. */
export async function metadataVersions(sink: Sink, folder: string): Promise<number[]> {
  const versions: number[] = [];
  for (const entry of await sink.list(`${folder}${METADATA_FOLDER}`)) {
    const match = /\/v(\d+)\.metadata\.json$/.exec(entry.path);
    if (match) versions.push(Number(match[1]));
  }
  return versions.sort((a, b) => a - b);
}

/** See the module doc. */
export class HadoopCatalog implements TableCatalog {
  readonly kind = "hadoop";

  /**
   * The newest version. Starts from the version hint and probes the versions after it; without a usable hint
   * (missing, or naming a version deleted since), lists the metadata folder.
   */
  async latest(store: TableLocation): Promise<TableVersion | null> {
    const { sink, folder } = store;
    const hint = await sink.read(`${folder}${METADATA_FOLDER}${VERSION_HINT}`);
    const hinted = hint === null ? 0 : Number.parseInt(new TextDecoder().decode(hint).trim(), 10) || 0;
    const newestListed = async () => (await metadataVersions(sink, folder)).at(-1) ?? 0;
    let found: { version: number; bytes: Uint8Array } | null = null;
    const start = hinted > 0 ? hinted : await newestListed();
    if (start > 0) {
      const bytes = await sink.read(versionPath(folder, start));
      if (bytes !== null) found = { version: start, bytes };
    }
    if (found === null && start > 0) {
      const listed = await newestListed();
      const bytes = listed > 0 ? await sink.read(versionPath(folder, listed)) : null;
      if (bytes !== null) found = { version: listed, bytes };
    }
    for (let version = found?.version ?? 0;;) {
      const bytes = await sink.read(versionPath(folder, version + 1));
      if (bytes === null) break;
      version++;
      found = { version, bytes };
    }
    if (found === null) return null;
    const path = versionPath(folder, found.version);
    return { version: found.version, path, metadata: parseMetadata(found.bytes, sink.describe(path)) };
  }

  /** Creates the next version if no writer did first, then updates the hint (best effort). */
  async commit(store: TableLocation, base: TableVersion | null, next: TableMetadata): Promise<TableVersion | null> {
    const { sink, folder } = store;
    if (!sink.writeIfAbsent) {
      throw new TypeError(
        `Cannot commit to the Iceberg table "${sink.describe(folder)}": the sink has no conditional write`,
      );
    }
    const version = (base?.version ?? 0) + 1;
    const path = versionPath(folder, version);
    const bytes = new TextEncoder().encode(JSON.stringify(next, null, 1));
    if (!await sink.writeIfAbsent(path, bytes)) return null;
    await sink.write(`${folder}${METADATA_FOLDER}${VERSION_HINT}`, new TextEncoder().encode(String(version)))
      .catch(() => {});
    return { version, path, metadata: next };
  }

  /** Deletes the versions older than the previous ones the newest lists (at most 100): no reader needs them. */
  async pruneMetadata(store: TableLocation, newest: TableVersion): Promise<number> {
    const keep = newest.version - newest.metadata["metadata-log"].length;
    let deleted = 0;
    for (const version of await metadataVersions(store.sink, store.folder)) {
      if (version >= keep || version >= newest.version) break;
      await store.sink.delete(versionPath(store.folder, version));
      deleted++;
    }
    return deleted;
  }
}
