/**
 * The pipeline loop: read messages, decode them, build Arrow batches per stream and output folder, cut batches on
 * size, bytes, age and the global memory budget, write them through the sink, and only then acknowledge them.
 * One direction of flow; the sink is the source of truth on restart (see `journal.ts`).
 * @module
 */
import { lookupField } from "../arrow/lookup.ts";
import { SchemaMemory } from "../arrow/schema_memory.ts";
import { flattenTable, type TypedRows } from "../arrow/typed_table.ts";
import { decodeJsonBatch, type JsonBatch } from "../codec/json.ts";
import { decodePayload } from "../codec/mod.ts";
import type { PipelineSection } from "../config/pipeline_section.ts";
import { datasetOf, Partitioner } from "../partition/partitioner.ts";
import type { Logger } from "../core/logger.ts";
import { encodeBatch, type EncodedBatch } from "./batch_encoder.ts";
import { type BatchInfo, BatchWriter } from "./batch_writer.ts";
import type { DeadLetter } from "./dead_letter.ts";
import { RecordError } from "../core/errors.ts";
import { JournalLog, newGeneration } from "./journal.ts";
import type { DeliveryLog } from "../core/delivery_log.ts";
import type { CommonSinkConfig, ValueFormat } from "../core/plugin.ts";
import type { Sink } from "../core/sink.ts";
import type { Source, SourceMessage } from "../core/source.ts";
import { type CutReason, StreamBatch } from "./stream_batch.ts";

export type { BatchInfo } from "./batch_writer.ts";

/** What a run did. */
export interface RunSummary {
  readonly messagesRead: number;
  readonly recordsWritten: number;
  readonly filesWritten: number;
  readonly bytesWritten: number;
  readonly recordsFailed: number;
  readonly recordsDeadLettered: number;
  /** Paths (relative to the sink root) of the files written (data and dead letters), at most 100,000. */
  readonly files: readonly string[];
  /** One-shot: what the source could not drain although it existed at start (see `ReadResult`); absent when all. */
  readonly incomplete?: readonly string[];
}

/** Hooks for telemetry; every one is optional and must be cheap. */
export interface PipelineHooks {
  /** A batch was written: files, records, bytes, how long writing took. */
  batchWritten?(info: BatchInfo): void;
  /** Records failed to decode (per batch, not per record). */
  recordsFailed?(count: number, stream: string): void;
  /**
   * The loop made progress (read or wrote something); `pendingMessages`: messages read but not yet durable and
   * acknowledged; `bufferedBytes`: the estimated bytes of the open batches.
   */
  heartbeat?(state: { readonly bufferedBytes: number; readonly pendingMessages: number }): void;
  /** Wraps the writing of one batch, e.g. in a trace span; must call `write` once and return its promise. */
  aroundBatch?(stream: string, reason: CutReason, write: () => Promise<void>): Promise<void>;
}

/** Options of {@linkcode Pipeline}. */
export interface PipelineOptions {
  readonly pipeline: PipelineSection;
  readonly sink: CommonSinkConfig;
  readonly valueFormat: ValueFormat;
  /** Records per file at most (the source's batch_size, times flush_interval_batches if set). */
  readonly recordsPerFile: number;
  readonly log: Logger;
  readonly hooks?: PipelineHooks;
  /** Where batches are recorded and committed; default: the journal of plain folders (`journal.ts`). */
  readonly delivery?: DeliveryLog;
}

interface StreamState {
  batch?: StreamBatch;
  /** Positions up to this one are durable from an earlier run: acknowledge them without writing. */
  durableThrough?: string;
  /** Already-durable positions waiting to be acknowledged. */
  durableAcks: string[];
  /** Failures logged at warning level in the current batch (the rest are summarised). */
  warned: number;
  /** File-name generation; a new one starts when the stream's positions go backwards. */
  generation: string;
  /** Last position handled, to notice a stream that started over. */
  last?: string;
  /**
   * The stream's writes and acknowledgements, chained so they happen in stream order. A failed write rejects the
   * chain, so nothing later of the stream is acknowledged.
   */
  tail: Promise<void>;
}

const MAX_WARNINGS_PER_BATCH = 5;
const MAX_FILES_LISTED = 100_000;

