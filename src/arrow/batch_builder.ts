/**
 * Builds one Arrow table (one output file) from decoded values, column by column, straight into typed buffers, and
 * from typed Arrow tables (Arrow IPC messages, {@linkcode BatchBuilder.appendRows}), whose columns keep the sender's
 * types and nullability (`typed_table.ts` flattens them by the rules below, `typed_column.ts` stores them).
 *
 * Schema: the source's metadata columns first, with their declared types, then payload columns in order of first
 * appearance. Flattening (`pipeline.flatten`):
 * - a plain object's fields become columns; a nested object's fields become `parent<separator>child` columns, down
 *   to `max_depth` levels of nesting (deeper objects are kept as JSON text); an empty nested object adds nothing;
 * - the object under `hoist_key` (default `data`) is lifted to the top level; a lifted field whose name is also a
 *   top-level field keeps its prefix instead (`data_symbol`), so neither value is lost; a `hoist_key` value that is
 *   not an object is an ordinary field;
 * - lists become JSON text, or Arrow lists with `lists: list` when they hold scalars of one kind (see
 *   {@linkcode ./kinds.ts}), else JSON text;
 * - a payload that is not an object (`42`, `"x"`, `[1]`, `true`) goes to `value_column`; `null` gives a row whose
 *   payload columns are all null; `{}` gives a row whose payload columns are all null (the metadata is kept);
 * - a payload column named like a metadata column gets the suffix `_payload` (repeated until unique): metadata is
 *   never overwritten;
 * - two fields of one record that flatten to the same name (`{"a":{"b":1},"a_b":2}`): the first in key order keeps
 *   the name, the next goes to `a_b_2` (then `_3`, ...), so no value is dropped;
 * - text (values and column names) is written as UTF-8; a lone surrogate (from a JSON `\ud800` escape) becomes
 *   U+FFFD; NaN and ±Infinity are float64 values;
 * - a value that cannot be stored (a function, or a column outgrowing 2 GiB) gives `skipped`, and the row's partial
 *   values are undone, so the batch stays usable.
 * Inference and widening: see {@linkcode ./kinds.ts}; for typed columns, and a name that gets both typed and inferred
 * values, {@linkcode ./arrow_types.ts}. A column that first appears after some rows is back-filled with nulls; a
 * column missing from a row is null there.
 * @module
 */
import { type Data, Field, makeData, RecordBatch, Schema, Struct, Table } from "apache-arrow";
import type { MetadataColumn, MetadataValue } from "../core/source.ts";
import { isPlainObject } from "../codec/values.ts";
import { Column } from "./column.ts";
import { typeOfKind } from "./arrow_types.ts";
import { TypedColumn } from "./typed_column.ts";
import type { TypedRows } from "./typed_table.ts";
import { MetadataColumnBuilder } from "./metadata_column.ts";
import type { FlattenOptions } from "./flatten_options.ts";
import type { SchemaMemory } from "./schema_memory.ts";

export type { ColumnKind, KindSpec } from "./kinds.ts";
export type { FlattenOptions } from "./flatten_options.ts";

/** Suffix given to a payload column whose name is taken by a metadata column. */
export const PAYLOAD_SUFFIX = "_payload";

/** Outcome of {@linkcode BatchBuilder.append}. */
export type AppendResult =
  /** The value is one more row. */
  | { kind: "ok" }
  /** The value was not added (no row); `reason` says why. */
  | { kind: "skipped"; reason: string };

/** Options of a {@linkcode BatchBuilder}. */
export interface BatchBuilderOptions {
  /** The source's metadata columns, first in the schema, filled from each row's metadata values. */
  readonly metadataColumns: readonly MetadataColumn[];
  /** Flattening options (`pipeline.flatten`). */
  readonly flatten: FlattenOptions;
  /** Kinds remembered from earlier files of the run; updated by {@linkcode BatchBuilder.finish}. Default: none. */
  readonly schema?: SchemaMemory;
  /**
   * Rows the file is expected to reach (e.g. the previous file's), so that its columns start with room for them
   * instead of growing from 64 rows; capped by the column (8192). Only a starting size: memory budgets count values.
   */
  readonly expectedRows?: number;
}

/** A node of the flattening tree: one per distinct key path, so that column names are joined once, not per row. */
interface PathNode {
  readonly name: string;
  readonly children: Map<string, PathNode>;
  column: Slot | null;
  /** Key seen at each position of the last object walked here, and its node: records usually repeat key order. */
  readonly slotKeys: string[];
  readonly slots: PathNode[];
}

const OK: AppendResult = { kind: "ok" };

/** A payload column: inferred from values, or holding typed pieces (which it becomes at the first one). */
type Slot = Column | TypedColumn;

function newNode(name: string): PathNode {
  return { name, children: new Map(), column: null, slotKeys: [], slots: [] };
}

