/**
 * Test helper: typed Arrow columns from raw values, tables sent through real Arrow IPC bytes (as a producer would
 * send them), and the values of a built table's column read back exactly (see `arrow_values.ts`).
 * @module
 */
import {
  type Data,
  type DataType,
  type Field,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import { decodeArrowIpc } from "../codec/arrow_ipc.ts";
import { valueAt } from "./arrow_values.ts";
import { strideOf } from "./concat.ts";
import type { FlattenOptions } from "./flatten_options.ts";
import { flattenTable, type TypedRows } from "./typed_table.ts";

/** The default `pipeline.flatten` options. */
export const FLATTEN: FlattenOptions = {
  separator: "_",
  max_depth: 8,
  hoist_key: "data",
  lists: "json",
  value_column: "value",
};

/** A fixed-width column of `type` from raw values (an ArrayLike of the type's storage); `nulls` are row indexes. */
export function fixed(type: DataType, values: ArrayLike<number | bigint>, nulls: readonly number[] = []): Data {
  const length = values.length / strideOf(type);
  const bitmap = new Uint8Array((length + 7) >> 3).fill(0xff);
  for (const i of nulls) bitmap[i >> 3]! &= ~(1 << (i & 7));
  const Storage = type.ArrayType as unknown as { from(values: ArrayLike<number | bigint>): ArrayLike<number> };
  return makeData({
    type,
    length,
    nullCount: nulls.length,
    nullBitmap: nulls.length ? bitmap : undefined,
    data: Storage.from(values),
  } as never);
}

/** A column of any type built by Arrow JS from JS values (strings, booleans, nested values). */
export function column(values: unknown[], type?: DataType): Data {
  return vectorFromArray(values, type as never).data[0]!;
}

/** A table of columns, one record batch. */
export function table(columns: Record<string, Data>): Table {
  return new Table(Object.fromEntries(Object.entries(columns).map(([name, data]) => [name, makeVector(data)])));
}

/** A table with the given fields (their nullability included), one record batch. */
export function tableOf(fields: Field[], columns: Data[]): Table {
  const length = columns[0]?.length ?? 0;
  const data = makeData({ type: new Struct(fields), length, nullCount: 0, children: columns });
  return new Table([new RecordBatch(new Schema(fields), data)]);
}

/** The table as the codec reads it after a producer wrote it as one Arrow IPC stream. */
export function throughIpc(source: Table | RecordBatch[]): Table {
  const decoded = decodeArrowIpc(tableToIPC(Array.isArray(source) ? new Table(source) : source, "stream"));
  if (decoded.kind !== "table") throw new Error(decoded.reason);
  return decoded.table;
}

/** The flattened rows of a table sent through IPC. */
export function typedRows(source: Table, flatten: FlattenOptions = FLATTEN): TypedRows {
  return flattenTable(throughIpc(source), flatten);
}

/** Every value of a built table's column (see `arrow_values.ts`). */
export function values(built: Table, name: string): unknown[] {
  const vector = built.getChild(name);
  if (vector === null) throw new Error(`no column "${name}"`);
  return vector.data.flatMap((data) => Array.from({ length: data.length }, (_, i) => valueAt(data, i)));
}

/** `name: type` of every column, with `?` for nullable ones. */
export function schemaOf(built: Table): string[] {
  return built.schema.fields.map((field) => `${field.name}${field.nullable ? "?" : ""}: ${field.type}`);
}
