/**
 * The delivery log of Iceberg tables ({@linkcode DeliveryLog}): data files go under `<table>/data/<partition
 * folders>/` with unique names (a replay never overwrites a file a snapshot may name); `tableFile` gives their columns
 * the table's field ids, whole or a row group at a time, and gathers their statistics (`prepared_file.ts`); `commit`
 * appends them in one snapshot per table, together with the batches of other streams
 * waiting meanwhile (a group commit), and resolves once the snapshot is committed, so positions are acknowledged only
 * after it; `recover` reads a stream's last committed position from the current snapshot's summary: positions up to
 * it are acknowledged without being written again. Nothing is begun before the files are written: files of a batch
 * whose commit never happened are orphans, removed by `compact` once older than its grace.
 * @module
 */
import type {
  DeliveryCommit,
  DeliveryEntry,
  DeliveryLog,
  RecoverRequest,
  Recovery,
  TableFile,
} from "../../core/delivery_log.ts";
import type { Logger } from "../../core/logger.ts";
import type { Sink } from "../../core/sink.ts";
import type { Table } from "apache-arrow";
import { type AppendFile, appendFiles, type StreamMark, streamMarks } from "./append.ts";
import { FieldIdReservations, planFieldIds, withFieldIds } from "./field_ids.ts";
import { PreparedDataFile } from "./prepared_file.ts";
import { decodeParquet } from "../../parquet/writer.ts";
import { currentSchema, currentSnapshot, defaultSpec, type PartitionField, type TableMetadata } from "./metadata.ts";
import { type PartitionOptions, partitionSpec } from "./partition.ts";
import { ConfigError } from "../../core/errors.ts";
import { FieldIdConflict } from "./schema_evolution.ts";
import { dataFilePath, renamedDataFile } from "./data_files.ts";
import { TableStore, type TableVersion } from "./table_store.ts";
import type { TableCatalog } from "./catalog.ts";

/** Options of {@linkcode IcebergLog}. */
export interface IcebergLogOptions extends PartitionOptions {
  readonly log: Logger;
  /** The table folder (relative to the sink root) of a dataset. */
  readonly tableOf: (dataset: string) => string;
  /** The table's name in its catalog; default its folder. */
  readonly nameOf?: (dataset: string) => string;
  /** Where the tables' current metadata is kept; default the storage (Hadoop tables). */
  readonly catalog?: TableCatalog;
  /** Encodes a prepared table as Parquet (to rewrite a file whose field ids another writer took meanwhile). */
  readonly encode: (table: Table) => Uint8Array;
  /**
   * A fresh probe path: before the first table is opened, a probe there is created twice with the conditional write,
   * and the second must be refused (a store that ignores `If-None-Match` would lose commits). Default: no probe.
   */
  readonly probePath?: () => string;
}

interface Waiting {
  readonly entry: DeliveryCommit;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** One table's cached metadata, id reservations and commit queue. */
interface TableState {
  readonly store: TableStore;
  version: TableVersion | null;
  /** Whether `version` was read from the sink at least once. */
  loaded: boolean;
  readonly reservations: FieldIdReservations;
  readonly waiting: Waiting[];
  committing: boolean;
}

/** Rewrites of files whose field ids another writer took, per commit (each one is that writer's progress). */
const MAX_REWRITES = 100;

/** See the module doc. */
export class IcebergLog implements DeliveryLog {
  readonly #sink: Sink;
  readonly #options: IcebergLogOptions;
  readonly #tables = new Map<string, TableState>();
  #probed: Promise<void> | undefined;
  readonly #compare = new Map<string, (a: string, b: string) => number>();

  constructor(sink: Sink, options: IcebergLogOptions) {
    this.#sink = sink;
    this.#options = options;
  }

