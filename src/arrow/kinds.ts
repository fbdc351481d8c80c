/**
 * Column kinds inferred from payload values, and the widening rule applied when values of one column disagree.
 *
 * | value (after decoding)                                 | kind      | Arrow / Parquet type                 |
 * | ------------------------------------------------------ | --------- | ------------------------------------ |
 * | `true` / `false`                                       | bool      | Bool / BOOLEAN                       |
 * | number that is a safe integer (abs <= 2^53-1)          | int       | Int64 / INT64                        |
 * | `bigint` within int64 (exact JSON integers > 2^53)     | int       | Int64 / INT64                        |
 * | other number (fraction, NaN, ±Infinity, huge)          | float     | Float64 / DOUBLE                     |
 * | strict ISO-8601 date-time string with zone, Date       | timestamp | Timestamp(us, UTC) / INT64 TIMESTAMP |
 * | other string                                           | string    | Utf8 / BYTE_ARRAY STRING             |
 * | `bigint` beyond int64                                  | string    | its exact decimal text               |
 * | bytes (MessagePack bin, Arrow Binary)                  | binary    | Binary / BYTE_ARRAY                  |
 * | list of scalars of one kind, with `lists: list`        | list      | List<element> / LIST                 |
 * | any other list, or an object deeper than `max_depth`   | string    | JSON text                            |
 * | null (or missing)                                      | null      | the column's type, null in that row  |
 *
 * Widening when a column sees a second kind (applied to the whole column, rows already buffered included):
 * `null + X -> X`; `int + float -> float`; any other pair (`bool + int`, `int + string`, `timestamp + int`,
 * `timestamp + string`, `binary + X`, `list + scalar`, ...) -> `string`, with every value as its text
 * ({@linkcode textOf}): numbers as JS prints them, booleans `true`/`false`, timestamps as ISO-8601 UTC with
 * microseconds, bytes as base64, lists as JSON. List elements widen the same way except that a conflict other than
 * `int + float` turns the whole list column into JSON text. A column that is null in every row of a file is written
 * as Utf8 (unless the run's {@linkcode SchemaMemory} knows its type).
 * @module
 */

/** Kind of a column (or of a list's elements). */
export type ColumnKind = "null" | "bool" | "int" | "float" | "timestamp" | "string" | "binary" | "list";

/** A column's kind, with the element kind of a list. */
export interface KindSpec {
  /** Kind of the column. */
  readonly kind: ColumnKind;
  /** Element kind, for `list` only. */
  readonly element?: KindSpec;
}

/** The kind two kinds widen to (see the module doc). */
export function widenKind(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b) return a;
  if (a === "null") return b;
  if (b === "null") return a;
  if ((a === "int" && b === "float") || (a === "float" && b === "int")) return "float";
  return "string";
}
