/**
 * The per-record work of the pipeline, apart from its control: decode payloads, route each record to the output
 * folder the partitioner names, append it to that folder's Arrow builder, cut the open file of a stream when it is full
 * (records or bytes) and encode the cut files as Parquet. Synchronous and free of I/O, so that it runs alike on the
 * main thread (`pipeline.workers: 0`) and in worker threads (`assembler_worker.ts`), where the main thread sends it
 * the messages of the streams of one shard.
 *
 * The assembler knows nothing of positions, acknowledgements or the journal: the pipeline numbers the messages of each
 * open stream (a `seq` per message, consecutive) and the assembler answers with failures and cuts by those numbers
 * (`Assembled.through`), so that the pipeline can tell which positions a cut file holds.
 * @module
 */
import type { Schema, Table } from "apache-arrow";
import { BatchBuilder } from "../../arrow/batch_builder.ts";
import { conformTable } from "../../arrow/conform.ts";
import { lookupField } from "../../arrow/lookup.ts";
import { SchemaMemory } from "../../arrow/schema_memory.ts";
import { flattenTable, type TypedRows } from "../../arrow/typed_table.ts";
import { decodeJsonBatch, type JsonBatch } from "../../codec/json.ts";
import { decodePayload } from "../../codec/mod.ts";
import type { PipelineSection } from "../../config/pipeline_section.ts";
import type { CommonSinkConfig, ValueFormat } from "../../core/plugin.ts";
import type { MetadataColumn, MetadataValue } from "../../core/source.ts";
import { Partitioner } from "../../partition/partitioner.ts";
import { encodeParquet } from "../../parquet/writer.ts";

/** Options of {@linkcode Assembler}; plain data, so that they can be posted to a worker. */
export interface AssemblerOptions {
  readonly pipeline: Pick<PipelineSection, "flatten" | "max_file_bytes">;
  readonly sink: CommonSinkConfig;
  readonly valueFormat: ValueFormat;
  /** Records per file at most. */
  readonly recordsPerFile: number;
  readonly metadataColumns: readonly MetadataColumn[];
  /**
   * A file whose rows hold at least this many bytes (the builder's estimate) is handed over as its Arrow table, to be
   * streamed into the sink row group by row group (`streamed_file.ts`) instead of encoded here whole. Default: never.
   */
  readonly streamFilesFrom?: number;
  /**
   * Whether files smaller than that are encoded here (default). False hands every file over as its rows: a table
   * format adjusts them first (field ids, the table's types).
   */
  readonly encodeFiles?: boolean;
  /**
   * A folder's rows leave as a part (rows of a file that is streamed into the sink while it fills, see
   * {@linkcode AssembledPart}) each time its builder holds this many, once they reached `streamFilesFrom` bytes; the
   * builder starts afresh. Default: never (the rows stay until the cut).
   */
  readonly partRows?: number;
}

/** What the assembler needs of a message (a `SourceMessage` has it all). */
export interface AssemblyMessage {
  readonly stream: string;
  readonly value: Uint8Array | null;
  readonly metadata: readonly MetadataValue[];
  readonly timestampMs?: number;
  readonly fields?: Record<string, unknown>;
  readonly dataset?: string;
  /** Unused by the assembler; present so that a `SourceMessage` can be passed as it is. */
  readonly position?: string;
}

/**
 * One Parquet file of a cut: the folder it goes to (the pipeline names the file) and its bytes, or for a large file
 * its rows as an Arrow table, streamed into the sink when written, or (`part` set) a file whose earlier row groups
 * left as parts and whose last rows, if any, are `table`. `index` counts the files of the folder in the batch, from 0:
 * a folder gets a second file when rows of another schema follow a part (see {@linkcode conformTable}).
 */
export type AssembledFile =
  | {
    readonly folder: string;
    readonly index: number;
    readonly rows: number;
    readonly data: Uint8Array;
    readonly table?: undefined;
    readonly part?: undefined;
  }
  | {
    readonly folder: string;
    readonly index: number;
    readonly rows: number;
    readonly table: Table;
    /** Estimated bytes of the rows. */
    readonly size: number;
    readonly data?: undefined;
    readonly part?: undefined;
  }
  | {
    readonly folder: string;
    readonly index: number;
    /** Rows in the whole file, parts included. */
    readonly rows: number;
    /** The file's number, as in its parts. */
    readonly part: number;
    /** Its last rows, already in the file's schema; absent when the parts hold them all. */
    readonly table?: Table;
    /** Estimated bytes of `table`. */
    readonly size: number;
    readonly data?: undefined;
  };

/**
 * A row group of a file that is streamed while it fills: the first part of a file number opens the file, later parts
 * follow in order, the cut that names the number closes it. Every part of one file has the first one's schema.
 */
