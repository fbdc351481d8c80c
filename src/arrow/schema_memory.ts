/**
 * Per-run memory of column types, so that once a column has widened (say int -> float) the later files of the run
 * start with the widened type instead of flip-flopping between files. Share one instance between the builders of
 * one table (for example one per topic or output folder); columns absent from a file are not added to it (readers
 * with `union_by_name` fill them with nulls). Inferred columns are remembered by kind; columns typed by the sender
 * (Arrow IPC) by their Arrow type, widened by `arrow_types.ts`.
 * @module
 */
import type { DataType } from "apache-arrow";
import { widenType } from "./arrow_types.ts";
import { type ColumnKind, type KindSpec, widenKind } from "./kinds.ts";

/** Remembers the widest kind or Arrow type seen for each column name during a run. */
export class SchemaMemory {
  #kinds = new Map<string, KindSpec>();
  #types = new Map<string, DataType>();

  /** The remembered kind of a column, if any. */
  get(name: string): KindSpec | undefined {
    return this.#kinds.get(name);
  }

  /** Records the kind a column had in a finished file, widening what was remembered. */
  record(name: string, spec: KindSpec): void {
    if (spec.kind === "null") return;
    const known = this.#kinds.get(name);
    this.#kinds.set(name, known ? widenSpec(known, spec) : spec);
  }

  /** The remembered Arrow type of a column built from typed pieces, if any. */
  type(name: string): DataType | undefined {
    return this.#types.get(name);
  }

  /** Records the Arrow type a typed column had in a finished file, widening what was remembered. */
  recordType(name: string, type: DataType): void {
    const known = this.#types.get(name);
    this.#types.set(name, known ? widenType(known, type) : type);
  }

  /** Every remembered inferred column and kind, in first-recorded order. */
  entries(): [string, KindSpec][] {
    return [...this.#kinds.entries()];
  }
}

function widenSpec(a: KindSpec, b: KindSpec): KindSpec {
  const kind: ColumnKind = widenKind(a.kind, b.kind);
  if (kind !== "list") return { kind };
  const ea = a.element;
  const eb = b.element;
  if (!ea || ea.kind === "null") return eb ? { kind, element: eb } : { kind };
  if (!eb || eb.kind === "null" || ea.kind === eb.kind) return { kind, element: ea };
  const pair = new Set([ea.kind, eb.kind]);
  if (pair.size === 2 && pair.has("int") && pair.has("float")) return { kind, element: { kind: "float" } };
  return { kind: "string" }; // element conflict: the list becomes JSON text, as inside one file
}
