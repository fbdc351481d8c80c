/**
 * The delivery log: what makes a restart write nothing twice and lose nothing. The pipeline tells it about each batch
 * three times: where its data files go (`dataPath`, before encoding), that the files are about to be written
 * (`begin`), and that they are durable (`commit`, before the positions are acknowledged). On start, `recover` says
 * for each stream what an earlier run left. Plain folders use the write-ahead journal (`src/pipeline/journal.ts`,
 * `begin` does the work, `commit` nothing); table formats (`src/table/iceberg/`) commit a snapshot in `commit` and
 * recover from what the table records.
 * @module
 */
import type { Table } from "apache-arrow";

/** What recovery found for a stream. */
export type Recovery =
  /** No entry, or its batch was acknowledged before: read normally. */
  | { readonly kind: "none"; readonly generation: string }
  /** The batch is durable but unacknowledged: acknowledge positions up to `through` without writing them. */
  | { readonly kind: "durable"; readonly through: string; readonly generation: string }
  /** The batch was cut short: its partial files were deleted; the range will be re-read and written. */
  | { readonly kind: "discarded"; readonly files: readonly string[]; readonly generation: string }
  /** The stream's positions started over: write under the new `generation`, skip and delete nothing. */
  | { readonly kind: "restarted"; readonly generation: string };

/** What {@linkcode DeliveryLog.recover} is told of a stream's first message after start. */
export interface RecoverRequest {
  /** The stream's dataset (Kafka topic, Redis key): which table it belongs to. */
  readonly dataset: string;
  /** Position of the stream's first message after start. */
  readonly first: string;
  /** Orders two positions of the stream. */
  readonly compare: (a: string, b: string) => number;
  /** The position just past the stream's last message (Kafka: the high watermark), when the source knows it. */
  readonly end?: string;
  /** The stream's incarnation (Kafka: the topic id), when the source knows it. */
  readonly incarnation?: string;
}

/** A batch about to be written. */
export interface DeliveryEntry {
  readonly stream: string;
  /** File-name generation of the stream ("" for the first). */
  readonly generation?: string;
  /** The stream's incarnation when the batch was begun, when the source knows one. */
  readonly incarnation?: string;
  readonly first: string;
  readonly last: string;
  /** Paths of the batch's files, relative to the sink root. */
  readonly files: readonly string[];
}

/** A data file of a committed batch. */
export interface DeliveredFile {
  /** Path relative to the sink root. */
  readonly path: string;
  /** Size in bytes. */
  readonly bytes: number;
  readonly rows: number;
  /** The file as its table format prepared its rows ({@linkcode DeliveryLog.tableFile}); absent for dead letters. */
  readonly tableFile?: TableFile;
}

/**
 * A data file of a table format while it is written: each table of its rows, the whole file or a row group at a time
 * (a file streamed while its rows arrive), goes through {@linkcode prepare} before it is encoded, and the log notes
 * what the file's commit needs (Iceberg: its statistics), never the rows. It comes back to the log with the file in
 * {@linkcode DeliveryCommit}.
 */
export interface TableFile {
  /**
   * The next rows of the file as they are to be encoded (Iceberg: field ids, the table's column types); all of the
   * file's rows have the schema of the first. Synchronous.
   */
  prepare(table: Table): Table;
}

/** A batch whose files are durable. */
export interface DeliveryCommit {
  readonly stream: string;
  readonly dataset: string;
  /** File-name generation of the stream ("" or absent for the first). */
  readonly generation?: string;
  readonly incarnation?: string;
  readonly first: string;
  readonly last: string;
  readonly files: readonly DeliveredFile[];
}

/** Where batches are recorded; see the module doc. */
export interface DeliveryLog {
  /** Path of a data file of `dataset` (relative to the sink root) given the partitioner's `folder` and file `name`. */
  dataPath(dataset: string, folder: string, name: string): string;
  /**
   * Called when a stream of `dataset` first shows up, before anything of it is prepared or recovered, for sources
   * with and without durable acknowledgements alike (Iceberg: loads the table's schema, so files get its field ids).
   */
  open?(dataset: string): Promise<void>;
  /** A new data file of `dataset` whose rows are to be prepared for the table format (see {@linkcode TableFile}). */
  tableFile?(dataset: string): TableFile;
  /** Decides what to do for a stream whose first message after start is `request.first`. */
  recover(stream: string, request: RecoverRequest): Promise<Recovery>;
  /** Called before the files of a batch are written. */
  begin(entry: DeliveryEntry): Promise<void>;
  /** Called once the files of a batch are durable, before its positions are acknowledged. */
  commit(entry: DeliveryCommit): Promise<void>;
  /** Releases what the log holds (pending work is not dropped: callers await their commits first). */
  close?(): Promise<void>;
}