export interface AssembledPart {
  /** The seq of the message whose row filled the part: the part belongs to the cut covering this seq. */
  readonly seq: number;
  /** The file's number; never reused within an assembler. */
  readonly file: number;
  readonly folder: string;
  /** See {@linkcode AssembledFile}. */
  readonly index: number;
  readonly table: Table;
  /** Estimated bytes of the rows. */
  readonly size: number;
}

/** Why the assembler cut on its own. */
export type AssemblerCutReason = "records" | "bytes";

/** A cut file set of one open stream: every message numbered up to `through` is in it (or failed). */
export interface Assembled {
  /** The seq of the last message the cut holds; -1 when the stream had no message yet. */
  readonly through: number;
  readonly files: readonly AssembledFile[];
  readonly rows: number;
  /** Set for cuts the assembler made on its own; absent for cuts the pipeline asked for. */
  readonly reason?: AssemblerCutReason;
}

/** A message that could not become a row, by its seq. */
export interface AssemblyFailure {
  readonly seq: number;
  readonly reason: string;
}

/** What one call did for one open stream, in seq order: failures and cuts interleave by seq. */
export interface AssemblyReply {
  readonly key: number;
  /** Messages the call appended (0 for a cut asked for). */
  readonly appended: number;
  readonly failures: readonly AssemblyFailure[];
  readonly cuts: readonly Assembled[];
  /** Parts that left, in seq order (before the cut covering their seq); absent when none did. */
  readonly parts?: readonly AssembledPart[];
  /** Rows and estimated bytes buffered for the stream after the call (rows gone as parts not counted). */
  readonly rows: number;
  readonly bytes: number;
}

interface OpenStream {
  readonly stream: string;
  readonly dataset: string;
  readonly builders: Map<string, BatchBuilder>;
  lastFolder: string | undefined;
  lastBuilder: BatchBuilder | undefined;
  rows: number;
  /** Estimated bytes of the rows since the last cut, parts included: what `max_file_bytes` weighs. */
  bytes: number;
  /** Estimated bytes still in the builders. */
  held: number;
  /** Seq of the last message appended. */
  last: number;
  /** The files of the batch that have parts, by folder: their number, index, schema and rows so far. */
  readonly streaming: Map<string, StreamingFile>;
  /** Files with parts that rows of another schema followed, waiting for the cut. */
  readonly sealed: StreamingFile[];
  /** Files of the batch per folder so far (parts' files and sealed ones), for the next file's index. */
  readonly counts: Map<string, number>;
  /** Parts of the call in progress. */
  parts: AssembledPart[];
  /** Rows per file at the last cut: where the next files' columns start, instead of growing from 64 rows. */
  expectedRows: number;
}

interface StreamingFile {
  readonly file: number;
  readonly folder: string;
  readonly index: number;
  readonly schema: Schema;
  rows: number;
}

/** Builds the open files of any number of streams; see the module doc. */
export class Assembler {
  readonly #options: AssemblerOptions;
  readonly #partitioner: Partitioner;
  readonly #open = new Map<number, OpenStream>();
  readonly #schemas = new Map<string, SchemaMemory>();
  #nextFile = 0;

