import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { newTableMetadata, type Snapshot, type TableMetadata, withSnapshot } from "../metadata.ts";
import type { IcebergSchema } from "../types.ts";
import { CATALOG_TABLE_PROPERTIES, createBody, updateBody } from "./updates.ts";

const SCHEMA: IcebergSchema = {
  type: "struct",
  "schema-id": 0,
  fields: [{ id: 1, name: "id", required: false, type: "long" }, {
    id: 2,
    name: "kind",
    required: false,
    type: "string",
  }],
};
const SPEC = { "spec-id": 0, fields: [{ name: "kind", transform: "identity", "source-id": 2, "field-id": 1000 }] };

function snapshot(id: number, sequence: number, parent?: number): Snapshot {
  return {
    "snapshot-id": id,
    ...(parent ? { "parent-snapshot-id": parent } : {}),
    "sequence-number": sequence,
    "timestamp-ms": 1_700_000_000_000 + sequence,
    "manifest-list": `file:///t/metadata/snap-${id}.avro`,
    summary: { operation: "append", "fsds.positions": `{"s":"${sequence}"}` },
    "schema-id": 0,
  };
}

const BASE: TableMetadata = withSnapshot(newTableMetadata("file:///t", SCHEMA, SPEC, 2), snapshot(11, 1));

Deno.test("createBody() creates the table with the writer's schema, ids, spec, location and first snapshot at once", () => {
  const body = createBody(BASE);
  assertEquals(body.requirements, [{ type: "assert-create" }]);
  assertEquals(body.updates.map((u) => u.action), [
    "assign-uuid",
    "upgrade-format-version",
    "add-schema",
    "set-current-schema",
    "add-spec",
    "set-default-spec",
    "add-sort-order",
    "set-default-sort-order",
    "set-location",
    "set-properties",
    "add-snapshot",
    "set-snapshot-ref",
  ]);
  assertEquals(body.updates[0], { action: "assign-uuid", uuid: BASE["table-uuid"] });
  assertEquals(body.updates[2], { action: "add-schema", schema: SCHEMA, "last-column-id": 2 });
  assertEquals(body.updates[4], { action: "add-spec", spec: SPEC });
  assertEquals(body.updates[8], { action: "set-location", location: "file:///t" });
  assertEquals(body.updates[9], {
    action: "set-properties",
    updates: { ...BASE.properties, ...CATALOG_TABLE_PROPERTIES },
  });
  assertEquals(body.updates.at(-1), {
    action: "set-snapshot-ref",
    "ref-name": "main",
    type: "branch",
    "snapshot-id": 11,
  });
});

Deno.test("updateBody() of an append: the parent snapshot is required, the new snapshot and main's move are sent", () => {
  const next = withSnapshot(BASE, snapshot(12, 2, 11));
  assertEquals(updateBody(BASE, next), {
    requirements: [
      { type: "assert-table-uuid", uuid: BASE["table-uuid"] },
      { type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": 11 },
    ],
    updates: [
      { action: "add-snapshot", snapshot: snapshot(12, 2, 11) },
      { action: "set-snapshot-ref", "ref-name": "main", type: "branch", "snapshot-id": 12 },
    ],
  });
});

Deno.test("updateBody() of a schema change requires the schema and field ids it was built on", () => {
  const wider: IcebergSchema = {
    ...SCHEMA,
    "schema-id": 1,
    fields: [...SCHEMA.fields, { id: 3, name: "note", required: false, type: "string" }],
  };
  const evolved: TableMetadata = {
    ...BASE,
    schemas: [...BASE.schemas, wider],
    "current-schema-id": 1,
    "last-column-id": 3,
  };
  const next = withSnapshot(evolved, { ...snapshot(12, 2, 11), "schema-id": 1 });
  const body = updateBody(BASE, next);
  assertEquals(body.requirements.slice(2), [
    { type: "assert-current-schema-id", "current-schema-id": 0 },
    { type: "assert-last-assigned-field-id", "last-assigned-field-id": 2 },
  ]);
  assertEquals(body.updates.slice(0, 2), [
    { action: "add-schema", schema: wider, "last-column-id": 3 },
    { action: "set-current-schema", "schema-id": 1 },
  ]);
});

Deno.test("updateBody() of an expiry removes the snapshots, and of a first snapshot requires none before it", () => {
  const two = withSnapshot(BASE, snapshot(12, 2, 11));
  const expired: TableMetadata = { ...two, snapshots: two.snapshots.filter((s) => s["snapshot-id"] !== 11) };
  assertEquals(updateBody(two, expired).updates, [{ action: "remove-snapshots", "snapshot-ids": [11] }]);
  const empty = newTableMetadata("file:///t", SCHEMA, SPEC, 2);
  assertEquals(updateBody(empty, BASE).requirements[1], {
    type: "assert-ref-snapshot-id",
    ref: "main",
    "snapshot-id": null,
  });
});
