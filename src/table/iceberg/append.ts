/**
 * One `append` snapshot: the data files of one or more batches, their schema changes, and the stream positions they
 * cover, committed through the table's catalog (the create-if-absent of the next metadata version when there is none,
 * or a REST catalog's commit with its requirements); a lost race re-reads the newest version
 * and tries again on top of it, so concurrent writers (instances of one consumer group) never lose each other's
 * commits. The snapshot summary carries `fsds.positions` (JSON `{stream: last position}`), merged from the parent's,
 * so the current snapshot holds every stream's latest position; `fsds.generations` likewise for the streams whose
 * positions started over (see `journal.ts`).
 * @module
 */
import type { Logger } from "../../core/logger.ts";
import {
  currentSchema,
  currentSnapshot,
  defaultSpec,
  newSnapshotId,
  newTableMetadata,
  type Snapshot,
  type TableMetadata,
  withSnapshot,
} from "./metadata.ts";
import { decodeManifestList, encodeManifest, encodeManifestList, type ManifestFile, STATUS } from "./manifests.ts";
import { type PartitionOptions, partitionSpec, partitionValues } from "./partition.ts";
import { evolveSchema } from "./schema_evolution.ts";
import type { DataFileFacts } from "./prepared_file.ts";
import { manifestListPath, manifestPath as newManifestPath } from "./data_files.ts";
import type { TableStore, TableVersion } from "./table_store.ts";

/** Summary key of the positions a snapshot covers. */
export const POSITIONS_KEY = "fsds.positions";
/** Summary key of the streams' file-name generations. */
export const GENERATIONS_KEY = "fsds.generations";
/** Summary key of the streams' incarnations. */
export const INCARNATIONS_KEY = "fsds.incarnations";
/** Commit attempts before giving up (each lost race is another writer's commit: progress). */
const MAX_ATTEMPTS = 100;

/** A data file to append. */
export interface AppendFile {
  /** The stream whose batch the file holds. */
  readonly stream: string;
  /** Path relative to the sink root. */
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
  /** Its schema (with field ids), statistics and first row. */
  readonly facts: DataFileFacts;
}

/** Where a stream stands after the commit. */
export interface StreamMark {
  readonly last: string;
  readonly generation: string;
  /** The stream's incarnation (Kafka: the topic id), when the source knows it. */
  readonly incarnation?: string;
}

/** What to append. */
export interface AppendRequest {
  readonly files: readonly AppendFile[];
  /** Positions (and generations) of the streams the files cover. */
  readonly streams: ReadonlyMap<string, StreamMark>;
  /** Drops the streams already recorded at or past their mark (a retried commit that went through). */
  readonly alreadyCommitted?: (stream: string, mark: StreamMark, recorded: StreamMark) => boolean;
}

/** Positions and generations a snapshot records, by stream. */
export function streamMarks(snapshot: Snapshot | undefined): Map<string, StreamMark> {
  const marks = new Map<string, StreamMark>();
  if (!snapshot) return marks;
  const positions = JSON.parse(snapshot.summary[POSITIONS_KEY] ?? "{}") as Record<string, string>;
  const generations = JSON.parse(snapshot.summary[GENERATIONS_KEY] ?? "{}") as Record<string, string>;
  const incarnations = JSON.parse(snapshot.summary[INCARNATIONS_KEY] ?? "{}") as Record<string, string>;
  for (const [stream, last] of Object.entries(positions)) {
    marks.set(stream, { last, generation: generations[stream] ?? "", incarnation: incarnations[stream] });
  }
  return marks;
}

/** Options of {@linkcode appendFiles}. */
export interface AppendOptions extends PartitionOptions {
  readonly log: Logger;
}

