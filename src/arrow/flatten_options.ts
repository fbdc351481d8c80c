/**
 * The `pipeline.flatten` options, as validated by the configuration: how nested payloads become columns. Shared by
 * the batch builder, the typed-table flattening and the field lookups, so all three name columns alike.
 * @module
 */

/** How nested payloads become columns: the `pipeline.flatten` section, as validated by the configuration. */
export interface FlattenOptions {
  /** Joins parent and child keys: `{a:{b:1}}` -> `a_b`. */
  readonly separator: string;
  /** Objects nested deeper than this stay JSON strings. */
  readonly max_depth: number;
  /** An object under this key is lifted to the top level; null turns it off. */
  readonly hoist_key: string | null;
  /** Lists become JSON strings (`json`) or Arrow lists (`list`). */
  readonly lists: "json" | "list";
  /** Column holding a payload that is not an object (42, "text", [1,2]). */
  readonly value_column: string;
}
