/**
 * A column of one output file whose rows come, at least in part, from typed Arrow data (Arrow IPC messages): it
 * keeps the pieces as they arrive (slices of decoded batches, runs of nulls, and an inferred `Column` for any JSON
 * values of the same name) and builds the column once, at {@linkcode TypedColumn.finish}: the pieces' types widen
 * by `arrow_types.ts`, each piece is cast to that type (`cast.ts`), and they are concatenated into one `Data`
 * (`concat.ts`). Nothing is converted per value unless types disagree.
 * @module
 */
import { type Data, type DataType, Type, Utf8 } from "apache-arrow";
import { sameType, widenType } from "./arrow_types.ts";
import { castData } from "./cast.ts";
import { Column } from "./column.ts";
import { concatData, estimateBytes, type Piece, pieceLength } from "./concat.ts";

/** What a finished column is. */
export interface FinishedColumn {
  readonly type: DataType;
  readonly data: Data;
  /** False when every row came from fields the sender declared non-nullable, and none is null. */
  readonly nullable: boolean;
  /** False when every row was null and nothing was remembered: `type` is then the all-null default, not a finding. */
  readonly typed: boolean;
}

/** Options of a {@linkcode TypedColumn}. */
export interface TypedColumnOptions {
  /** How JSON lists among the column's values are stored (`pipeline.flatten.lists`). Default `json`. */
  readonly lists?: "json" | "list";
}

/** A growable column of typed pieces; rows are added in order. */
export class TypedColumn {
  readonly #lists: "json" | "list";
  #pieces: (Piece | Column)[] = [];
  /** Rows in `#pieces` (the tail's rows not included). */
  #length = 0;
  #bytes = 0;
  /** Every row so far came from a non-nullable field. */
  #required = true;
  /** Inferred values appended after the last typed piece, and the row they start at. */
  #tail: Column | null = null;
  #tailStart = 0;

  constructor(options: TypedColumnOptions = {}) {
    this.#lists = options.lists ?? "json";
  }

  /** A typed column continuing the rows of an inferred column. */
  static fromInferred(column: Column, options: TypedColumnOptions = {}): TypedColumn {
    const typed = new TypedColumn(options);
    if (column.length > 0) {
      typed.#tail = column;
      typed.#required = false;
    }
    return typed;
  }

  /** Rows so far. */
  get length(): number {
    return this.#tail === null ? this.#length : this.#tailStart + this.#tail.length;
  }

  /** Estimated bytes buffered. */
  get byteSize(): number {
    return this.#bytes + (this.#tail?.byteSize ?? 0);
  }

  /** Appends typed rows at `row` (earlier missing rows become null). `nullable` is the sender's field flag. */
  appendData(row: number, data: Data, nullable: boolean): void {
    this.#sealTail();
    this.padTo(row);
    if (data.length === 0) return;
    this.#pieces.push(data);
    this.#length += data.length;
    this.#bytes += estimateBytes(data);
    if (nullable || data.nullCount > 0) this.#required = false;
  }

  /** Sets the value of `row` from a decoded (JSON-like) value, as `Column.add` does. */
  add(row: number, value: unknown): void {
    if (row < this.length) return; // first value of a row wins
    if (this.#tail === null) {
      this.padTo(row);
      this.#tail = new Column({ inferTimestamps: true, lists: this.#lists });
      this.#tailStart = this.#length;
    }
    this.#required = false;
    this.#tail.add(row - this.#tailStart, value);
  }

  /** Fills rows up to (not including) `row` with nulls. */
  padTo(row: number): void {
    if (this.#tail !== null) {
      if (row > this.length) this.#tail.padTo(row - this.#tailStart);
      return;
    }
    const missing = row - this.#length;
    if (missing <= 0) return;
    const last = this.#pieces[this.#pieces.length - 1];
    if (typeof last === "number") this.#pieces[this.#pieces.length - 1] = last + missing;
    else this.#pieces.push(missing);
    this.#length = row;
    this.#required = false;
  }

  /** Drops rows from `length` on (to undo a partially appended row). */
  truncate(length: number): void {
    if (this.#tail !== null && length >= this.#tailStart) {
      this.#tail.truncate(length - this.#tailStart);
      return;
    }
    this.#tail = null;
    while (this.#length > length) {
      const piece = this.#pieces.pop()!;
      const rows = piece instanceof Column ? piece.length : pieceLength(piece);
      const keep = rows - (this.#length - length);
      this.#length -= rows;
      if (keep > 0) {
        const kept = typeof piece === "number"
          ? keep
          : piece instanceof Column
          ? (piece.truncate(keep), piece)
          : piece.slice(0, keep);
        this.#pieces.push(kept);
        this.#length += keep;
      }
    }
  }

  /**
   * The column of the first `length` rows (padding with nulls), its type widened from every piece and from
   * `remembered` (the run's earlier files); all nulls with nothing remembered is Utf8, as for inferred columns. The
   * column must not be used afterwards.
   */
  finish(length: number, remembered?: DataType): FinishedColumn {
    this.padTo(length);
    this.#sealTail();
    const pieces: Piece[] = [];
    let type: DataType | undefined = remembered;
    for (const piece of this.#pieces) {
      if (typeof piece === "number") {
        pieces.push(piece);
        continue;
      }
      const data = piece instanceof Column ? inferredData(piece) : piece;
      if (typeof data === "number" || data.typeId === Type.Null) {
        pieces.push(pieceLength(data));
        continue;
      }
      pieces.push(data);
      type = type === undefined ? data.type : widenType(type, data.type);
    }
    const typed = type !== undefined && type.typeId !== Type.Null;
    const target = typed ? type! : new Utf8();
    const cast = pieces.map((piece) =>
      typeof piece === "number" || sameType(piece.type, target) ? piece : castData(piece, target)
    );
    const only = cast.length === 1 ? cast[0] : undefined;
    const data = typeof only === "object" && only.length === length ? only : concatData(target, cast);
    return { type: target, data, nullable: !(this.#required && data.nullCount === 0), typed };
  }

  /** Moves the inferred tail into the pieces, so typed data can follow it. */
  #sealTail(): void {
    const tail = this.#tail;
    if (tail === null) return;
    this.#tail = null;
    this.#pieces.push(tail);
    this.#length = this.#tailStart + tail.length;
  }
}

/** An inferred column's rows: a run of nulls when it never saw a value, else its data. */
function inferredData(column: Column): Piece {
  return column.spec.kind === "null" ? column.length : column.toData(column.length);
}