  constructor(options: AssemblerOptions) {
    this.#options = options;
    const flatten = options.pipeline.flatten;
    this.#partitioner = new Partitioner({
      partitionBy: options.sink.partition_by,
      pathTemplate: options.sink.path_template,
      timestampField: options.sink.timestamp_field,
      timezone: options.sink.timezone,
      metadataColumns: options.metadataColumns,
      lookup: (value, column) => lookupField(value, column, flatten),
    });
  }

  /**
   * Appends messages of one open stream, numbered `firstSeq`, `firstSeq + 1`, ...; cuts the stream's files whenever
   * they are full. `key` names the open stream (the pipeline's, never reused); `dataset` is its dataset.
   */
  append(
    key: number,
    stream: string,
    dataset: string,
    firstSeq: number,
    messages: readonly AssemblyMessage[],
  ): AssemblyReply {
    const open = this.#openStream(key, stream, dataset);
    const failures: AssemblyFailure[] = [];
    const cuts: Assembled[] = [];
    const json = this.#options.valueFormat === "json" ? decodeJsonBatch(messages.map(jsonPayload)) : undefined;
    const recordsPerFile = this.#options.recordsPerFile;
    const maxBytes = this.#options.pipeline.max_file_bytes;
    for (let i = 0; i < messages.length; i++) {
      const seq = firstSeq + i;
      open.last = seq;
      const reason = this.#add(open, messages[i]!, json, i);
      if (reason !== undefined) failures.push({ seq, reason });
      if (open.rows >= recordsPerFile) cuts.push(this.#cut(open, "records"));
      else if (open.bytes >= maxBytes) cuts.push(this.#cut(open, "bytes"));
    }
    const reply: AssemblyReply = { key, appended: messages.length, failures, cuts, rows: open.rows, bytes: open.held };
    if (open.parts.length === 0) return reply;
    const parts = open.parts;
    open.parts = [];
    return { ...reply, parts };
  }

  /** Cuts what the stream holds (possibly nothing); the stream stays open for later messages. */
  cut(key: number): AssemblyReply {
    const open = this.#open.get(key);
    const cut = open === undefined ? { through: -1, files: [], rows: 0 } : this.#cut(open);
    return { key, appended: 0, failures: [], cuts: [cut], rows: 0, bytes: 0 };
  }

  /** Forgets a stream and what it buffered (revoked, or the run is over). */
  drop(key: number): void {
    this.#open.delete(key);
  }

  #openStream(key: number, stream: string, dataset: string): OpenStream {
    let open = this.#open.get(key);
    if (open === undefined) {
      open = {
        stream,
        dataset,
        builders: new Map(),
        lastFolder: undefined,
        lastBuilder: undefined,
        rows: 0,
        bytes: 0,
        held: 0,
        last: -1,
        streaming: new Map(),
        sealed: [],
        counts: new Map(),
        parts: [],
        expectedRows: 0,
      };
      this.#open.set(key, open);
    }
    return open;
  }

  /** Adds one message's records; returns why it failed, if it did. */
  #add(open: OpenStream, message: AssemblyMessage, json: JsonBatch | undefined, index: number): string | undefined {
    if (message.fields !== undefined) return this.#append(open, message, message.fields);
    if (message.value === null) return this.#append(open, message, null);
    if (json !== undefined) {
      const reason = json.errors.get(index);
      return reason === undefined ? this.#append(open, message, json.values[index]) : reason;
    }
    const decoded = decodePayload(message.value, this.#options.valueFormat);
    if (decoded.kind === "error") return decoded.reason;
    if (decoded.kind === "table") {
      return this.#appendTable(open, message, flattenTable(decoded.table, this.#options.pipeline.flatten));
    }
    let failure: string | undefined;
    for (const value of decoded.values) failure ??= this.#append(open, message, value);
    return failure;
  }

  #builderFor(open: OpenStream, folder: string): BatchBuilder {
    if (folder === open.lastFolder) return open.lastBuilder!;
    let builder = open.builders.get(folder);
    if (builder === undefined) {
      builder = new BatchBuilder({
        metadataColumns: this.#options.metadataColumns,
        flatten: this.#options.pipeline.flatten,
        schema: this.#schemaFor(open.dataset),
        expectedRows: open.expectedRows,
      });
      open.builders.set(folder, builder);
    }
    open.lastFolder = folder;
    open.lastBuilder = builder;
    return builder;
  }

  #append(open: OpenStream, message: AssemblyMessage, value: unknown): string | undefined {
    const folder = this.#partitioner.folderFor(value, message);
    const builder = this.#builderFor(open, folder);
    const before = builder.byteSize;
    const appended = builder.append(value, message.metadata);
    const added = builder.byteSize - before;
    open.bytes += added;
    open.held += added;
    if (appended.kind !== "ok") return appended.reason;
    open.rows++;
    if (this.#partDue(open, folder, builder)) this.#part(open, folder, builder);
    return undefined;
  }

  /**
   * Whether a folder's rows leave as a part now: a full row group (`partRows`) of a file already streaming, or of one
   * whose rows reach `streamFilesFrom` (a smaller file stays whole, encoded at the cut, in the worker if any).
   */
  #partDue(open: OpenStream, folder: string, builder: BatchBuilder): boolean {
    if (builder.rowCount < (this.#options.partRows ?? Infinity)) return false;
    return open.streaming.has(folder) || builder.byteSize >= (this.#options.streamFilesFrom ?? Infinity);
  }

  /** Sends a folder's rows on as a part of its streamed file (opening one, or another if the schema changed). */
  #part(open: OpenStream, folder: string, builder: BatchBuilder): void {
    const size = builder.byteSize;
    const table = builder.finish();
    open.held -= size;
    if (table === null || table.numRows === 0) return;
    let file = open.streaming.get(folder);
    let rows = file === undefined ? null : conformTable(table, file.schema);
    if (file !== undefined && rows === null) {
      open.sealed.push(file);
      file = undefined;
    }
    if (file === undefined) {
      file = this.#startFile(open, folder, table.schema);
      rows = table;
    }
    file.rows += rows!.numRows;
    open.parts.push({ seq: open.last, file: file.file, folder, index: file.index, table: rows!, size });
  }

  #startFile(open: OpenStream, folder: string, schema: Schema): StreamingFile {
    const file: StreamingFile = {
      file: this.#nextFile++,
      folder,
      index: this.#nextIndex(open, folder),
      schema,
      rows: 0,
    };
    open.streaming.set(folder, file);
    return file;
  }

  #nextIndex(open: OpenStream, folder: string): number {
    const index = open.counts.get(folder) ?? 0;
    open.counts.set(folder, index + 1);
    return index;
  }

  /** Adds the rows of a typed table slice by slice of consecutive rows that share an output folder. */
  #appendTable(open: OpenStream, message: AssemblyMessage, rows: TypedRows): string | undefined {
    let failure: string | undefined;
    const append = (folder: string, from: number, to: number) => {
      const builder = this.#builderFor(open, folder);
      const before = builder.byteSize;
      const appended = builder.appendRows(rows, from, to, message.metadata);
      const added = builder.byteSize - before;
      open.bytes += added;
      open.held += added;
      if (appended.kind !== "ok") {
        failure ??= appended.reason;
        return;
      }
      open.rows += to - from;
      if (this.#partDue(open, folder, builder)) this.#part(open, folder, builder);
    };
    if (rows.length === 0) return undefined;
    const partitioner = this.#partitioner;
    let folder = partitioner.folderFor(rows.row(0), message);
    if (partitioner.isStatic) {
      append(folder, 0, rows.length);
      return failure;
    }
    let start = 0;
    for (let i = 1; i < rows.length; i++) {
      const next = partitioner.folderFor(rows.row(i), message);
      if (next === folder) continue;
      append(folder, start, i);
      start = i;
      folder = next;
    }
    append(folder, start, rows.length);
    return failure;
  }

  /**
   * Finishes and encodes every folder of the stream, and closes its streamed files (their last rows go with the cut);
   * files with no rows or no columns are never produced.
   */
  #cut(open: OpenStream, reason?: AssemblerCutReason): Assembled {
    const files: AssembledFile[] = open.sealed.map((f) => ({
      folder: f.folder,
      index: f.index,
      rows: f.rows,
      part: f.file,
      size: 0,
    }));
    let rows = 0;
    for (const [folder, builder] of open.builders) {
      const size = builder.byteSize;
      const table = builder.finish();
      const rest = table === null || table.numRows === 0 ? null : table;
      const streaming = open.streaming.get(folder);
      if (streaming !== undefined) {
        const conformed = rest && conformTable(rest, streaming.schema);
        const last = conformed ? { table: conformed, size } : { size: 0 };
        files.push({
          folder,
          index: streaming.index,
          rows: streaming.rows + (conformed?.numRows ?? 0),
          part: streaming.file,
          ...last,
        });
        open.streaming.delete(folder);
        if (conformed || !rest) continue;
      }
      if (rest) files.push(this.#file(folder, this.#nextIndex(open, folder), rest, size));
    }
    for (const streaming of open.streaming.values()) {
      files.push({
        folder: streaming.folder,
        index: streaming.index,
        rows: streaming.rows,
        part: streaming.file,
        size: 0,
      });
    }
    for (const file of files) rows += file.rows;
    if (files.length > 0) open.expectedRows = Math.ceil(rows / files.length);
    open.builders.clear();
    open.streaming.clear();
    open.sealed.length = 0;
    open.counts.clear();
    open.lastFolder = undefined;
    open.lastBuilder = undefined;
    open.rows = 0;
    open.bytes = 0;
    open.held = 0;
    return reason === undefined ? { through: open.last, files, rows } : { through: open.last, files, rows, reason };
  }

  /** A file of rows that had no part: encoded here, or handed over as its rows when large (or not encoded here). */
  #file(folder: string, index: number, table: Table, size: number): AssembledFile {
    if (size >= (this.#options.streamFilesFrom ?? Infinity) || this.#options.encodeFiles === false) {
      return { folder, index, rows: table.numRows, table, size };
    }
    const sink = this.#options.sink;
    const data = encodeParquet(table, {
      compression: sink.compression,
      compressionLevel: sink.compression_level,
      rowGroupSize: sink.row_group_size,
      dictionary: sink.parquet_dictionary,
    });
    return { folder, index, data, rows: table.numRows };
  }

  #schemaFor(dataset: string): SchemaMemory {
    let schema = this.#schemas.get(dataset);
    if (schema === undefined) {
      schema = new SchemaMemory();
      this.#schemas.set(dataset, schema);
    }
    return schema;
  }
}

/** The payload to decode as JSON, or null when it is not decoded (structured fields, no value). */
function jsonPayload(message: AssemblyMessage): Uint8Array | null {
  return message.fields !== undefined ? null : message.value;
}