/** Commits one append snapshot; resolves with the committed version (or the newest, when nothing was left to add). */
export async function appendFiles(
  store: TableStore,
  request: AppendRequest,
  options: AppendOptions,
): Promise<TableVersion> {
  // Snapshot ids of this call's attempts: a "lost" race may be our own retried write that went through.
  const attempted = new Set<number>();
  for (let attempt = 1;; attempt++) {
    const base = await store.latest();
    if (base && base.metadata.snapshots.some((s) => attempted.has(s["snapshot-id"]))) return base;
    const recorded = streamMarks(base ? currentSnapshot(base.metadata) : undefined);
    const pending = [...request.streams].filter(([stream, mark]) => {
      const known = recorded.get(stream);
      return !(known && request.alreadyCommitted?.(stream, mark, known));
    });
    if (base && pending.length === 0) {
      options.log.info({ table: store.folder }, "Batch already committed by an earlier attempt; nothing to add");
      return base;
    }
    const streams = new Map(pending);
    const files = request.files.filter((f) => streams.has(f.stream));
    const next = await buildMetadata(store, base, { ...request, files, streams }, recorded);
    attempted.add(next["current-snapshot-id"]!);
    const committed = await store.commit(base, next);
    if (committed) return committed;
    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`Cannot commit to the Iceberg table "${store.location}": lost ${attempt} races to other writers`);
    }
    options.log.debug({ table: store.folder, attempt }, "Another writer committed first; retrying on its snapshot");
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 20 * attempt)));
  }

  async function buildMetadata(
    store: TableStore,
    base: TableVersion | null,
    request: AppendRequest,
    recorded: Map<string, StreamMark>,
  ): Promise<TableMetadata> {
    const schemas = request.files.map((f) => f.facts.schema);
    const old = base?.metadata;
    const nextSchemaId = old ? Math.max(...old.schemas.map((s) => s["schema-id"])) + 1 : 0;
    const evolution = evolveSchema(old && currentSchema(old), old?.["last-column-id"] ?? 0, schemas, nextSchemaId);
    let metadata = old ?? newTableMetadata(
      store.location,
      evolution.schema,
      partitionSpec(evolution.schema, options),
      evolution.lastColumnId,
    );
    if (old && evolution.changed) {
      metadata = {
        ...old,
        schemas: [...old.schemas, evolution.schema],
        "current-schema-id": evolution.schema["schema-id"],
        "last-column-id": evolution.lastColumnId,
      };
    }
    const schema = evolution.schema;
    const spec = defaultSpec(metadata);
    const parent = currentSnapshot(metadata);
    const snapshotId = newSnapshotId();
    const sequence = metadata["last-sequence-number"] + 1;
    const entries = request.files.map((file) => {
      const stats = file.facts.stats;
      const pairs = <V>(map: Map<number, V>) => [...map].map(([key, value]) => ({ key, value }));
      return {
        status: STATUS.added,
        snapshot_id: snapshotId,
        sequence_number: sequence,
        file_sequence_number: sequence,
        data_file: {
          content: 0 as const,
          file_path: store.uriOf(file.path),
          file_format: "PARQUET" as const,
          partition: partitionValues(spec, schema, file.facts.firstRow, file.path),
          record_count: file.rows,
          file_size_in_bytes: file.bytes,
          value_counts: pairs(stats.valueCounts),
          null_value_counts: pairs(stats.nullCounts),
          lower_bounds: pairs(stats.lowerBounds),
          upper_bounds: pairs(stats.upperBounds),
        },
      };
    });
    const manifestPath = newManifestPath(store.folder);
    const manifest = encodeManifest(entries, spec, schema);
    await store.sink.write(manifestPath, manifest);
    const manifests: ManifestFile[] = [{
      manifest_path: store.uriOf(manifestPath),
      manifest_length: manifest.length,
      partition_spec_id: spec["spec-id"],
      content: 0,
      sequence_number: sequence,
      min_sequence_number: sequence,
      added_snapshot_id: snapshotId,
      added_files_count: entries.length,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: request.files.reduce((n, f) => n + f.rows, 0),
      existing_rows_count: 0,
      deleted_rows_count: 0,
      partitions: null,
    }];
    if (parent) manifests.push(...await readManifestList(store, parent));
    const listPath = manifestListPath(store.folder, snapshotId);
    await store.sink.write(
      listPath,
      encodeManifestList(manifests, {
        snapshotId,
        parentSnapshotId: parent?.["snapshot-id"],
        sequenceNumber: sequence,
      }),
    );
    const marks = new Map(recorded);
    for (const [stream, mark] of request.streams) marks.set(stream, mark);
    const added = { files: entries.length, rows: manifests[0]!.added_rows_count, bytes: sumBytes(request.files) };
    const snapshot: Snapshot = {
      "snapshot-id": snapshotId,
      ...(parent ? { "parent-snapshot-id": parent["snapshot-id"] } : {}),
      "sequence-number": sequence,
      "timestamp-ms": Math.max(Date.now(), metadata["last-updated-ms"] + 1),
      "manifest-list": store.uriOf(listPath),
      summary: { operation: "append", ...appendSummary(parent, added), ...marksSummary(marks) },
      "schema-id": schema["schema-id"],
    };
    return withSnapshot(metadata, snapshot, { previousFile: base ? store.uriOf(base.path) : undefined });
  }
}

/** Reads the manifest list of a snapshot. */
export async function readManifestList(store: TableStore, snapshot: Snapshot): Promise<ManifestFile[]> {
  const path = store.pathOf(snapshot["manifest-list"]);
  const bytes = await store.sink.read(path);
  if (bytes === null) {
    throw new Error(`Cannot read the manifest list "${snapshot["manifest-list"]}": it does not exist`);
  }
  return decodeManifestList(bytes, snapshot["manifest-list"]);
}

/** The summary keys of positions and generations. */
export function marksSummary(marks: ReadonlyMap<string, StreamMark>): Record<string, string> {
  const positions: Record<string, string> = {};
  const generations: Record<string, string> = {};
  const incarnations: Record<string, string> = {};
  for (const [stream, mark] of [...marks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    positions[stream] = mark.last;
    if (mark.generation) generations[stream] = mark.generation;
    if (mark.incarnation !== undefined) incarnations[stream] = mark.incarnation;
  }
  const summary: Record<string, string> = { [POSITIONS_KEY]: JSON.stringify(positions) };
  if (Object.keys(generations).length > 0) summary[GENERATIONS_KEY] = JSON.stringify(generations);
  if (Object.keys(incarnations).length > 0) summary[INCARNATIONS_KEY] = JSON.stringify(incarnations);
  return summary;
}

/** Iceberg's standard summary totals after adding `added` to the parent's. */
export function appendSummary(
  parent: Snapshot | undefined,
  added: { files: number; rows: number; bytes: number },
): Record<string, string> {
  const total = (key: string) => Number(parent?.summary[key] ?? 0);
  return {
    "added-data-files": String(added.files),
    "added-records": String(added.rows),
    "added-files-size": String(added.bytes),
    "total-data-files": String(total("total-data-files") + added.files),
    "total-records": String(total("total-records") + added.rows),
    "total-files-size": String(total("total-files-size") + added.bytes),
    "total-delete-files": "0",
    "total-position-deletes": "0",
    "total-equality-deletes": "0",
  };
}

function sumBytes(files: readonly AppendFile[]): number {
  return files.reduce((n, f) => n + f.bytes, 0);
}
