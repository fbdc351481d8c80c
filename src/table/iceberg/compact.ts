/**
 * Compaction of a table: the small data files of each partition (older than a grace, so files being committed are
 * left alone) are rewritten into files of about the target size, in one `replace` snapshot that adds the new files
 * and deletes the old ones; rows are unchanged. Only files of one partition and one file schema (the same columns,
 * field ids and types) are merged, so no value is converted. The snapshot keeps the stream positions of its parent
 * (recovery reads them from the current snapshot). A writer committing meanwhile is retried on top of; a file
 * compacted or removed by another writer meanwhile aborts the compaction (its new files become orphans). The snapshot
 * lists every live file in one manifest; with no file to merge, the manifests alone are rewritten as one when there
 * are several (each append adds one).
 * @module
 */
import { dirname } from "node:path";
import { type Field, Table } from "apache-arrow";
import type { Logger } from "../../core/logger.ts";
import { decodeParquet } from "../../parquet/writer.ts";
import { manifestListPath, manifestPath as newManifestPath, renamedDataFile } from "./data_files.ts";
import { type LiveFile, liveFiles, manifestsOf } from "./live_files.ts";
import { encodeManifest, encodeManifestList, type ManifestEntry, STATUS } from "./manifests.ts";
import { currentSchema, currentSnapshot, defaultSpec, newSnapshotId, type Snapshot, withSnapshot } from "./metadata.ts";
import { fileStats } from "./stats.ts";
import type { TableStore } from "./table_store.ts";
import { FIELD_ID_KEY } from "./types.ts";

/** Options of {@linkcode compactTable}. */
export interface CompactOptions {
  /** Files committed more recently than this are left alone. */
  readonly olderThanMs: number;
  /** Size of the files written, roughly; files at least three quarters of it are not small. */
  readonly targetFileBytes: number;
  /** Encodes a table as Parquet (the sink's codec and row groups). */
  readonly encode: (table: Table) => Uint8Array;
  readonly log: Logger;
  /** Current time; default now. */
  readonly now?: number;
}

/** What one compaction did. */
export interface CompactResult {
  /** Data files of the current snapshot before and after. */
  readonly filesBefore: number;
  readonly filesAfter: number;
  /** Files rewritten and files written. */
  readonly rewritten: number;
  readonly written: number;
  /** The version committed, if any. */
  readonly version?: number;
}

const MAX_ATTEMPTS = 50;

/** Compacts one table; see the module doc. */
export async function compactTable(store: TableStore, options: CompactOptions): Promise<CompactResult> {
  const base = await store.latest();
  const snapshot = base && currentSnapshot(base.metadata);
  if (!base || !snapshot) return { filesBefore: 0, filesAfter: 0, rewritten: 0, written: 0 };
  const now = options.now ?? Date.now();
  const committedAt = new Map(base.metadata.snapshots.map((s) => [s["snapshot-id"], s["timestamp-ms"]]));
  const live = await liveFiles(store, snapshot);
  const small = live.filter((f) =>
    f.entry.data_file.file_size_in_bytes < options.targetFileBytes * 0.75 &&
    now - (committedAt.get(f.entry.snapshot_id) ?? now) >= options.olderThanMs
  );
  const byPartition = new Map<string, LiveFile[]>();
  for (const file of small) {
    const key = JSON.stringify(file.entry.data_file.partition);
    byPartition.set(key, [...(byPartition.get(key) ?? []), file]);
  }
  const removed: LiveFile[] = [];
  const added: ManifestEntry["data_file"][] = [];
  for (const files of byPartition.values()) {
    if (files.length < 2) continue;
    const decoded = new Map<string, { file: LiveFile; table: Table }[]>();
    for (const file of files) {
      const bytes = await store.sink.read(file.path);
      if (bytes === null) throw new Error(`Cannot compact "${store.uriOf(file.path)}": the data file is missing`);
      const table = decodeParquet(bytes);
      const key = schemaKey(table);
      decoded.set(key, [...(decoded.get(key) ?? []), { file, table }]);
    }
    for (const group of decoded.values()) {
      for (const bin of bins(group, options.targetFileBytes)) {
        if (bin.length < 2) continue;
        const table = new Table(bin.flatMap((b) => b.table.batches));
        const data = options.encode(table);
        const first = bin[0]!.file;
        const path = renamedDataFile(`${dirname(first.path)}/compacted.parquet`);
        await store.sink.write(path, data);
        const stats = fileStats(table);
        const pairs = <V>(map: Map<number, V>) => [...map].map(([key, value]) => ({ key, value }));
        added.push({
          content: 0,
          file_path: store.uriOf(path),
          file_format: "PARQUET",
          partition: first.entry.data_file.partition,
          record_count: table.numRows,
          file_size_in_bytes: data.length,
          value_counts: pairs(stats.valueCounts),
          null_value_counts: pairs(stats.nullCounts),
          lower_bounds: pairs(stats.lowerBounds),
          upper_bounds: pairs(stats.upperBounds),
        });
        removed.push(...bin.map((b) => b.file));
      }
    }
  }
  if (added.length === 0) {
    // Nothing to merge, but every append added a manifest: rewrite them as one, so readers and the next commits
    // open one manifest instead of one per commit.
    const manifests = await manifestsOf(store, snapshot);
    const unchanged = { filesBefore: live.length, filesAfter: live.length, rewritten: 0, written: 0 };
    if (manifests.length < 2) return unchanged;
    return { ...unchanged, version: await commitReplace(store, [], [], options.log) };
  }
  const version = await commitReplace(store, removed, added, options.log);
  const result = {
    filesBefore: live.length,
    filesAfter: live.length - removed.length + added.length,
    rewritten: removed.length,
    written: added.length,
    version,
  };
  options.log.info({ table: store.folder, ...result }, "Compacted small data files");
  return result;
}

