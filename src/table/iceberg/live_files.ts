/**
 * The data files a snapshot holds: its manifest list, each manifest's entries that are not deleted, with the
 * snapshot id and sequence numbers a manifest entry inherits from its manifest when it leaves them out.
 * @module
 */
import { readManifestList } from "./append.ts";
import { decodeManifest, type ManifestEntry, type ManifestFile, STATUS } from "./manifests.ts";
import type { Snapshot } from "./metadata.ts";
import type { TableStore } from "./table_store.ts";

/** A live data file of a snapshot, with its inherited ids filled in. */
export interface LiveFile {
  readonly entry: ManifestEntry & { readonly snapshot_id: number; readonly sequence_number: number };
  /** Path relative to the sink root. */
  readonly path: string;
}

/** The manifests of a snapshot. */
export function manifestsOf(store: TableStore, snapshot: Snapshot): Promise<ManifestFile[]> {
  return readManifestList(store, snapshot);
}

/** The entries of a manifest, inherited ids filled in. */
export async function manifestEntries(store: TableStore, manifest: ManifestFile): Promise<LiveFile["entry"][]> {
  const path = store.pathOf(manifest.manifest_path);
  const bytes = await store.sink.read(path);
  if (bytes === null) throw new Error(`Cannot read the manifest "${manifest.manifest_path}": it does not exist`);
  return decodeManifest(bytes, manifest.manifest_path).map((entry) => ({
    ...entry,
    snapshot_id: entry.snapshot_id ?? manifest.added_snapshot_id,
    sequence_number: entry.sequence_number ?? manifest.sequence_number,
    file_sequence_number: entry.file_sequence_number ?? entry.sequence_number ?? manifest.sequence_number,
  }));
}

/** Every live (added or existing) data file of `snapshot`. */
export async function liveFiles(store: TableStore, snapshot: Snapshot): Promise<LiveFile[]> {
  const files: LiveFile[] = [];
  for (const manifest of await manifestsOf(store, snapshot)) {
    for (const entry of await manifestEntries(store, manifest)) {
      if (entry.status === STATUS.deleted) continue;
      files.push({ entry, path: store.pathOf(entry.data_file.file_path) });
    }
  }
  return files;
}