  /** The tables this log has seen (for maintenance rounds). */
  tables(): TableStore[] {
    return [...this.#tables.values()].filter((s) => s.version !== null).map((s) => s.store);
  }

  dataPath(dataset: string, folder: string, name: string): string {
    return dataFilePath(this.#state(dataset).store.folder, folder, name);
  }

  tableFile(dataset: string): PreparedDataFile {
    const state = this.#state(dataset);
    return new PreparedDataFile((schema) => {
      const metadata = state.version?.metadata;
      return planFieldIds(
        schema,
        metadata && currentSchema(metadata),
        metadata?.["last-column-id"] ?? 0,
        state.reservations,
      );
    });
  }

  async open(dataset: string): Promise<void> {
    await (this.#probed ??= this.#probeConditionalWrite());
    const state = this.#state(dataset);
    if (!state.loaded) {
      state.version = await state.store.latest();
      state.loaded = true;
      if (state.version) this.#checkSpec(state.store, state.version.metadata);
    }
  }

  /** Throws when the table is partitioned otherwise than `partition_by` says (its files would get wrong values). */
  #checkSpec(store: TableStore, metadata: TableMetadata): void {
    const spec = defaultSpec(metadata);
    const describe = (fields: readonly PartitionField[]) =>
      fields.map((f) => `${f.transform}(${f.name})`).join(", ") || "nothing";
    let wanted: readonly PartitionField[];
    try {
      wanted = partitionSpec(currentSchema(metadata), this.#options).fields;
    } catch {
      wanted = [];
    }
    const same = wanted.length === spec.fields.length &&
      wanted.every((f, i) =>
        f.transform === spec.fields[i]!.transform && f["source-id"] === spec.fields[i]!["source-id"]
      );
    if (!same) {
      throw new ConfigError(
        `Cannot append to the Iceberg table "${store.location}": it is partitioned by ${describe(spec.fields)}, ` +
          `sink.partition_by asks for ${describe(wanted)}`,
        { hint: "set sink.partition_by to the table's partitioning, or write to another table (sink.table)" },
      );
    }
  }

  async recover(stream: string, request: RecoverRequest): Promise<Recovery> {
    const state = this.#state(request.dataset);
    state.version = await state.store.latest();
    state.loaded = true;
    this.#compare.set(stream, request.compare);
    const mark = streamMarks(state.version ? currentSnapshot(state.version.metadata) : undefined).get(stream);
    const log = this.#options.log;
    if (mark === undefined) return { kind: "none", generation: "" };
    const { compare, first, end, incarnation } = request;
    const restarted = (why: string): Recovery => {
      const generation = newGeneration();
      log.warn({ stream, resumed_at: first, table_last: mark.last, generation }, why);
      return { kind: "restarted", generation };
    };
    if (incarnation !== undefined && mark.incarnation !== undefined && incarnation !== mark.incarnation) {
      return restarted("The stream was deleted and recreated since the last snapshot (new topic id); nothing skipped");
    }
    if (compare(first, mark.last) > 0) return { kind: "none", generation: mark.generation };
    if (end !== undefined && compare(mark.last, end) >= 0) {
      return restarted("The last snapshot's position is past the end of the stream (recreated?); nothing skipped");
    }
    log.info(
      { stream, resumed_at: first, through: mark.last },
      "Positions already in the table; acknowledging them without writing again",
    );
    return { kind: "durable", through: mark.last, generation: mark.generation };
  }

  begin(_entry: DeliveryEntry): Promise<void> {
    return Promise.resolve();
  }

  commit(entry: DeliveryCommit): Promise<void> {
    if (!entry.files.some((f) => f.tableFile !== undefined)) return Promise.resolve();
    const state = this.#state(entry.dataset);
    return new Promise((resolve, reject) => {
      state.waiting.push({ entry, resolve, reject });
      if (!state.committing) void this.#drain(state);
    });
  }

  async #drain(state: TableState): Promise<void> {
    state.committing = true;
    try {
      while (state.waiting.length > 0) {
        const group = state.waiting.splice(0);
        try {
          await this.#commitGroup(state, group.map((w) => w.entry));
          for (const w of group) w.resolve();
        } catch (error) {
          for (const w of group) w.reject(error);
        }
      }
    } finally {
      state.committing = false;
    }
  }

  async #commitGroup(state: TableState, entries: readonly DeliveryCommit[]): Promise<void> {
    const started = performance.now();
    const files: AppendFile[] = entries.flatMap((e) =>
      e.files.flatMap((f) =>
        f.tableFile
          ? [{ stream: e.stream, path: f.path, bytes: f.bytes, rows: f.rows, facts: factsOf(f.tableFile) }]
          : []
      )
    );
    const streams = new Map<string, StreamMark>();
    for (const e of entries) {
      streams.set(e.stream, { last: e.last, generation: e.generation ?? "", incarnation: e.incarnation });
    }
    const alreadyCommitted = (stream: string, mark: StreamMark, recorded: StreamMark) => {
      const compare = this.#compare.get(stream);
      return compare !== undefined && recorded.generation === mark.generation &&
        (recorded.incarnation === undefined || mark.incarnation === undefined ||
          recorded.incarnation === mark.incarnation) &&
        compare(recorded.last, mark.last) >= 0;
    };
    for (let rewrites = 0;; rewrites++) {
      try {
        state.version = await appendFiles(state.store, { files, streams, alreadyCommitted }, this.#options);
        break;
      } catch (error) {
        if (!(error instanceof FieldIdConflict) || rewrites >= MAX_REWRITES) throw error;
        files[error.file] = await this.#rewrite(state, files[error.file]!, error);
      }
    }
    state.reservations.settle(state.version.metadata["last-column-id"]);
    this.#options.log.debug(
      {
        table: state.store.folder,
        version: state.version.version,
        files: files.length,
        batches: entries.length,
        ms: Math.round(performance.now() - started),
      },
      "Committed a snapshot",
    );
  }

  /**
   * Writes a file again with the field ids of the table as it is now (another writer took its ids): its rows are
   * read back from the sink (a file may have been streamed, and none of its rows are held), whole.
   */
  async #rewrite(state: TableState, file: AppendFile, conflict: FieldIdConflict): Promise<AppendFile> {
    state.version = await state.store.latest();
    const metadata = state.version?.metadata;
    const lastId = metadata?.["last-column-id"] ?? 0;
    state.reservations.settle(lastId);
    const bytes = await this.#sink.read(file.path);
    if (bytes === null) {
      throw new Error(`Cannot rewrite "${this.#sink.describe(file.path)}" with the table's field ids: it is missing`);
    }
    const table = withFieldIds(decodeParquet(bytes), metadata && currentSchema(metadata), lastId, state.reservations);
    const data = this.#options.encode(table);
    const path = renamedDataFile(file.path);
    await this.#sink.write(path, data);
    this.#options.log.info(
      { path: file.path, rewritten: path, reason: conflict.message },
      "Rewrote a data file with the table's field ids",
    );
    return { ...file, path, bytes: data.length, facts: PreparedDataFile.factsOf(table) };
  }

