/**
 * Reads one flattened column's value straight from a decoded value, with the same rules as the
 * {@linkcode ./batch_builder.ts} (hoisting, separator, depth, and a second value of one name in a record going to
 * `<name>_2`, `_3`, ...), for `partition_by` and `timestamp_field`.
 * Names are those before the `_payload` renaming of metadata clashes: a caller that partitions by a metadata
 * column's name should take the metadata value. A row of a typed table ({@linkcode TypedRow}) is read from its
 * leaf columns, already flattened by the same rules.
 * @module
 */
import { isPlainObject } from "../codec/values.ts";
import type { FlattenOptions } from "./flatten_options.ts";
import { TypedRow } from "./typed_table.ts";

/**
 * The value of flattened column `column` in `value` (after hoisting), or undefined when the value has no such
 * field. An object deeper than `max_depth` is returned as the object (the builder stores it as JSON text).
 */
export function lookupField(value: unknown, column: string, flatten: FlattenOptions): unknown {
  if (value instanceof TypedRow) return value.rows.valueOf(column, value.index);
  if (!isPlainObject(value)) return column === flatten.value_column ? value ?? null : undefined;
  if (SPILLED.test(column)) return spilledColumns(value, flatten).get(column);
  const hoistKey = flatten.hoist_key;
  const hoisted = hoistKey === null ? undefined : value[hoistKey];
  if (hoisted === undefined || !isPlainObject(hoisted)) return search(value, "", column, 0, flatten);
  for (const key in value) {
    if (key !== hoistKey) {
      const found = visit(key, value[key], column, 0, flatten);
      if (found !== undefined) return found;
      continue;
    }
    for (const inner in hoisted) {
      const prefixed = inner !== hoistKey && Object.hasOwn(value, inner);
      const found = visit(prefixed ? key + flatten.separator + inner : inner, hoisted[inner], column, 0, flatten);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function search(
  object: Record<string, unknown>,
  prefix: string,
  column: string,
  depth: number,
  flatten: FlattenOptions,
): unknown {
  for (const key in object) {
    const found = visit(prefix === "" ? key : prefix + flatten.separator + key, object[key], column, depth, flatten);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The value of `column` at or under the field `name` (at `depth`), or undefined. */
function visit(name: string, value: unknown, column: string, depth: number, flatten: FlattenOptions): unknown {
  const nested = depth < flatten.max_depth && isPlainObject(value);
  if (!nested) return name === column ? value ?? null : undefined;
  if (!column.startsWith(name + flatten.separator)) return undefined;
  return search(value, name, column, depth + 1, flatten);
}

const SPILLED = /_\d+$/;

/**
 * Every leaf column of one record as the builder names it, in its order: a name already taken in the record moves
 * to `<name>_2`, `_3`, ... The slow path, used only for names that may be such a spill.
 */
function spilledColumns(value: Record<string, unknown>, flatten: FlattenOptions): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const put = (name: string, leaf: unknown) => {
    let target = name;
    for (let n = 2; out.has(target); n++) target = `${name}_${n}`;
    out.set(target, leaf ?? null);
  };
  const walk = (name: string, leaf: unknown, depth: number) => {
    if (depth < flatten.max_depth && isPlainObject(leaf)) {
      for (const key in leaf) walk(name + flatten.separator + key, leaf[key], depth + 1);
    } else put(name, leaf);
  };
  const hoistKey = flatten.hoist_key;
  const hoisted = hoistKey === null ? undefined : value[hoistKey];
  for (const key in value) {
    if (key !== hoistKey || hoisted === undefined || !isPlainObject(hoisted)) {
      walk(key, value[key], 0);
      continue;
    }
    for (const inner in hoisted) {
      const prefixed = inner !== hoistKey && Object.hasOwn(value, inner);
      walk(prefixed ? key + flatten.separator + inner : inner, hoisted[inner], 0);
    }
  }
  return out;
}
