/**
 * Rows of one table put in the schema of another, for the row groups of one Parquet file written as they fill
 * (`pipeline/assembly/assembler.ts`): every row group of a file must have the file's schema, while each comes from a
 * fresh builder that only knows the columns its own rows had. A later row group lacking a column gets it as nulls, a
 * column narrower than the file's is cast by the run's widening rule (`cast.ts`: an int column of a file typed
 * float), a non-nullable column goes into a nullable field. Anything else (a column the file lacks, a type the file's
 * cannot hold, nulls for a non-nullable field) cannot be conformed: its rows start a new file.
 * @module
 */
import { type Data, makeData, RecordBatch, type Schema, Struct, Table } from "apache-arrow";
import { sameType, widenType } from "./arrow_types.ts";
import { castData } from "./cast.ts";
import { concatData } from "./concat.ts";

/** The rows of `table` in `schema` (same fields, order, types and nullability), or null when they cannot be. */
export function conformTable(table: Table, schema: Schema): Table | null {
  if (sameSchema(table.schema, schema)) return table;
  const names = new Set(schema.fields.map((field) => field.name));
  if (table.schema.fields.some((field) => !names.has(field.name))) return null;
  const length = table.numRows;
  const batches: RecordBatch[] = [];
  for (const batch of table.batches) {
    const children: Data[] = [];
    for (const field of schema.fields) {
      const index = table.schema.fields.findIndex((f) => f.name === field.name);
      const own = index < 0 ? undefined : table.schema.fields[index]!;
      let data: Data;
      if (own === undefined) {
        if (!field.nullable) return null;
        data = concatData(field.type, [batch.numRows]);
      } else {
        data = batch.data.children[index]!;
        if (!sameType(own.type, field.type)) {
          if (!sameType(widenType(own.type, field.type), field.type)) return null;
          try {
            data = castData(data, field.type);
          } catch {
            return null;
          }
        }
        if (!field.nullable && data.nullCount > 0) return null;
      }
      children.push(data);
    }
    const struct = makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children });
    batches.push(new RecordBatch(schema, struct));
  }
  const conformed = new Table(schema, batches);
  return conformed.numRows === length ? conformed : null;
}

function sameSchema(a: Schema, b: Schema): boolean {
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((field, i) => {
    const other = b.fields[i]!;
    return field.name === other.name && field.nullable === other.nullable && sameType(field.type, other.type);
  });
}