/** Moves records from one source to one sink. Create one per run. */
export class Pipeline {
  readonly #source: Source;
  readonly #options: PipelineOptions;
  readonly #log: Logger;
  readonly #delivery: DeliveryLog;
  readonly #writer: BatchWriter;
  readonly #partitioner: Partitioner;
  readonly #streams = new Map<string, StreamState>();
  readonly #schemas = new Map<string, SchemaMemory>();
  readonly #compare: (a: string, b: string) => number;
  #bufferedBytes = 0;
  /** Messages in open batches and in batches being written: read, not yet durable and acknowledged. */
  #pendingMessages = 0;
  /** Batches being written (of different streams); bounded by `pipeline.write_concurrency`. */
  readonly #inFlight = new Set<Promise<void>>();
  #inFlightBytes = 0;
  #failure: { error: unknown } | undefined;
  #batchesCut = 0;
  #incomplete: readonly string[] | undefined;
  #stopped = false;
  readonly #summary = {
    messagesRead: 0,
    recordsWritten: 0,
    filesWritten: 0,
    bytesWritten: 0,
    recordsFailed: 0,
    recordsDeadLettered: 0,
    batchesWritten: 0,
    files: [] as string[],
  };

  constructor(source: Source, sink: Sink, options: PipelineOptions) {
    this.#source = source;
    this.#options = options;
    this.#log = options.log;
    this.#delivery = options.delivery ?? new JournalLog(sink, options.log.child("journal"));
    this.#writer = new BatchWriter({
      source,
      sink,
      delivery: this.#delivery,
      log: options.log,
      writeRetrySeconds: options.pipeline.write_retry_seconds,
    });
    const flatten = options.pipeline.flatten;
    this.#partitioner = new Partitioner({
      partitionBy: options.sink.partition_by,
      pathTemplate: options.sink.path_template,
      timestampField: options.sink.timestamp_field,
      timezone: options.sink.timezone,
      metadataColumns: source.metadataColumns,
      lookup: (value, column) => lookupField(value, column, flatten),
    });
    this.#compare = source.comparePositions?.bind(source) ?? ((a, b) => a < b ? -1 : a > b ? 1 : 0);
    source.setAssignmentListener?.({ revoked: (streams) => this.#revoked(streams) });
  }

  /** Runs until the source ends, a limit is reached or `signal` aborts; then writes what is in hand. */
  async run(signal: AbortSignal): Promise<RunSummary> {
    const maxBatches = this.#options.pipeline.max_batches;
    const timeoutMs = this.#options.pipeline.batch_timeout_seconds * 1000;
    let finalReason: CutReason = "end";
    try {
      finalReason = await this.#loop(signal, timeoutMs);
      if (!this.#stopped) await this.#cutAll(finalReason);
      this.#ackDurable();
    } finally {
      await Promise.allSettled([...this.#inFlight]);
    }
    this.#throwIfFailed();
    const { batchesWritten: _batches, ...counts } = this.#summary;
    const summary: RunSummary = this.#incomplete ? { ...counts, incomplete: this.#incomplete } : counts;
    if (maxBatches !== null && this.#batchesCut >= maxBatches) {
      this.#log.info(
        { max_batches: maxBatches },
        "Stopped after max_batches; records not yet written stay unacknowledged",
      );
    }
    return summary;
  }

  async #loop(signal: AbortSignal, timeoutMs: number): Promise<CutReason> {
    const maxMessages = this.#options.pipeline.max_messages;
    let finalReason: CutReason = "end";
    while (true) {
      if (signal.aborted) {
        finalReason = "shutdown";
        break;
      }
      if (this.#stopped) break;
      const remaining = maxMessages === null ? Infinity : maxMessages - this.#summary.messagesRead;
      if (remaining <= 0) {
        finalReason = "limit";
        break;
      }
      const result = await this.#source.read({
        maxMessages: Math.max(1, Math.min(remaining, this.#options.recordsPerFile, 5000)),
        maxWaitMs: this.#waitMs(timeoutMs),
        signal,
      });
      if (result.kind === "end") {
        if (result.incomplete?.length) this.#incomplete = result.incomplete;
        break;
      }
      if (result.kind === "messages") {
        const messages = result.messages.length > remaining ? result.messages.slice(0, remaining) : result.messages;
        const json = this.#options.valueFormat === "json" ? decodeJsonBatch(messages.map(jsonPayload)) : undefined;
        for (let i = 0; i < messages.length; i++) {
          // Handled synchronously unless a stream opens, restarts or a batch is cut: no promise per record.
          const pending = this.#handle(messages[i]!, json, i);
          if (pending !== undefined) await pending;
          this.#summary.messagesRead++;
          if (this.#stopped) break;
        }
        this.#ackDurable();
      }
      this.#options.hooks?.heartbeat?.({ bufferedBytes: this.#bufferedBytes, pendingMessages: this.#pendingMessages });
      await this.#cutDue(timeoutMs);
      this.#throwIfFailed();
    }
    return finalReason;
  }

  #waitMs(timeoutMs: number): number {
    let oldest = Infinity;
    for (const state of this.#streams.values()) if (state.batch) oldest = Math.min(oldest, state.batch.openedAt);
    const untilDue = oldest === Infinity ? 1000 : oldest + timeoutMs - Date.now();
    return Math.max(10, Math.min(1000, untilDue));
  }

  /**
   * Handles one message; `json` holds the read's JSON payloads decoded at once (`index` is this message's). Returns
   * a promise only when it has to wait (a stream opens or restarts, a batch is cut).
   */
  #handle(message: SourceMessage, json: JsonBatch | undefined, index: number): Promise<void> | undefined {
    const state = this.#streams.get(message.stream);
    if (state === undefined) return this.#open(message).then(() => this.#handle(message, json, index));
    if (state.last !== undefined && this.#compare(message.position, state.last) < 0) {
      return this.#restarted(state, message).then(() => this.#accept(state, message, json, index));
    }
    return this.#accept(state, message, json, index);
  }

  #accept(
    state: StreamState,
    message: SourceMessage,
    json: JsonBatch | undefined,
    index: number,
  ): Promise<void> | undefined {
    state.last = message.position;
    if (state.durableThrough !== undefined && this.#compare(message.position, state.durableThrough) <= 0) {
      state.durableAcks.push(message.position);
      return undefined;
    }
    const batch = state.batch ??= this.#newBatch(message, state);
    batch.positions.push(message.position);
    this.#pendingMessages++;
    if (message.skip) {
      batch.skipped++;
      return undefined;
    }
    if (message.error !== undefined) {
      this.#fail(state, batch, message, message.error);
    } else if (message.fields !== undefined) {
      this.#append(state, batch, message, message.fields);
    } else if (message.value === null) {
      this.#append(state, batch, message, null);
    } else if (json !== undefined) {
      const reason = json.errors.get(index);
      if (reason === undefined) this.#append(state, batch, message, json.values[index]);
      else this.#fail(state, batch, message, reason);
    } else {
      const decoded = decodePayload(message.value, this.#options.valueFormat);
      if (decoded.kind === "error") {
        this.#fail(state, batch, message, decoded.reason);
      } else if (decoded.kind === "table") {
        this.#appendTable(state, batch, message, flattenTable(decoded.table, this.#options.pipeline.flatten));
      } else {
        for (const value of decoded.values) this.#append(state, batch, message, value);
      }
    }
    return this.#cutIfFull(state);
  }

  #newBatch(message: SourceMessage, state: StreamState): StreamBatch {
    const dataset = datasetOf(message);
    return new StreamBatch(message.stream, dataset, Date.now(), state.generation, {
      metadataColumns: this.#source.metadataColumns,
      flatten: this.#options.pipeline.flatten,
      schema: this.#schemaFor(dataset),
    });
  }

  /** Adds one decoded value to the builder of its folder. */
  #append(state: StreamState, batch: StreamBatch, message: SourceMessage, value: unknown): void {
    const builder = batch.builderFor(this.#partitioner.folderFor(value, message));
    const before = builder.byteSize;
    const appended = builder.append(value, message.metadata);
    const grown = builder.byteSize - before;
    batch.bytes += grown;
    this.#bufferedBytes += grown;
    if (appended.kind === "ok") batch.rows++;
    else this.#fail(state, batch, message, appended.reason);
  }

  /**
   * Adds the rows of a typed table (an Arrow IPC message) column by column: consecutive rows that go to the same
   * output folder are one slice.
   */
  #appendTable(state: StreamState, batch: StreamBatch, message: SourceMessage, rows: TypedRows): void {
    const append = (folder: string, from: number, to: number) => {
      const builder = batch.builderFor(folder);
      const before = builder.byteSize;
      const appended = builder.appendRows(rows, from, to, message.metadata);
      const grown = builder.byteSize - before;
      batch.bytes += grown;
      this.#bufferedBytes += grown;
      if (appended.kind === "ok") batch.rows += to - from;
      else this.#fail(state, batch, message, appended.reason);
    };
    if (rows.length === 0) return;
    const partitioner = this.#partitioner;
    let folder = partitioner.folderFor(rows.row(0), message);
    if (partitioner.isStatic) return append(folder, 0, rows.length);
    let start = 0;
    for (let i = 1; i < rows.length; i++) {
      const next = partitioner.folderFor(rows.row(i), message);
      if (next === folder) continue;
      append(folder, start, i);
      start = i;
      folder = next;
    }
    append(folder, start, rows.length);
  }

  #fail(state: StreamState, batch: StreamBatch, message: SourceMessage, reason: string): void {
    const policy = this.#options.pipeline.error_handling;
    const origin = this.#source.describe(message);
    if (policy === "raise") {
      throw new RecordError(`Cannot decode ${origin}: ${reason}`);
    }
    batch.failed++;
    if (policy === "dead_letter") {
      const letter: DeadLetter = {
        origin,
        stream: message.stream,
        position: message.position,
        reason,
        value: message.value,
      };
      batch.deadLetters.push(letter);
    } else if (policy === "log") {
      if (state.warned < MAX_WARNINGS_PER_BATCH) {
        this.#log.warn({ origin, reason }, "Skipped a record that cannot be decoded");
      } else if (state.warned === MAX_WARNINGS_PER_BATCH) {
        this.#log.warn(
          { stream: message.stream },
          "More records cannot be decoded; counting them in the batch summary",
        );
      }
      state.warned++;
    }
  }

  /** Cuts the stream's batch if it is full, and the oldest batches while over the memory budget; sync when not. */
  #cutIfFull(state: StreamState): Promise<void> | undefined {
    const batch = state.batch;
    if (batch === undefined) return undefined;
    const full = batch.rows >= this.#options.recordsPerFile || batch.bytes >= this.#options.pipeline.max_file_bytes;
    if (!full && this.#bufferedBytes <= this.#options.pipeline.memory_budget_bytes) return undefined;
    return this.#cutFull(state, batch);
  }

  async #cutFull(state: StreamState, batch: StreamBatch): Promise<void> {
    if (batch.rows >= this.#options.recordsPerFile) await this.#cut(state, "records");
    else if (batch.bytes >= this.#options.pipeline.max_file_bytes) await this.#cut(state, "bytes");
    while (this.#bufferedBytes > this.#options.pipeline.memory_budget_bytes) {
      const oldest = this.#oldest();
      if (oldest === undefined) break;
      await this.#cut(oldest, "memory");
    }
  }

  #oldest(): StreamState | undefined {
    let found: StreamState | undefined;
    for (const state of this.#streams.values()) {
      if (state.batch && (!found || state.batch.openedAt < found.batch!.openedAt)) found = state;
    }
    return found;
  }

  async #cutDue(timeoutMs: number): Promise<void> {
    const now = Date.now();
    for (const state of [...this.#streams.values()]) {
      if (this.#stopped) return;
      if (state.batch && now - state.batch.openedAt >= timeoutMs) await this.#cut(state, "age");
    }
  }

  async #cutAll(reason: CutReason): Promise<void> {
    for (const state of [...this.#streams.values()]) {
      if (this.#stopped) return;
      if (state.batch) await this.#cut(state, reason);
    }
  }

  /**
   * Cuts a stream's batch: encodes it now, then queues its write and acknowledgement behind the stream's earlier
   * ones. Waits while too many batches, or too many bytes, are in flight.
   */
  async #cut(state: StreamState, reason: CutReason, options: { ack?: boolean } = {}): Promise<void> {
    const batch = state.batch;
    if (batch === undefined || batch.first === undefined) return;
    state.batch = undefined;
    state.warned = 0;
    this.#bufferedBytes -= batch.bytes;
    this.#batchesCut++;
    const maxBatches = this.#options.pipeline.max_batches;
    if (maxBatches !== null && this.#batchesCut >= maxBatches) this.#stopped = true;
    this.#ackDurableOf(batch.stream, state);
    const started = performance.now();
    const encoded = encodeBatch(batch, this.#options.sink, this.#delivery);
    const write = () => this.#write(batch, encoded, reason, started, options.ack ?? true);
    const around = this.#options.hooks?.aroundBatch;
    state.tail = state.tail.then(() => around ? around(batch.stream, reason, write) : write());
    this.#inFlightBytes += encoded.bytes;
    const tracked: Promise<void> = state.tail
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.#inFlightBytes -= encoded.bytes;
        this.#pendingMessages -= batch.positions.length;
      });
    this.#inFlight.add(tracked);
    const budget = this.#options.pipeline.memory_budget_bytes;
    while (
      this.#inFlight.size > 0 &&
      (this.#inFlight.size >= this.#options.pipeline.write_concurrency ||
        this.#inFlightBytes + this.#bufferedBytes > budget)
    ) {
      await Promise.race(this.#inFlight);
    }
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async #write(
    batch: StreamBatch,
    encoded: EncodedBatch,
    reason: CutReason,
    started: number,
    ack: boolean,
  ): Promise<void> {
    const info = await this.#writer.write({ batch, encoded, reason, started, ack });
    const s = this.#summary;
    s.recordsWritten += info.records;
    s.filesWritten += info.files.length;
    s.bytesWritten += info.bytes;
    s.recordsFailed += batch.failed;
    s.recordsDeadLettered += batch.deadLetters.length;
    s.batchesWritten++;
    for (const path of info.files) if (s.files.length < MAX_FILES_LISTED) s.files.push(path);
    if (batch.failed > 0) this.#options.hooks?.recordsFailed?.(batch.failed, batch.stream);
    this.#options.hooks?.batchWritten?.(info);
  }

  /**
   * The stream's positions went backwards mid-run (a topic deleted and recreated): the batch in hand is written
   * but not acknowledged (its positions belong to the earlier incarnation), and later files get a new generation
   * in their names, so nothing of the earlier incarnation is skipped or overwritten.
   */
  async #restarted(state: StreamState, message: SourceMessage): Promise<void> {
    const generation = newGeneration();
    this.#log.warn(
      { stream: message.stream, position: message.position, previous: state.last, generation },
      "Stream positions went backwards (topic recreated?); writing under a new file-name generation",
    );
    if (state.batch) await this.#cut(state, "restarted", { ack: false });
    state.durableThrough = undefined;
    state.durableAcks.length = 0;
    state.generation = generation;
  }

  async #open(message: SourceMessage): Promise<StreamState> {
    const state: StreamState = { durableAcks: [], warned: 0, tail: Promise.resolve(), generation: "" };
    await this.#delivery.open?.(datasetOf(message));
    if (this.#source.durableAcks !== false) {
      const end = this.#source.endOf?.(message.stream);
      const incarnation = this.#source.incarnationOf?.(message.stream);
      const recovery = await this.#delivery.recover(message.stream, {
        dataset: datasetOf(message),
        first: message.position,
        compare: this.#compare,
        end,
        incarnation,
      });
      if (recovery.kind === "durable") state.durableThrough = recovery.through;
      state.generation = recovery.generation;
    }
    this.#streams.set(message.stream, state);
    return state;
  }

  /** Queues the acknowledgement of already-durable positions of every stream, in stream order. */
  #ackDurable(): void {
    for (const [stream, state] of this.#streams) this.#ackDurableOf(stream, state);
  }

  #ackDurableOf(stream: string, state: StreamState): void {
    if (state.durableAcks.length === 0) return;
    const positions = state.durableAcks.splice(0);
    state.tail = state.tail.then(() => this.#source.ack(stream, positions));
    const tracked: Promise<void> = state.tail
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  #schemaFor(dataset: string): SchemaMemory {
    let schema = this.#schemas.get(dataset);
    if (schema === undefined) {
      schema = new SchemaMemory();
      this.#schemas.set(dataset, schema);
    }
    return schema;
  }

  async #revoked(streams: readonly string[]): Promise<void> {
    const states = streams.map((s) => this.#streams.get(s)).filter((s) => s !== undefined);
    await Promise.allSettled(states.map((s) => s.tail));
    for (const stream of streams) {
      const state = this.#streams.get(stream);
      if (state?.batch) {
        this.#bufferedBytes -= state.batch.bytes;
        this.#pendingMessages -= state.batch.positions.length;
      }
      this.#streams.delete(stream);
    }
    this.#log.info(
      { streams: streams.length },
      "Streams revoked; their unwritten records will be re-read by the new owner",
    );
  }
}

/** The payload of a message to decode as JSON, or null when it is not decoded (fields, no value, error, skip). */
function jsonPayload(message: SourceMessage): Uint8Array | null {
  return message.fields !== undefined || message.error !== undefined || message.skip ? null : message.value;
}
