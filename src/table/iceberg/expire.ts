/**
 * Expiry and cleanup of a table: snapshots older than the retention (never the current one) leave the metadata in
 * one commit, then the files only they reached (manifest lists, manifests, data files) are deleted; data files under
 * `<table>/data/` that no remaining snapshot names and that are older than a grace (the orphans of commits that never
 * happened: a process killed between writing a batch and committing it, a lost compaction) are deleted too, and so
 * are manifests and manifest lists no snapshot reaches (those of commit attempts that lost their race), and metadata
 * versions older than the ones the newest lists. A file
 * any remaining snapshot reaches is never deleted.
 * @module
 */
import type { Logger } from "../../core/logger.ts";
import { manifestWrittenAt, writtenAt } from "./data_files.ts";
import { manifestEntries, manifestsOf } from "./live_files.ts";
import { STATUS } from "./manifests.ts";
import { currentSnapshot, type TableMetadata } from "./metadata.ts";
import { DATA_FOLDER, METADATA_FOLDER, type TableStore } from "./table_store.ts";

/** Options of {@linkcode expireTable}. */
export interface ExpireOptions {
  /** Snapshots older than this are expired (the current one never is). */
  readonly retainMs: number;
  /**
   * Unreferenced data files younger than this are kept (they may belong to a commit under way); never less than
   * {@linkcode MIN_ORPHAN_GRACE_MS}.
   */
  readonly orphanGraceMs: number;
  readonly log: Logger;
  /** Current time; default now. */
  readonly now?: number;
}

/** What expiry removed. */
export interface ExpireResult {
  readonly snapshotsExpired: number;
  readonly filesDeleted: number;
  readonly orphansDeleted: number;
}

const MAX_ATTEMPTS = 50;
/**
 * The least age of an orphan that is deleted: a running pipeline's batch sits between the write of its files and its
 * commit for as long as the sink refuses the commit (`pipeline.write_retry_seconds`, default 300).
 */
export const MIN_ORPHAN_GRACE_MS = 3_600_000;

/** Expires old snapshots of a table and deletes the files nothing reaches any more; see the module doc. */
export async function expireTable(store: TableStore, options: ExpireOptions): Promise<ExpireResult> {
  const now = options.now ?? Date.now();
  let expired: TableMetadata["snapshots"] = [];
  let metadata: TableMetadata | undefined;
  for (let attempt = 1;; attempt++) {
    const base = await store.latest();
    if (!base) return { snapshotsExpired: 0, filesDeleted: 0, orphansDeleted: 0 };
    const current = currentSnapshot(base.metadata);
    expired = base.metadata.snapshots.filter((s) => s !== current && now - s["timestamp-ms"] > options.retainMs);
    metadata = base.metadata;
    if (expired.length === 0) break;
    const gone = new Set(expired.map((s) => s["snapshot-id"]));
    const next: TableMetadata = {
      ...base.metadata,
      "last-updated-ms": Math.max(now, base.metadata["last-updated-ms"] + 1),
      snapshots: base.metadata.snapshots.filter((s) => !gone.has(s["snapshot-id"])),
      "snapshot-log": base.metadata["snapshot-log"].filter((e) => !gone.has(e["snapshot-id"])),
      "metadata-log": [
        ...base.metadata["metadata-log"],
        { "timestamp-ms": base.metadata["last-updated-ms"], "metadata-file": store.uriOf(base.path) },
      ].slice(-100),
    };
    const committed = await store.commit(base, next);
    if (committed) {
      metadata = committed.metadata;
      break;
    }
    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`Cannot expire snapshots of "${store.location}": lost ${attempt} races`);
    }
  }
  const kept = await reachable(store, metadata!.snapshots);
  let filesDeleted = 0;
  if (expired.length > 0) {
    const before = await reachable(store, expired);
    for (const path of before) {
      if (kept.has(path)) continue;
      await store.sink.delete(path);
      filesDeleted++;
    }
  }
  let orphansDeleted = 0;
  for (const entry of await store.sink.list(`${store.folder}${DATA_FOLDER}`)) {
    if (kept.has(entry.path)) continue;
    const at = writtenAt(entry.path);
    if (at === undefined || now - at < Math.max(options.orphanGraceMs, MIN_ORPHAN_GRACE_MS)) continue;
    await store.sink.delete(entry.path);
    orphansDeleted++;
  }
  // Manifests and manifest lists of commits that lost their race (or of expired snapshots written before).
  for (const entry of await store.sink.list(`${store.folder}${METADATA_FOLDER}`)) {
    if (kept.has(entry.path)) continue;
    const at = manifestWrittenAt(entry.path);
    if (at === undefined || now - at < Math.max(options.orphanGraceMs, MIN_ORPHAN_GRACE_MS)) continue;
    await store.sink.delete(entry.path);
    orphansDeleted++;
  }
  // Metadata versions no reader needs any more (a REST catalog deletes its own).
  const newest = await store.latest();
  if (newest) filesDeleted += await store.catalog.pruneMetadata(store, newest);
  const result = { snapshotsExpired: expired.length, filesDeleted, orphansDeleted };
  if (expired.length + orphansDeleted > 0) options.log.info({ table: store.folder, ...result }, "Expired snapshots");
  return result;
}

/** Every file (relative to the sink root) the snapshots reach: manifest lists, manifests and live data files. */
async function reachable(store: TableStore, snapshots: TableMetadata["snapshots"]): Promise<Set<string>> {
  const paths = new Set<string>();
  const seenManifests = new Set<string>();
  for (const snapshot of snapshots) {
    paths.add(store.pathOf(snapshot["manifest-list"]));
    for (const manifest of await manifestsOf(store, snapshot)) {
      if (seenManifests.has(manifest.manifest_path)) continue;
      seenManifests.add(manifest.manifest_path);
      paths.add(store.pathOf(manifest.manifest_path));
      for (const entry of await manifestEntries(store, manifest)) {
        // A deleted entry records that the snapshot no longer holds the file.
        if (entry.status !== STATUS.deleted) paths.add(store.pathOf(entry.data_file.file_path));
      }
    }
  }
  return paths;
}
