/**
 * The partition spec of a table, from the sink's `partition_by`: a column becomes an `identity` field; `date` and
 * `hour` become `day` and `hour` transforms of the record-time column (`timestamp_field`, else the source's timestamp
 * column), named `<column>_day` / `<column>_hour`; with both, only `hour` (Iceberg refuses a day and an hour of one
 * column as redundant, and the hour holds the day). A file's partition values come from its rows: every row of a
 * file shares its folder, so the first row's value of an identity column is the file's, and the `date=` / `hour=`
 * folders give the day and hour (in UTC, which the configuration requires for Iceberg tables).
 * @module
 */
import type { PartitionField, PartitionSpec } from "./metadata.ts";
import type { IcebergSchema } from "./types.ts";
import { typeNameOf } from "./types.ts";

/** Partition field ids start here (Iceberg's convention). */
const FIRST_PARTITION_ID = 1000;
const IDENTITY_TYPES = ["string", "int", "long", "boolean"];
const TIME_TYPES = ["timestamp", "timestamptz"];

/** What a table is partitioned by. */
export interface PartitionOptions {
  /** The sink's `partition_by`. */
  readonly partitionBy: readonly string[];
  /** The column holding the record time, for `date` and `hour`. */
  readonly timeColumn?: string;
}

/** The partition spec (id 0) for a new table of `schema`. Throws a TypeError naming a column it cannot use. */
export function partitionSpec(schema: IcebergSchema, options: PartitionOptions): PartitionSpec {
  const fields: PartitionField[] = [];
  const source = (name: string, allowed: readonly string[], why: string) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) {
      throw new TypeError(`Cannot partition the Iceberg table by "${why}": column "${name}" is not in the data`);
    }
    const type = typeNameOf(field.type);
    if (!allowed.includes(type)) {
      throw new TypeError(
        `Cannot partition the Iceberg table by "${why}": column "${name}" is ${type}, not ${allowed.join(" or ")}`,
      );
    }
    return field.id;
  };
  const time = options.partitionBy.includes("hour") ? "hour" : options.partitionBy.includes("date") ? "day" : null;
  for (const column of options.partitionBy) {
    if (column === "date" || column === "hour") continue;
    fields.push({
      name: column,
      transform: "identity",
      "source-id": source(column, IDENTITY_TYPES, column),
      "field-id": 0,
    });
  }
  if (time !== null) {
    const column = options.timeColumn;
    const why = time === "hour" ? "hour" : "date";
    if (column === undefined) {
      throw new TypeError(
        `Cannot partition the Iceberg table by "${why}": no record-time column (set sink.timestamp_field)`,
      );
    }
    fields.push({
      name: `${column}_${time}`,
      transform: time,
      "source-id": source(column, TIME_TYPES, why),
      "field-id": 0,
    });
  }
  return { "spec-id": 0, fields: fields.map((f, i) => ({ ...f, "field-id": FIRST_PARTITION_ID + i })) };
}

/** The Avro type of a partition field's value (always optional), given the source column's Iceberg type. */
export function partitionAvroType(field: PartitionField, schema: IcebergSchema): unknown {
  if (field.transform === "day") return ["null", { type: "int", logicalType: "date" }];
  if (field.transform === "hour") return ["null", "int"];
  const source = schema.fields.find((f) => f.id === field["source-id"]);
  const type = source ? typeNameOf(source.type) : "string";
  return ["null", type === "boolean" ? "boolean" : type === "int" ? "int" : type === "long" ? "long" : "string"];
}

/**
 * The partition values of a data file at `path` (its folder holds `date=` and `hour=`; identity fields take the
 * file's first row), by partition field name.
 */
export function partitionValues(
  spec: PartitionSpec,
  schema: IcebergSchema,
  firstRow: ReadonlyMap<string, unknown>,
  path: string,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const folders = new Map(path.split("/").map((part) => part.split("=", 2) as [string, string]));
  const date = folders.get("date");
  const hour = folders.get("hour");
  const day = date !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(date)
    ? Date.parse(`${date}T00:00:00Z`) / 86_400_000
    : null;
  for (const field of spec.fields) {
    if (field.transform === "day") values[field.name] = day;
    else if (field.transform === "hour") {
      values[field.name] = day !== null && hour !== undefined && /^\d{2}$/.test(hour) ? day * 24 + Number(hour) : null;
    } else {
      const source = schema.fields.find((f) => f.id === field["source-id"]);
      const value = source === undefined ? null : firstRow.get(source.name);
      values[field.name] = typeof value === "bigint" ? Number(value) : value ?? null;
    }
  }
  return values;
}
