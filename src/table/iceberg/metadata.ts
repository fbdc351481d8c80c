/**
 * Table metadata (format version 2), as `metadata/v<N>.metadata.json` holds it: the JSON shape, a new table's
 * metadata, and the metadata with one more snapshot. Snapshot ids are random below 2^53, so that JSON numbers keep
 * them exact in every reader.
 * @module
 */
import type { IcebergSchema } from "./types.ts";

/** A field of a partition spec. */
export interface PartitionField {
  readonly name: string;
  /** `identity`, `day` or `hour`. */
  readonly transform: string;
  readonly "source-id": number;
  readonly "field-id": number;
}

/** A partition spec. */
export interface PartitionSpec {
  readonly "spec-id": number;
  readonly fields: readonly PartitionField[];
}

/** A snapshot: one commit. */
export interface Snapshot {
  readonly "snapshot-id": number;
  readonly "parent-snapshot-id"?: number;
  readonly "sequence-number": number;
  readonly "timestamp-ms": number;
  readonly "manifest-list": string;
  readonly summary: Readonly<Record<string, string>>;
  readonly "schema-id": number;
}

/** The whole table metadata. */
export interface TableMetadata {
  readonly "format-version": 2;
  readonly "table-uuid": string;
  readonly location: string;
  readonly "last-sequence-number": number;
  readonly "last-updated-ms": number;
  readonly "last-column-id": number;
  readonly "current-schema-id": number;
  readonly schemas: readonly IcebergSchema[];
  readonly "default-spec-id": number;
  readonly "partition-specs": readonly PartitionSpec[];
  readonly "last-partition-id": number;
  readonly "default-sort-order-id": number;
  readonly "sort-orders": readonly { readonly "order-id": number; readonly fields: readonly unknown[] }[];
  readonly properties: Readonly<Record<string, string>>;
  readonly "current-snapshot-id"?: number | null;
  readonly refs?: Readonly<Record<string, { readonly "snapshot-id": number; readonly type: string }>>;
  readonly snapshots: readonly Snapshot[];
  readonly "snapshot-log": readonly { readonly "timestamp-ms": number; readonly "snapshot-id": number }[];
  readonly "metadata-log": readonly { readonly "timestamp-ms": number; readonly "metadata-file": string }[];
}

/** Previous metadata files `metadata-log` lists at most (Iceberg's write.metadata.previous-versions-max default). */
const METADATA_LOG_MAX = 100;

/** Metadata of a table with no snapshot yet. */
export function newTableMetadata(
  location: string,
  schema: IcebergSchema,
  spec: PartitionSpec,
  lastColumnId: number,
): TableMetadata {
  return {
    "format-version": 2,
    "table-uuid": crypto.randomUUID(),
    location,
    "last-sequence-number": 0,
    "last-updated-ms": Date.now(),
    "last-column-id": lastColumnId,
    "current-schema-id": schema["schema-id"],
    schemas: [schema],
    "default-spec-id": spec["spec-id"],
    "partition-specs": [spec],
    "last-partition-id": Math.max(999, ...spec.fields.map((f) => f["field-id"])),
    "default-sort-order-id": 0,
    "sort-orders": [{ "order-id": 0, fields: [] }],
    properties: { "write.format.default": "parquet", "created-by": "fs-data-sink" },
    snapshots: [],
    "snapshot-log": [],
    "metadata-log": [],
  };
}

/** The current schema. */
export function currentSchema(metadata: TableMetadata): IcebergSchema {
  const schema = metadata.schemas.find((s) => s["schema-id"] === metadata["current-schema-id"]);
  if (!schema) throw new SyntaxError(`Cannot read table metadata: no schema ${metadata["current-schema-id"]}`);
  return schema;
}

/** The default partition spec. */
export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  const spec = metadata["partition-specs"].find((s) => s["spec-id"] === metadata["default-spec-id"]);
  if (!spec) throw new SyntaxError(`Cannot read table metadata: no partition spec ${metadata["default-spec-id"]}`);
  return spec;
}

/** The current snapshot, or undefined before the first commit. */
export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata["current-snapshot-id"];
  if (id === undefined || id === null || id === -1) return undefined;
  return metadata.snapshots.find((s) => s["snapshot-id"] === id);
}

/** A fresh snapshot id: random, positive, below 2^53. */
export function newSnapshotId(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0x1fffff) * 2 ** 32 + words[1]! + 1;
}

/** Options of {@linkcode withSnapshot}. */
export interface WithSnapshotOptions {
  /** The file the metadata being replaced was read from (for `metadata-log`); none for a new table. */
  readonly previousFile?: string;
}

/** `metadata` with `snapshot` as the current snapshot of `main`. */
export function withSnapshot(
  metadata: TableMetadata,
  snapshot: Snapshot,
  options: WithSnapshotOptions = {},
): TableMetadata {
  const now = snapshot["timestamp-ms"];
  const log = options.previousFile
    ? [...metadata["metadata-log"], {
      "timestamp-ms": metadata["last-updated-ms"],
      "metadata-file": options.previousFile,
    }]
    : [...metadata["metadata-log"]];
  return {
    ...metadata,
    "last-sequence-number": snapshot["sequence-number"],
    "last-updated-ms": now,
    "current-snapshot-id": snapshot["snapshot-id"],
    refs: { ...metadata.refs, main: { "snapshot-id": snapshot["snapshot-id"], type: "branch" } },
    snapshots: [...metadata.snapshots, snapshot],
    "snapshot-log": [...metadata["snapshot-log"], { "timestamp-ms": now, "snapshot-id": snapshot["snapshot-id"] }],
    "metadata-log": log.slice(-METADATA_LOG_MAX),
  };
}

/** Parses metadata JSON; a SyntaxError names `where` when it is not format version 2 metadata. */
export function parseMetadata(bytes: Uint8Array, where: string): TableMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new SyntaxError(`Cannot read table metadata "${where}": ${(error as Error).message}`, { cause: error });
  }
  return checkedMetadata(parsed, where);
}

/** `value` as table metadata (parsed JSON, e.g. a REST catalog's answer); a SyntaxError names `where` otherwise. */
export function checkedMetadata(value: unknown, where: string): TableMetadata {
  const parsed = value as TableMetadata | null;
  if (
    parsed === null || typeof parsed !== "object" || parsed["format-version"] !== 2 ||
    !Array.isArray(parsed.schemas) || !Array.isArray(parsed.snapshots)
  ) {
    throw new SyntaxError(`Cannot read table metadata "${where}": not Iceberg format version 2 metadata`);
  }
  return { ...parsed, "snapshot-log": parsed["snapshot-log"] ?? [], "metadata-log": parsed["metadata-log"] ?? [] };
}
