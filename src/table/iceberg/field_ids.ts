/**
 * Gives the columns of a data file their Iceberg field ids before it is encoded, from the table's current schema:
 * a column of a known name keeps its field's id when its type is the field's or one Iceberg promotes to or from
 * (int <-> long, float <-> double); an integer column of a `double` field and a scalar column of a `string` field are
 * converted to the field's type (a later run inferring `int` for a column that widened to `double` earlier); any
 * other column (a new name, or a type Iceberg cannot promote in place, such as long -> double) gets a fresh id, which
 * the commit adds to the schema (see `schema_evolution.ts`). Fresh ids are reserved per process, so the files of one
 * run agree on them; they start past the table's `last-column-id`. Timestamps in seconds, milliseconds or nanoseconds
 * (such as the sources' metadata columns, in ms) are written in microseconds, the unit Iceberg's spec requires.
 * @module
 */
import {
  type Data,
  type DataType,
  Field,
  Float64,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Timestamp,
  TimeUnit,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { canPromote, FIELD_ID_KEY, type IcebergSchema, icebergTypeName, typeNameOf } from "./types.ts";

/** Ids reserved for columns not yet in a table's schema, per process. */
export class FieldIdReservations {
  readonly #ids = new Map<string, { id: number; elementId?: number }>();
  #next = 0;

  /** The ids of a new column `name` of Iceberg type `typeName`, reserved on first use. */
  reserve(name: string, typeName: string, lastColumnId: number): { id: number; elementId?: number } {
    const key = `${name}\u0000${typeName}`;
    let ids = this.#ids.get(key);
    if (ids === undefined) {
      this.#next = Math.max(this.#next, lastColumnId);
      ids = { id: ++this.#next };
      if (typeName.startsWith("list<")) ids.elementId = ++this.#next;
      this.#ids.set(key, ids);
    }
    return ids;
  }

  /** Forgets reservations the table now holds or that another writer's ids overtook (ids up to `lastColumnId`). */
  settle(lastColumnId: number): void {
    for (const [key, ids] of this.#ids) if (ids.id <= lastColumnId) this.#ids.delete(key);
  }
}

/** How one column of a file is written. */
interface ColumnPlan {
  readonly id: number;
  readonly elementId?: number;
  /** Convert the column's values to this Arrow type first. */
  readonly castTo?: DataType;
}

/**
 * The table with field ids in its field metadata (and columns converted where the module doc says), for a table
 * whose current schema is `schema` (none yet: every column is new). Throws a TypeError naming a column whose Arrow
 * type has no Iceberg type.
 */
export function withFieldIds(
  table: Table,
  schema: IcebergSchema | undefined,
  lastColumnId: number,
  reservations: FieldIdReservations,
): Table {
  return planFieldIds(table.schema, schema, lastColumnId, reservations).apply(table);
}

/** The field ids (and conversions) of the columns of a file, decided once and applied to each of its row groups. */
export interface FieldIdPlan {
  /** The file's schema with field ids (and converted types). */
  readonly schema: Schema;
  /** Rows of the file's schema before the plan (the one it was made for) in {@linkcode schema}. */
  apply(table: Table): Table;
}

/** The {@linkcode FieldIdPlan} of files of schema `arrow`; see {@linkcode withFieldIds}. */
export function planFieldIds(
  arrow: Schema,
  schema: IcebergSchema | undefined,
  lastColumnId: number,
  reservations: FieldIdReservations,
): FieldIdPlan {
  const byName = new Map((schema?.fields ?? []).map((f) => [f.name, f]));
  const plans: ColumnPlan[] = arrow.fields.map((field) => {
    const typeName = icebergTypeName(field.type);
    if (typeName === null) {
      throw new TypeError(
        `Cannot write column "${field.name}" to an Iceberg table: Arrow type ${field.type} has no Iceberg type`,
      );
    }
    const plan = planFor(field, typeName);
    return microseconds(field.type) ? { ...plan, castTo: plan.castTo ?? microseconds(field.type) } : plan;
  });
  function planFor(field: Field, typeName: string): ColumnPlan {
    const known = byName.get(field.name);
    if (known !== undefined) {
      const knownName = typeNameOf(known.type);
      const elementId = typeof known.type === "string" ? undefined : known.type["element-id"];
      if (canPromote(typeName, knownName) || canPromote(knownName, typeName)) return { id: known.id, elementId };
      if (knownName === "double" && (typeName === "long" || typeName === "int")) {
        return { id: known.id, castTo: new Float64() };
      }
      if (knownName === "string" && ["int", "long", "double", "float", "boolean"].includes(typeName)) {
        return { id: known.id, castTo: new Utf8() };
      }
    }
    return reservations.reserve(field.name, typeName, lastColumnId);
  }
  const fields = arrow.fields.map((field, i) => {
    const plan = plans[i]!;
    const type = plan.castTo ?? field.type;
    return new Field(field.name, withElementId(type, plan.elementId), true, withId(field.metadata, plan.id));
  });
  const next = new Schema(fields, arrow.metadata);
  return {
    schema: next,
    apply(table: Table): Table {
      const batches = table.batches.map((batch) => {
        const children = batch.data.children.map((child, i) => {
          const plan = plans[i]!;
          const data = plan.castTo ? cast(child, plan.castTo) : child;
          return retype(data, fields[i]!.type);
        });
        const data = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children });
        return new RecordBatch(next, data);
      });
      return new Table(next, batches);
    },
  };
}

function withId(metadata: Map<string, string>, id: number): Map<string, string> {
  const next = new Map(metadata);
  next.set(FIELD_ID_KEY, String(id));
  return next;
}

/** A list type whose element field carries `elementId`; other types unchanged. */
function withElementId(type: DataType, elementId: number | undefined): DataType {
  const child = type.children?.[0];
  if (elementId === undefined || child === undefined) return type;
  const element = new Field(child.name, child.type, child.nullable, withId(child.metadata, elementId));
  return new (type.constructor as new (child: Field) => DataType)(element);
}

/** The same buffers under a type that differs only in field metadata. */
function retype(data: Data, type: DataType): Data {
  return data.type === type ? data : data.clone(type);
}

/** Iceberg keeps timestamps in microseconds: the µs type of a timestamp in another unit, else undefined. */
function microseconds(type: DataType): DataType | undefined {
  if (!(type instanceof Timestamp) || type.unit === TimeUnit.MICROSECOND) return undefined;
  return new Timestamp(TimeUnit.MICROSECOND, type.timezone);
}

/** Microseconds per unit (seconds, milliseconds) and the divisor of nanoseconds, by Arrow's TimeUnit. */
const SCALE: Record<number, [bigint, bigint]> = {
  [TimeUnit.SECOND]: [1_000_000n, 1n],
  [TimeUnit.MILLISECOND]: [1000n, 1n],
  [TimeUnit.NANOSECOND]: [1n, 1000n],
};

/** A timestamp column in microseconds (nanoseconds are floored). */
function timestampInMicros(data: Data, type: Timestamp): Data {
  const [multiply, divide] = SCALE[(data.type as Timestamp).unit] ?? [1n, 1n];
  const values = data.values as unknown;
  const out = new BigInt64Array(data.length);
  const validity = new Uint8Array(Math.ceil(data.length / 8));
  let nulls = 0;
  for (let i = 0; i < data.length; i++) {
    if (!data.getValid(i)) {
      nulls++;
      continue;
    }
    validity[i >> 3]! |= 1 << (i & 7);
    const at = i; // Arrow JS slices fixed-width values with the data (only validity bits keep the offset)
    const raw = values instanceof BigInt64Array
      ? values[at]!
      : (BigInt((values as Int32Array)[at * 2 + 1]!) << 32n) | BigInt((values as Int32Array)[at * 2]! >>> 0);
    const scaled = raw * multiply;
    out[i] = divide === 1n ? scaled : (scaled - (((scaled % divide) + divide) % divide)) / divide;
  }
  return makeData({
    type,
    length: data.length,
    nullCount: nulls,
    nullBitmap: nulls > 0 ? validity : undefined,
    data: out,
  });
}

function cast(data: Data, type: DataType): Data {
  if (type instanceof Timestamp) return timestampInMicros(data, type);
  const vector = makeVector(data);
  const values: unknown[] = [];
  const text = type instanceof Utf8;
  for (let i = 0; i < vector.length; i++) {
    const value = vector.get(i);
    values.push(value === null ? null : text ? String(value) : Number(value));
  }
  return vectorFromArray(values, type).data[0]!;
}