/** Accumulates rows of one output file; see the module doc for the flattening rules. */
export class BatchBuilder {
  readonly #flatten: FlattenOptions;
  readonly #schema: SchemaMemory | undefined;
  readonly #expectedRows: number | undefined;
  readonly #metadataColumns: readonly MetadataColumn[];
  readonly #metadataNames: Set<string>;
  #metadata: MetadataColumnBuilder[] = [];
  #columns: Slot[] = [];
  #names: string[] = [];
  #byName = new Map<string, Slot>();
  #root: PathNode = newNode("");
  #rows = 0;
  /** {@linkcode byteSize} as last computed, or -1 after a change: callers read it before and after each append. */
  #size = -1;

  constructor(options: BatchBuilderOptions) {
    this.#flatten = options.flatten;
    this.#schema = options.schema;
    this.#expectedRows = options.expectedRows;
    this.#metadataColumns = options.metadataColumns;
    this.#metadataNames = new Set(options.metadataColumns.map((column) => column.name));
    this.#reset();
  }

  /** Rows appended since the builder was made or last finished. */
  get rowCount(): number {
    return this.#rows;
  }

  /** Running estimate of the bytes buffered (values, offsets and validity), for file and memory budgets. */
  get byteSize(): number {
    if (this.#size >= 0) return this.#size;
    let total = 0;
    for (const column of this.#metadata) total += column.byteSize;
    for (const column of this.#columns) total += column.byteSize;
    this.#size = total;
    return total;
  }

  /** Names of the columns so far, metadata first. */
  get columnNames(): string[] {
    return [...this.#metadataColumns.map((column) => column.name), ...this.#names];
  }

  /** Appends one decoded value with its metadata values (in the order of the metadata columns). */
  append(value: unknown, metadata: readonly MetadataValue[]): AppendResult {
    this.#size = -1;
    if (typeof value === "function" || typeof value === "symbol") {
      return { kind: "skipped", reason: `cannot store a value of type ${typeof value}` };
    }
    const row = this.#rows;
    try {
      if (isPlainObject(value)) {
        this.#appendObject(value, row);
      } else if (value !== null && value !== undefined) {
        this.#column(this.#flatten.value_column).add(row, value);
      }
    } catch (error) {
      // Only a column outgrowing 2 GiB gets here; undo the partial row so the builder stays consistent.
      this.#truncate(row);
      return { kind: "skipped", reason: error instanceof Error ? error.message : String(error) };
    }
    const meta = this.#metadata;
    for (let i = 0; i < meta.length; i++) (meta[i] as MetadataColumnBuilder).add(row, metadata[i]);
    this.#rows = row + 1;
    return OK;
  }

  /**
   * Appends rows `from` (inclusive) to `to` (exclusive) of a typed table, each with the same metadata values (those
   * of the message that carried the table). Columns keep their Arrow types; no value is converted unless a column
   * of the same name already holds another type (then it widens when the file is finished).
   */
  appendRows(rows: TypedRows, from: number, to: number, metadata: readonly MetadataValue[]): AppendResult {
    this.#size = -1;
    const start = this.#rows;
    const count = to - from;
    if (count <= 0) return OK;
    try {
      for (const leaf of rows.leaves) {
        const column = this.#typedColumn(this.#payloadName(leaf.name));
        leaf.chunks.forEach((data, batch) => {
          const first = Math.max(from, rows.starts[batch]!);
          const last = Math.min(to, rows.starts[batch + 1]!);
          if (last <= first) return;
          const local = first - rows.starts[batch]!;
          const piece = local === 0 && last - first === data.length ? data : data.slice(local, last - first);
          column.appendData(start + first - from, piece, leaf.nullable);
        });
      }
    } catch (error) {
      this.#truncate(start);
      return { kind: "skipped", reason: error instanceof Error ? error.message : String(error) };
    }
    const meta = this.#metadata;
    for (let row = start; row < start + count; row++) {
      for (let i = 0; i < meta.length; i++) (meta[i] as MetadataColumnBuilder).add(row, metadata[i]);
    }
    this.#rows = start + count;
    return OK;
  }

  /**
   * The rows as an Arrow table, or null when there are no rows. The builder is then empty and can be reused; the
   * kinds (and Arrow types of typed columns) are recorded in the schema memory.
   */
  finish(): Table | null {
    const length = this.#rows;
    if (length === 0) return null;
    if (this.#metadata.length === 0 && this.#columns.length === 0) {
      // Only null or {} payloads and no metadata: keep the row count with an all-null value column.
      this.#column(this.#flatten.value_column).padTo(length);
    }
    const fields: Field[] = [];
    const children: Data[] = [];
    for (const column of this.#metadata) {
      fields.push(new Field(column.name, column.arrowType(), true));
      children.push(column.toData(length));
    }
    this.#columns.forEach((column, index) => {
      const name = this.#names[index] as string;
      const remembered = this.#schema?.type(name);
      if (column instanceof Column && remembered === undefined) {
        this.#schema?.record(name, column.spec);
        fields.push(new Field(name, column.arrowType(), true));
        children.push(column.toData(length));
        return;
      }
      // Typed pieces, or an inferred column whose name had typed pieces earlier in the run: widen by Arrow type.
      const typed = column instanceof TypedColumn
        ? column
        : TypedColumn.fromInferred(column, { lists: this.#flatten.lists });
      const kind = this.#schema?.get(name);
      const finished = typed.finish(length, remembered ?? (kind && typeOfKind(kind)));
      if (finished.typed) this.#schema?.recordType(name, finished.type);
      fields.push(new Field(name, finished.type, finished.nullable));
      children.push(finished.data);
    });
    this.#reset();
    const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children });
    return new Table([new RecordBatch(new Schema(fields), struct)]);
  }

  #reset(): void {
    this.#metadata = this.#metadataColumns.map((column) => new MetadataColumnBuilder(column));
    this.#columns = [];
    this.#names = [];
    this.#byName = new Map();
    this.#root = newNode("");
    this.#rows = 0;
    this.#size = -1;
  }

  /** Drops the values of a partially appended row. */
  #truncate(row: number): void {
    for (const column of this.#columns) column.truncate(row);
  }

  #appendObject(object: Record<string, unknown>, row: number): void {
    const hoistKey = this.#flatten.hoist_key;
    const hoisted = hoistKey === null ? undefined : object[hoistKey];
    if (hoisted === undefined || !isPlainObject(hoisted)) {
      this.#walk(object, this.#root, 0, row);
      return;
    }
    const root = this.#root;
    for (const key in object) {
      if (key !== hoistKey) {
        this.#field(root, key, object[key], 0, row);
        continue;
      }
      const prefixed = this.#child(root, key);
      for (const inner in hoisted) {
        const target = inner !== hoistKey && Object.hasOwn(object, inner) ? prefixed : root;
        this.#field(target, inner, hoisted[inner], 0, row);
      }
    }
  }