  async #probeConditionalWrite(): Promise<void> {
    const path = this.#options.probePath?.();
    if (path === undefined || !this.#sink.writeIfAbsent) return;
    // Two different contents: a sink may take a refused create of the very bytes already there as its own retry.
    const bytes = (n: number) => new TextEncoder().encode(`fs-data-sink conditional write probe ${n}\n`);
    try {
      const first = await this.#sink.writeIfAbsent(path, bytes(1));
      const second = await this.#sink.writeIfAbsent(path, bytes(2));
      if (!first || second) {
        throw new Error(
          `Cannot commit Iceberg tables to "${this.#sink.describe("")}": the store does not honour create-if-absent ` +
            `writes (a second create of "${path}" ${second ? "succeeded" : "was refused, and so was the first"}); ` +
            "concurrent commits would be lost",
        );
      }
    } finally {
      await this.#sink.delete(path).catch(() => {});
    }
  }

  #state(dataset: string): TableState {
    const folder = this.#options.tableOf(dataset);
    let state = this.#tables.get(folder);
    if (state === undefined) {
      state = {
        store: new TableStore(this.#sink, folder, {
          catalog: this.#options.catalog,
          name: this.#options.nameOf?.(dataset),
        }),
        version: null,
        loaded: false,
        reservations: new FieldIdReservations(),
        waiting: [],
        committing: false,
      };
      this.#tables.set(folder, state);
    }
    return state;
  }
}

/** The facts of a file this log prepared. */
function factsOf(file: TableFile) {
  if (!(file instanceof PreparedDataFile)) throw new TypeError("Cannot commit a data file no Iceberg log prepared");
  return file.facts();
}

function newGeneration(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
