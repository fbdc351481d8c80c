/**
 * Manifests and manifest lists (format version 2) as Avro files, with the field ids the spec gives their fields
 * (manifest entry 0-4, data file 100-146, manifest list 500-519). One manifest per commit holds the added data files;
 * the manifest list of a snapshot names every live manifest.
 * @module
 */
import { decodeAvroFile, encodeAvroFile } from "./avro_file.ts";
import type { PartitionSpec } from "./metadata.ts";
import { partitionAvroType } from "./partition.ts";
import type { IcebergSchema } from "./types.ts";

/** Entry status in a manifest. */
export const STATUS = { existing: 0, added: 1, deleted: 2 } as const;

/** A data file as a manifest describes it. */
export interface DataFile {
  readonly content: 0;
  readonly file_path: string;
  readonly file_format: "PARQUET";
  readonly partition: Record<string, unknown>;
  readonly record_count: number;
  readonly file_size_in_bytes: number;
  readonly value_counts: { key: number; value: number }[] | null;
  readonly null_value_counts: { key: number; value: number }[] | null;
  readonly lower_bounds: { key: number; value: Uint8Array }[] | null;
  readonly upper_bounds: { key: number; value: Uint8Array }[] | null;
}

/** A manifest entry. */
export interface ManifestEntry {
  readonly status: number;
  readonly snapshot_id: number | null;
  readonly sequence_number: number | null;
  readonly file_sequence_number: number | null;
  readonly data_file: DataFile;
}

/** A manifest list entry: one manifest. */
export interface ManifestFile {
  readonly manifest_path: string;
  readonly manifest_length: number;
  readonly partition_spec_id: number;
  readonly content: number;
  readonly sequence_number: number;
  readonly min_sequence_number: number;
  readonly added_snapshot_id: number;
  readonly added_files_count: number;
  readonly existing_files_count: number;
  readonly deleted_files_count: number;
  readonly added_rows_count: number;
  readonly existing_rows_count: number;
  readonly deleted_rows_count: number;
  readonly partitions: null;
}

function intMap(name: string, fieldId: number, keyId: number, valueId: number, value: string) {
  return {
    name,
    "field-id": fieldId,
    default: null,
    type: ["null", {
      type: "array",
      logicalType: "map",
      items: {
        type: "record",
        name: `k${keyId}_v${valueId}`,
        fields: [{ name: "key", type: "int", "field-id": keyId }, { name: "value", type: value, "field-id": valueId }],
      },
    }],
  };
}

function entrySchema(spec: PartitionSpec, schema: IcebergSchema): object {
  const partition = {
    type: "record",
    name: "r102",
    fields: spec.fields.map((f) => ({
      name: f.name,
      type: partitionAvroType(f, schema),
      "field-id": f["field-id"],
      default: null,
    })),
  };
  return {
    type: "record",
    name: "manifest_entry",
    fields: [
      { name: "status", type: "int", "field-id": 0 },
      { name: "snapshot_id", type: ["null", "long"], "field-id": 1, default: null },
      { name: "sequence_number", type: ["null", "long"], "field-id": 3, default: null },
      { name: "file_sequence_number", type: ["null", "long"], "field-id": 4, default: null },
      {
        name: "data_file",
        "field-id": 2,
        type: {
          type: "record",
          name: "r2",
          fields: [
            { name: "content", type: "int", "field-id": 134 },
            { name: "file_path", type: "string", "field-id": 100 },
            { name: "file_format", type: "string", "field-id": 101 },
            { name: "partition", type: partition, "field-id": 102 },
            { name: "record_count", type: "long", "field-id": 103 },
            { name: "file_size_in_bytes", type: "long", "field-id": 104 },
            intMap("value_counts", 109, 119, 120, "long"),
            intMap("null_value_counts", 110, 121, 122, "long"),
            intMap("lower_bounds", 125, 126, 127, "bytes"),
            intMap("upper_bounds", 128, 129, 130, "bytes"),
          ],
        },
      },
    ],
  };
}

const LIST_SCHEMA = {
  type: "record",
  name: "manifest_file",
  fields: [
    { name: "manifest_path", type: "string", "field-id": 500 },
    { name: "manifest_length", type: "long", "field-id": 501 },
    { name: "partition_spec_id", type: "int", "field-id": 502 },
    { name: "content", type: "int", "field-id": 517 },
    { name: "sequence_number", type: "long", "field-id": 515 },
    { name: "min_sequence_number", type: "long", "field-id": 516 },
    { name: "added_snapshot_id", type: "long", "field-id": 503 },
    { name: "added_files_count", type: "int", "field-id": 504 },
    { name: "existing_files_count", type: "int", "field-id": 505 },
    { name: "deleted_files_count", type: "int", "field-id": 506 },
    { name: "added_rows_count", type: "long", "field-id": 512 },
    { name: "existing_rows_count", type: "long", "field-id": 513 },
    { name: "deleted_rows_count", type: "long", "field-id": 514 },
    {
      name: "partitions",
      type: ["null", {
        type: "array",
        "element-id": 508,
        items: {
          type: "record",
          name: "r508",
          fields: [
            { name: "contains_null", type: "boolean", "field-id": 509 },
            { name: "contains_nan", type: ["null", "boolean"], "field-id": 518, default: null },
            { name: "lower_bound", type: ["null", "bytes"], "field-id": 510, default: null },
            { name: "upper_bound", type: ["null", "bytes"], "field-id": 511, default: null },
          ],
        },
      }],
      "field-id": 507,
      default: null,
    },
  ],
};

/** Encodes a manifest of `entries`, written under `spec` and `schema`. */
export function encodeManifest(
  entries: readonly ManifestEntry[],
  spec: PartitionSpec,
  schema: IcebergSchema,
): Uint8Array {
  return encodeAvroFile(entrySchema(spec, schema), entries, {
    metadata: {
      schema: JSON.stringify(schema),
      "schema-id": String(schema["schema-id"]),
      "partition-spec": JSON.stringify(spec.fields),
      "partition-spec-id": String(spec["spec-id"]),
      "format-version": "2",
      content: "data",
    },
  });
}

/** Decodes a manifest's entries. */
export function decodeManifest(bytes: Uint8Array, name: string): ManifestEntry[] {
  return decodeAvroFile(bytes, name).records as ManifestEntry[];
}

/** Options of {@linkcode encodeManifestList}. */
export interface ManifestListOptions {
  readonly snapshotId: number;
  readonly parentSnapshotId?: number;
  readonly sequenceNumber: number;
}

/** Encodes a manifest list. */
export function encodeManifestList(manifests: readonly ManifestFile[], options: ManifestListOptions): Uint8Array {
  return encodeAvroFile(LIST_SCHEMA, manifests, {
    metadata: {
      "snapshot-id": String(options.snapshotId),
      "parent-snapshot-id": options.parentSnapshotId === undefined ? "null" : String(options.parentSnapshotId),
      "sequence-number": String(options.sequenceNumber),
      "format-version": "2",
    },
  });
}

/** Decodes a manifest list. */
export function decodeManifestList(bytes: Uint8Array, name: string): ManifestFile[] {
  return (decodeAvroFile(bytes, name).records as ManifestFile[]).map((m) => ({ ...m, partitions: null }));
}
