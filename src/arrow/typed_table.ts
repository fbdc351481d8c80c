/**
 * An Arrow table (a decoded Arrow IPC message) flattened into the leaf columns the batch builder stores, by the same
 * rules as JSON rows (`batch_builder.ts`), decided once per table from its schema instead of once per row:
 * - a struct's fields become `parent<separator>child` columns down to `max_depth` levels (deeper structs are JSON
 *   text); a struct with no fields adds nothing; a null struct makes its fields null in that row;
 * - a struct under `hoist_key` at the top level is lifted; a lifted field whose name is also a top-level field keeps
 *   its prefix (`data_symbol`);
 * - lists (List, LargeList, FixedSizeList) are JSON text, or stay Arrow lists of their own element type with
 *   `lists: list`; maps stay maps; unions are JSON text;
 * - dictionary-encoded columns are decoded to their value type (see `normalize.ts`);
 * - two columns that flatten to one name: the first keeps it, the next gets `_2`, `_3`, ...
 * Every other column keeps the sender's type, and its nullability: a leaf is non-nullable when its field and every
 * struct above it are.
 * @module
 */
import { type Data, type DataType, type Field, type Table, Type } from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { textData } from "./_text_data.ts";
import { isValid, valueAt } from "./arrow_values.ts";
import type { FlattenOptions } from "./flatten_options.ts";
import { normalizeData } from "./normalize.ts";

/** One leaf column of a typed table. */
export interface TypedLeaf {
  /** Flattened column name (before the builder renames a clash with a metadata column). */
  readonly name: string;
  /** The column's data, one `Data` per record batch of the table. */
  readonly chunks: readonly Data[];
  /** False when the sender declared the field (and every struct above it) non-nullable. */
  readonly nullable: boolean;
}

/** The rows of an Arrow table as leaf columns; see the module doc. */
export class TypedRows {
  /** Rows of the table. */
  readonly length: number;
  /** Leaf columns in schema order (depth first). */
  readonly leaves: readonly TypedLeaf[];
  /** First row of each record batch, then the row count. */
  readonly starts: readonly number[];
  #byName: Map<string, TypedLeaf> | undefined;

  constructor(leaves: readonly TypedLeaf[], starts: readonly number[]) {
    this.leaves = leaves;
    this.starts = starts;
    this.length = starts[starts.length - 1] ?? 0;
  }

  /** A reference to row `index`, for `lookupField` (`partition_by`, `timestamp_field`). */
  row(index: number): TypedRow {
    return new TypedRow(this, index);
  }

  /**
   * The value of leaf `column` at row `index` (see `arrow_values.ts`; timestamps as `Date`, which the partitioner
   * reads), or undefined when there is no such leaf.
   */
  valueOf(column: string, index: number): unknown {
    this.#byName ??= new Map(this.leaves.map((leaf) => [leaf.name, leaf]));
    const leaf = this.#byName.get(column);
    if (leaf === undefined) return undefined;
    let batch = 0;
    while (batch + 1 < this.starts.length - 1 && this.starts[batch + 1]! <= index) batch++;
    const value = valueAt(leaf.chunks[batch]!, index - this.starts[batch]!);
    return value instanceof TimestampValue ? new Date(Number(value.micros / 1000n)) : value;
  }
}

/** One row of a {@linkcode TypedRows}: what the pipeline hands the partitioner in place of a decoded object. */
export class TypedRow {
  /** The table's rows. */
  readonly rows: TypedRows;
  /** Row index. */
  readonly index: number;
  constructor(rows: TypedRows, index: number) {
    this.rows = rows;
    this.index = index;
  }
}

/** Flattens a decoded Arrow table into leaf columns (see the module doc). */
export function flattenTable(table: Table, flatten: FlattenOptions): TypedRows {
  const starts = [0];
  for (const batch of table.batches) starts.push(starts[starts.length - 1]! + batch.numRows);
  const leaves: TypedLeaf[] = [];
  const used = new Set<string>();
  const emit = (name: string, chunks: Data[], nullable: boolean) => {
    let unique = name;
    for (let n = 2; used.has(unique); n++) unique = `${name}_${n}`;
    used.add(unique);
    leaves.push({ name: unique, chunks, nullable });
  };
  const visit = (name: string, field: Field, chunks: Data[], depth: number, nullable: boolean): void => {
    let type: DataType = field.type;
    if (type.typeId === Type.Dictionary) {
      chunks = chunks.map(normalizeData);
      type = chunks[0]?.type ?? type;
    }
    if (type.typeId === Type.Struct && depth < flatten.max_depth) {
      type.children.forEach((child, k) => {
        const childChunks = chunks.map((data) => withParentNulls(data.children[k]!, data));
        visit(name + flatten.separator + child.name, child, childChunks, depth + 1, nullable || child.nullable);
      });
      return;
    }
    if (asJsonText(type, flatten)) emit(name, chunks.map((data) => textData(data, "json")), nullable);
    else emit(name, chunks.map(normalizeData), nullable);
  };
  const fields = table.schema.fields;
  const topNames = new Set(fields.map((field) => field.name));
  fields.forEach((field, k) => {
    const chunks = table.batches.map((batch) => batch.data.children[k]!);
    if (field.name !== flatten.hoist_key || field.type.typeId !== Type.Struct) {
      visit(field.name, field, chunks, 0, field.nullable);
      return;
    }
    field.type.children.forEach((child: Field, c: number) => {
      const prefixed = child.name !== flatten.hoist_key && topNames.has(child.name);
      const name = prefixed ? field.name + flatten.separator + child.name : child.name;
      const childChunks = chunks.map((data) => withParentNulls(data.children[c]!, data));
      visit(name, child, childChunks, 0, field.nullable || child.nullable);
    });
  });
  return new TypedRows(leaves, starts);
}

function asJsonText(type: DataType, flatten: FlattenOptions): boolean {
  switch (type.typeId) {
    case Type.Struct:
    case Type.Union:
      return true;
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList:
      return flatten.lists === "json";
    default:
      return false;
  }
}

/** A struct's child with the struct's null rows made null too. */
function withParentNulls(child: Data, parent: Data): Data {
  if (parent.nullCount === 0 || child.typeId === Type.Null) return child;
  const end = child.offset + child.length;
  const bitmap = new Uint8Array((end + 7) >> 3);
  for (let i = 0; i < child.length; i++) {
    if (isValid(parent, i) && isValid(child, i)) {
      const bit = child.offset + i;
      bitmap[bit >> 3]! |= 1 << (bit & 7);
    }
  }
  return child.clone(child.type, child.offset, child.length, -1, [
    child.valueOffsets,
    child.values,
    bitmap,
    child.typeIds,
  ] as never);
}
