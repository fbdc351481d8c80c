/**
 * A data file of an Iceberg table while it is written ({@linkcode TableFile}): the first rows decide its field ids
 * (`field_ids.ts`, against the table's schema at that moment) and every later row group gets the same ones, so a
 * file streamed a row group at a time is as one encoded whole; meanwhile it gathers what the commit needs, its
 * {@linkcode DataFileFacts}, and holds none of the rows.
 * @module
 */
import { makeVector, type Schema, type Table } from "apache-arrow";
import type { TableFile } from "../../core/delivery_log.ts";
import type { FieldIdPlan } from "./field_ids.ts";
import { type FileStats, FileStatsBuilder } from "./stats.ts";

/** What a commit needs of a data file. */
export interface DataFileFacts {
  /** The file's schema, with field ids. */
  readonly schema: Schema;
  readonly stats: FileStats;
  /** The file's first row, scalar columns only (identity partition values), by column name. */
  readonly firstRow: ReadonlyMap<string, unknown>;
}

/** See the module doc; `plan` decides the field ids of the file's schema when its first rows come. */
export class PreparedDataFile implements TableFile {
  readonly #plan: (schema: Schema) => FieldIdPlan;
  #fieldIds: FieldIdPlan | undefined;
  /** The file's column names, joined (every later table of rows must have them). */
  #names = "";
  readonly #stats = new FileStatsBuilder();
  #firstRow: Map<string, unknown> | undefined;

  constructor(plan: (schema: Schema) => FieldIdPlan) {
    this.#plan = plan;
  }

  /** The facts of a whole table that already has its field ids (a rewritten file). */
  static factsOf(table: Table): DataFileFacts {
    const file = new PreparedDataFile((schema) => ({ schema, apply: (rows) => rows }));
    file.prepare(table);
    return file.facts();
  }

  prepare(table: Table): Table {
    const names = table.schema.fields.map((f) => f.name).join("\u0000");
    if (this.#fieldIds === undefined) {
      this.#fieldIds = this.#plan(table.schema);
      this.#names = names;
    } else if (names !== this.#names) {
      throw new Error("Cannot prepare rows for an Iceberg data file: their columns are not the file's");
    }
    const prepared = this.#fieldIds.apply(table);
    this.#stats.add(prepared);
    if (this.#firstRow === undefined && prepared.numRows > 0) this.#firstRow = firstRow(prepared);
    return prepared;
  }

  /** What the commit needs; throws if no rows were prepared. */
  facts(): DataFileFacts {
    if (this.#fieldIds === undefined) throw new Error("Cannot commit an Iceberg data file that has no rows");
    return { schema: this.#fieldIds.schema, stats: this.#stats.finish(), firstRow: this.#firstRow ?? new Map() };
  }
}

/** Row 0's scalar values (a list's value would hold its rows' memory). */
function firstRow(table: Table): Map<string, unknown> {
  const batch = table.batches.find((b) => b.numRows > 0)!;
  const row = new Map<string, unknown>();
  table.schema.fields.forEach((field, i) => {
    const value = makeVector(batch.data.children[i]!).get(0);
    const scalar = value === null || ["number", "bigint", "string", "boolean"].includes(typeof value);
    row.set(field.name, scalar ? value : null);
  });
  return row;
}
