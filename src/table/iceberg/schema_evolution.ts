/**
 * Schema evolution at commit: the columns of the data files being committed (Arrow fields with field ids, see
 * `field_ids.ts`) against the table's current schema. A field id the table does not know yet, past its
 * `last-column-id`, is a new field (a column of the same name it replaces leaves the current schema, keeping its id
 * in the older schemas, so the older files still read through those); a type Iceberg promotes in place (int -> long,
 * float -> double, a wider decimal) updates the field. Any change makes a new schema with the next schema id; ids
 * are never reused or renamed. A file whose id another writer gave to another column meanwhile is a
 * {@linkcode FieldIdConflict}: the caller rewrites the file with the ids of the table it now sees.
 * @module
 */
import type { Schema } from "apache-arrow";
import {
  canPromote,
  FIELD_ID_KEY,
  type IcebergField,
  type IcebergSchema,
  icebergType,
  icebergTypeName,
  typeNameOf,
} from "./types.ts";

/** A data file's field ids do not match the table's schema any more (another writer took an id). */
export class FieldIdConflict extends Error {
  /** Index of the file (in the `schemas` given to {@linkcode evolveSchema}). */
  readonly file: number;

  constructor(message: string, file: number) {
    super(message);
    this.name = "FieldIdConflict";
    this.file = file;
  }
}

/** What {@linkcode evolveSchema} decided. */
export interface Evolution {
  /** The schema the files are committed under (the current one when nothing changed). */
  readonly schema: IcebergSchema;
  /** Whether `schema` is new (to be appended to the table's schemas). */
  readonly changed: boolean;
  readonly lastColumnId: number;
}

/**
 * The schema after committing files of `schemas` (with field ids) to a table whose current schema is `current` (none: a new
 * table, schema id 0). Throws {@linkcode FieldIdConflict}.
 */
export function evolveSchema(
  current: IcebergSchema | undefined,
  lastColumnId: number,
  schemas: readonly Schema[],
  nextSchemaId: number,
): Evolution {
  const fields: IcebergField[] = [...(current?.fields ?? [])];
  let last = lastColumnId;
  let changed = current === undefined;
  schemas.forEach((fileSchema, fileIndex) => {
    for (const column of fileSchema.fields) {
      const id = Number(column.metadata.get(FIELD_ID_KEY));
      const typeName = icebergTypeName(column.type)!;
      const at = fields.findIndex((f) => f.id === id);
      if (at >= 0) {
        const known = fields[at]!;
        const knownName = typeNameOf(known.type);
        if (known.name !== column.name) {
          throw new FieldIdConflict(
            `Field id ${id} is column "${known.name}" in the table, "${column.name}" in the file`,
            fileIndex,
          );
        }
        if (knownName !== typeName && canPromote(knownName, typeName)) {
          fields[at] = { ...known, type: icebergType(typeName, () => 0) };
          changed = true;
        }
        continue;
      }
      if (id <= lastColumnId) {
        throw new FieldIdConflict(`Field id ${id} of column "${column.name}" is taken in the table`, fileIndex);
      }
      const elementId = Number(column.type.children?.[0]?.metadata.get(FIELD_ID_KEY));
      const replaced = fields.findIndex((f) => f.name === column.name);
      if (replaced >= 0) fields.splice(replaced, 1);
      fields.push({ id, name: column.name, required: false, type: icebergType(typeName, () => elementId) });
      last = Math.max(last, id, Number.isInteger(elementId) ? elementId : 0);
      changed = true;
    }
  });
  const schemaId = changed ? nextSchemaId : current!["schema-id"];
  return { schema: { type: "struct", "schema-id": schemaId, fields }, changed, lastColumnId: last };
}