/** Groups files, in order, into bins of at most `target` bytes (a file larger than the target is a bin alone). */
function bins<T extends { file: LiveFile }>(files: readonly T[], target: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of files) {
    const bytes = item.file.entry.data_file.file_size_in_bytes;
    if (current.length > 0 && size + bytes > target) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function schemaKey(table: Table): string {
  return table.schema.fields.map((f) =>
    `${f.name}:${f.metadata.get(FIELD_ID_KEY)}:${f.type}:${
      f.type.children?.map((c: Field) => c.metadata.get(FIELD_ID_KEY))
    }`
  ).join("|");
}

async function commitReplace(
  store: TableStore,
  removed: readonly LiveFile[],
  added: readonly ManifestEntry["data_file"][],
  log: Logger,
): Promise<number> {
  const removedPaths = new Set(removed.map((f) => f.path));
  // Snapshot ids of the attempts: a "lost" race may be our own retried write that went through.
  const attempted = new Map<number, number>();
  for (let attempt = 1;; attempt++) {
    const base = (await store.latest())!;
    const ours = base.metadata.snapshots.find((s) => attempted.has(s["snapshot-id"]));
    if (ours) return attempted.get(ours["snapshot-id"])!;
    const metadata = base.metadata;
    const parent = currentSnapshot(metadata)!;
    const live = await liveFiles(store, parent);
    const still = live.filter((f) => removedPaths.has(f.path));
    if (still.length !== removedPaths.size) {
      throw new Error(
        `Cannot compact the Iceberg table "${store.location}": another writer changed its files meanwhile`,
      );
    }
    const snapshotId = newSnapshotId();
    attempted.set(snapshotId, base.version + 1);
    const sequence = metadata["last-sequence-number"] + 1;
    const entries: ManifestEntry[] = [
      ...live.filter((f) => !removedPaths.has(f.path)).map((f) => ({ ...f.entry, status: STATUS.existing })),
      ...still.map((f) => ({ ...f.entry, status: STATUS.deleted, snapshot_id: snapshotId })),
      ...added.map((data_file) => ({
        status: STATUS.added,
        snapshot_id: snapshotId,
        sequence_number: sequence,
        file_sequence_number: sequence,
        data_file,
      })),
    ];
    const spec = defaultSpec(metadata);
    const schema = currentSchema(metadata);
    const manifestPath = newManifestPath(store.folder);
    const manifest = encodeManifest(entries, spec, schema);
    await store.sink.write(manifestPath, manifest);
    const rows = (files: readonly { record_count: number }[]) => files.reduce((n, f) => n + f.record_count, 0);
    const kept = live.filter((f) => !removedPaths.has(f.path)).map((f) => f.entry.data_file);
    const listPath = manifestListPath(store.folder, snapshotId);
    await store.sink.write(
      listPath,
      encodeManifestList([{
        manifest_path: store.uriOf(manifestPath),
        manifest_length: manifest.length,
        partition_spec_id: spec["spec-id"],
        content: 0,
        sequence_number: sequence,
        min_sequence_number: Math.min(sequence, ...entries.map((e) => e.sequence_number ?? sequence)),
        added_snapshot_id: snapshotId,
        added_files_count: added.length,
        existing_files_count: kept.length,
        deleted_files_count: still.length,
        added_rows_count: rows(added),
        existing_rows_count: rows(kept),
        deleted_rows_count: rows(still.map((f) => f.entry.data_file)),
        partitions: null,
      }], { snapshotId, parentSnapshotId: parent["snapshot-id"], sequenceNumber: sequence }),
    );
    const bytes = (files: readonly { file_size_in_bytes: number }[]) =>
      files.reduce((n, f) => n + f.file_size_in_bytes, 0);
    const deletedFiles = still.map((f) => f.entry.data_file);
    const summary: Record<string, string> = {
      operation: "replace",
      ...Object.fromEntries(Object.entries(parent.summary).filter(([key]) => key.startsWith("fsds."))),
      "added-data-files": String(added.length),
      "deleted-data-files": String(deletedFiles.length),
      "added-records": String(rows(added)),
      "deleted-records": String(rows(deletedFiles)),
      "added-files-size": String(bytes(added)),
      "removed-files-size": String(bytes(deletedFiles)),
      "total-data-files": String(kept.length + added.length),
      "total-records": String(rows(kept) + rows(added)),
      "total-files-size": String(bytes(kept) + bytes(added)),
      "total-delete-files": "0",
      "total-position-deletes": "0",
      "total-equality-deletes": "0",
    };
    const snapshot: Snapshot = {
      "snapshot-id": snapshotId,
      "parent-snapshot-id": parent["snapshot-id"],
      "sequence-number": sequence,
      "timestamp-ms": Math.max(Date.now(), metadata["last-updated-ms"] + 1),
      "manifest-list": store.uriOf(listPath),
      summary,
      "schema-id": schema["schema-id"],
    };
    const next = withSnapshot(metadata, snapshot, { previousFile: store.uriOf(base.path) });
    const committed = await store.commit(base, next);
    if (committed) return committed.version;
    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`Cannot compact the Iceberg table "${store.location}": lost ${attempt} races`);
    }
    log.debug({ table: store.folder, attempt }, "Another writer committed first; compacting on top of its snapshot");
  }
}
