/**
 * A commit to a REST catalog as the protocol wants it: the metadata the writer built (the same it would write as the
 * next Hadoop-table version) turned into the catalog's `requirements` (what must still hold, else 409) and `updates`
 * (what changed). A new table is created in the same request (`assert-create`), data and all, so no reader ever sees
 * it empty, and with the writer's field ids (a REST create-table call would assign fresh ones). Pure.
 * @module
 */
import { currentSnapshot, type TableMetadata } from "../metadata.ts";

/** A requirement or an update, as JSON. */
type Json = Record<string, unknown>;

/** The body of `POST .../tables/{table}` without its identifier. */
export interface CommitBody {
  readonly requirements: Json[];
  readonly updates: Json[];
}

/** Table properties a REST catalog should keep on its own tables: it deletes metadata files past 100 versions. */
export const CATALOG_TABLE_PROPERTIES: Readonly<Record<string, string>> = {
  "write.metadata.delete-after-commit.enabled": "true",
  "write.metadata.previous-versions-max": "100",
};

/** The commit that creates the table as `next` describes it. */
export function createBody(next: TableMetadata): CommitBody {
  const updates: Json[] = [
    { action: "assign-uuid", uuid: next["table-uuid"] },
    { action: "upgrade-format-version", "format-version": next["format-version"] },
    ...next.schemas.map((schema) => ({ action: "add-schema", schema, "last-column-id": next["last-column-id"] })),
    { action: "set-current-schema", "schema-id": next["current-schema-id"] },
    ...next["partition-specs"].map((spec) => ({ action: "add-spec", spec })),
    { action: "set-default-spec", "spec-id": next["default-spec-id"] },
    ...next["sort-orders"].map((order) => ({ action: "add-sort-order", "sort-order": order })),
    { action: "set-default-sort-order", "sort-order-id": next["default-sort-order-id"] },
    { action: "set-location", location: next.location },
    { action: "set-properties", updates: { ...next.properties, ...CATALOG_TABLE_PROPERTIES } },
    ...next.snapshots.map((snapshot) => ({ action: "add-snapshot", snapshot })),
    ...refUpdates({}, next.refs ?? {}),
  ];
  return { requirements: [{ type: "assert-create" }], updates };
}

/** The commit that turns `base` (the catalog's current metadata) into `next`. */
export function updateBody(base: TableMetadata, next: TableMetadata): CommitBody {
  const requirements: Json[] = [
    { type: "assert-table-uuid", uuid: base["table-uuid"] },
    { type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": currentSnapshot(base)?.["snapshot-id"] ?? null },
  ];
  const updates: Json[] = [];
  const schemaIds = new Set(base.schemas.map((s) => s["schema-id"]));
  const addedSchemas = next.schemas.filter((s) => !schemaIds.has(s["schema-id"]));
  if (addedSchemas.length > 0) {
    requirements.push(
      { type: "assert-current-schema-id", "current-schema-id": base["current-schema-id"] },
      { type: "assert-last-assigned-field-id", "last-assigned-field-id": base["last-column-id"] },
    );
    for (const schema of addedSchemas) {
      updates.push({ action: "add-schema", schema, "last-column-id": next["last-column-id"] });
    }
  }
  if (next["current-schema-id"] !== base["current-schema-id"]) {
    updates.push({ action: "set-current-schema", "schema-id": next["current-schema-id"] });
  }
  const specIds = new Set(base["partition-specs"].map((s) => s["spec-id"]));
  const addedSpecs = next["partition-specs"].filter((s) => !specIds.has(s["spec-id"]));
  if (addedSpecs.length > 0) {
    requirements.push(
      { type: "assert-default-spec-id", "default-spec-id": base["default-spec-id"] },
      { type: "assert-last-assigned-partition-id", "last-assigned-partition-id": base["last-partition-id"] },
    );
    for (const spec of addedSpecs) updates.push({ action: "add-spec", spec });
  }
  if (next["default-spec-id"] !== base["default-spec-id"]) {
    updates.push({ action: "set-default-spec", "spec-id": next["default-spec-id"] });
  }
  const baseSnapshots = new Set(base.snapshots.map((s) => s["snapshot-id"]));
  const nextSnapshots = new Set(next.snapshots.map((s) => s["snapshot-id"]));
  for (const snapshot of next.snapshots) {
    if (!baseSnapshots.has(snapshot["snapshot-id"])) updates.push({ action: "add-snapshot", snapshot });
  }
  const removed = base.snapshots.map((s) => s["snapshot-id"]).filter((id) => !nextSnapshots.has(id));
  if (removed.length > 0) updates.push({ action: "remove-snapshots", "snapshot-ids": removed });
  updates.push(...refUpdates(base.refs ?? {}, next.refs ?? {}));
  const changed = Object.fromEntries(Object.entries(next.properties).filter(([k, v]) => base.properties[k] !== v));
  if (Object.keys(changed).length > 0) updates.push({ action: "set-properties", updates: changed });
  const dropped = Object.keys(base.properties).filter((key) => !(key in next.properties));
  if (dropped.length > 0) updates.push({ action: "remove-properties", removals: dropped });
  return { requirements, updates };
}

function refUpdates(base: NonNullable<TableMetadata["refs"]>, next: NonNullable<TableMetadata["refs"]>): Json[] {
  const updates: Json[] = [];
  for (const [name, ref] of Object.entries(next)) {
    const old = base[name];
    if (old && old["snapshot-id"] === ref["snapshot-id"] && old.type === ref.type) continue;
    updates.push({ action: "set-snapshot-ref", "ref-name": name, type: ref.type, "snapshot-id": ref["snapshot-id"] });
  }
  for (const name of Object.keys(base)) {
    if (!(name in next)) updates.push({ action: "remove-snapshot-ref", "ref-name": name });
  }
  return updates;
}