  #walk(object: Record<string, unknown>, node: PathNode, depth: number, row: number): void {
    let slot = 0;
    for (const key in object) {
      const value = object[key];
      const child = node.slotKeys[slot] === key ? node.slots[slot] as PathNode : this.#slot(node, key, slot);
      slot++;
      if (typeof value === "object" && value !== null && depth < this.#flatten.max_depth && isPlainObject(value)) {
        this.#walk(value, child, depth + 1, row);
      } else {
        this.#store(child, row, value);
      }
    }
  }

  #field(node: PathNode, key: string, value: unknown, depth: number, row: number): void {
    const child = this.#child(node, key);
    if (typeof value === "object" && value !== null && depth < this.#flatten.max_depth && isPlainObject(value)) {
      this.#walk(value, child, depth + 1, row);
      return;
    }
    this.#store(child, row, value);
  }

  /** Stores a leaf value; a second value for the same column in one row spills to `<name>_2`, `_3`, ... */
  #store(node: PathNode, row: number, value: unknown): void {
    let column = node.column ?? this.#attach(node);
    for (let n = 2; column.length > row; n++) column = this.#column(`${node.name}_${n}`);
    column.add(row, value);
  }

  /** The child node for `key`, remembered at position `slot` for the next object of the same shape. */
  #slot(node: PathNode, key: string, slot: number): PathNode {
    const child = this.#child(node, key);
    node.slotKeys[slot] = key;
    node.slots[slot] = child;
    return child;
  }

  #child(node: PathNode, key: string): PathNode {
    let child = node.children.get(key);
    if (child === undefined) {
      child = newNode(node === this.#root ? key : node.name + this.#flatten.separator + key);
      node.children.set(key, child);
    }
    return child;
  }

  #attach(node: PathNode): Slot {
    node.column = this.#column(node.name);
    return node.column;
  }

  /** The payload column with this flattened name (renamed away from metadata names), created on first use. */
  #column(flatName: string): Slot {
    const name = this.#payloadName(flatName);
    let column = this.#byName.get(name);
    if (column === undefined) {
      column = new Column({
        inferTimestamps: true,
        lists: this.#flatten.lists,
        initial: this.#schema?.get(name),
        expectedRows: this.#expectedRows,
      });
      this.#byName.set(name, column);
      this.#columns.push(column);
      this.#names.push(name);
    }
    return column;
  }

  /** A payload column's name, renamed away from metadata names. */
  #payloadName(flatName: string): string {
    let name = flatName;
    while (this.#metadataNames.has(name)) name += PAYLOAD_SUFFIX;
    return name;
  }

  /** The typed column of this name, created (or made from the inferred column of the name) on first use. */
  #typedColumn(name: string): TypedColumn {
    const slot = this.#byName.get(name);
    if (slot instanceof TypedColumn) return slot;
    const options = { lists: this.#flatten.lists };
    const typed = slot === undefined ? new TypedColumn(options) : TypedColumn.fromInferred(slot, options);
    this.#byName.set(name, typed);
    if (slot === undefined) {
      this.#columns.push(typed);
      this.#names.push(name);
    } else {
      this.#columns[this.#columns.indexOf(slot)] = typed;
      this.#root = newNode(""); // the path cache points at the replaced column: rebuild it on the next value
    }
    return typed;
  }
}
