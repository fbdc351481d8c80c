/**
 * The pipeline loop: read messages, hand them to the assembly (decoding, Arrow building and Parquet encoding, on this
 * thread or in `pipeline.workers` worker threads, see `assembly/`), cut batches on size, bytes, age and the global
 * memory budget, write them through the sink, and only then acknowledge them. One direction of flow; the sink is the
 * source of truth on restart (see `journal.ts`). The control (positions, journal, acknowledgements, limits,
 * revocations) stays on the main thread whatever runs the assembly.
 *
 * A file whose rows pass {@linkcode STREAM_FILES_FROM} streams while they arrive: the assembly sends its full row
 * groups on as parts, the first opens the file's upload (`StreamingParquetFile`), each is encoded as the sink takes
 * it, and the cut closes it after the batch's journal entry, so memory holds a row group per such file, not the file.
 * @module
 */
import { defaultWorkers, type PipelineSection } from "../config/pipeline_section.ts";
import { datasetOf } from "../partition/partitioner.ts";
import type { Logger } from "../core/logger.ts";
import {
  type Assembled,
  type AssembledPart,
  type Assembly,
  type AssemblyReply,
  createAssembly,
} from "./assembly/mod.ts";
import { type CutFile, encodeBatch, type SmallFiles } from "./batch_encoder.ts";
import { dataFileName, fileStem } from "./layout.ts";
import { StreamingParquetFile } from "./streamed_file.ts";
import { encodeParquet, type EncodeParquetOptions } from "../parquet/writer.ts";
import { type BatchInfo, BatchWriter, type WriteRequest } from "./batch_writer.ts";
import { WriteQueue, WriteSlots } from "./write_queue.ts";
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
  /** Worker threads of the assembly (0: this thread); default `pipeline.workers`. */
  readonly workers?: number;
  /** Files whose rows hold at least this many bytes are streamed into the sink; default {@linkcode STREAM_FILES_FROM}. */
  readonly streamFilesFrom?: number;
  /** Where batches are recorded and committed; default: the journal of plain folders (`journal.ts`). */
  readonly delivery?: DeliveryLog;
}

interface StreamState {
  /** Names the stream in the assembly while it is open here; a stream revoked and assigned again gets a new one. */
  readonly key: number;
  readonly stream: string;
  readonly dataset: string;
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
  /** Seq the next message sent to the assembly gets. */
  nextSeq: number;
  /** Messages of the current read to send to the assembly. */
  outbox: SourceMessage[];
  /** Messages sent and not yet answered, per append, in order: failures name them by seq. */
  readonly sent: { readonly firstSeq: number; readonly messages: readonly SourceMessage[] }[];
  /** Cuts asked of the assembly and not yet answered, in order. */
  readonly asked: { readonly reason: CutReason; readonly ack: boolean }[];
  /** Estimated bytes the assembly buffers for the stream. */
  bytes: number;
  /** The stream's writes and acknowledgements, in stream order (see `write_queue.ts`). */
  readonly writes: WriteQueue;
  /** Files streaming while their rows arrive (the assembly's parts), by file number, until their cut. */
  readonly streaming: Map<number, StreamingParquetFile>;
}

const MAX_WARNINGS_PER_BATCH = 5;
/**
 * Files whose rows hold at least this many bytes are streamed into the sink row group by row group when written
 * (`streamed_file.ts`) instead of encoded whole in memory first.
 */
export const STREAM_FILES_FROM = 16 * 1024 * 1024;
/**
 * Parts queued for their streaming files (not yet taken by the encoder) before the loop waits, and their estimated
 * bytes: rows leave the builders as parts to bound memory, so they must not pile up behind a slow sink instead (nor
 * behind a source whose reads resolve without ever yielding to I/O).
 */
const MAX_PARTS_IN_FLIGHT = 4;
const MAX_PART_BYTES = 64 * 1024 * 1024;
/** Batches queued for writing per write slot before the loop waits. */
const MAX_QUEUED_BATCHES = 16;
const MAX_FILES_LISTED = 100_000;

/** Moves records from one source to one sink. Create one per run. */
export class Pipeline {
  readonly #source: Source;
  readonly #sink: Sink;
  readonly #parquet: EncodeParquetOptions;
  /** A table format's small files, encoded at their cut (see `batch_encoder.ts`). */
  readonly #smallFiles: SmallFiles;
  readonly #options: PipelineOptions;
  readonly #log: Logger;
  readonly #delivery: DeliveryLog;
  readonly #writer: BatchWriter;
  readonly #assembly: Assembly;
  /** Write steps running at once, over all streams (`pipeline.write_concurrency`). */
  readonly #slots: WriteSlots;
  readonly #streams = new Map<string, StreamState>();
  readonly #byKey = new Map<number, StreamState>();
  readonly #compare: (a: string, b: string) => number;
  #nextKey = 0;
  #bufferedBytes = 0;
  /** Messages in open batches and in batches being written: read, not yet durable and acknowledged. */
  #pendingMessages = 0;
  /** Batches being written (of different streams); bounded by `pipeline.write_concurrency`. */
  readonly #inFlight = new Set<Promise<void>>();
  #inFlightBytes = 0;
  /** Parts handed to their streaming files and not yet taken by the encoder, and their estimated bytes. */
  readonly #partsInFlight = new Set<Promise<void>>();
  #partBytes = 0;
  /** Aborts of streaming files under way (a run ends only once they are done: no temporary file outlives it). */
  readonly #aborts = new Set<Promise<unknown>>();
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
    this.#sink = sink;
    this.#options = options;
    this.#log = options.log;
    this.#delivery = options.delivery ?? new JournalLog(sink, options.log.child("journal"));
    this.#parquet = {
      compression: options.sink.compression,
      compressionLevel: options.sink.compression_level,
      rowGroupSize: options.sink.row_group_size,
      dictionary: options.sink.parquet_dictionary,
    };
    const parquet = this.#parquet;
    this.#smallFiles = {
      below: options.streamFilesFrom ?? STREAM_FILES_FROM,
      encode: (table) => encodeParquet(table, parquet),
    };
    this.#writer = new BatchWriter({
      source,
      sink,
      delivery: this.#delivery,
      log: options.log,
      writeRetrySeconds: options.pipeline.write_retry_seconds,
      parquet: this.#parquet,
    });
    const { sink: s, pipeline: p } = options;
    this.#slots = new WriteSlots(p.write_concurrency);
    this.#assembly = createAssembly(
      {
        pipeline: { flatten: p.flatten, max_file_bytes: p.max_file_bytes },
        sink: {
          type: s.type,
          compression: s.compression,
          compression_level: s.compression_level,
          row_group_size: s.row_group_size,
          parquet_dictionary: s.parquet_dictionary,
          partition_by: s.partition_by,
          path_template: s.path_template,
          timestamp_field: s.timestamp_field,
          timezone: s.timezone,
        },
        valueFormat: options.valueFormat,
        recordsPerFile: options.recordsPerFile,
        // Large files stream while their rows arrive. A table format adjusts every file's rows before they are encoded
        // (field ids, the table's types), here on the main thread: a small file comes back as its rows, to be prepared
        // and encoded at its cut (`#smallFiles`).
        streamFilesFrom: options.streamFilesFrom ?? STREAM_FILES_FROM,
        encodeFiles: this.#delivery.tableFile === undefined,
        partRows: s.row_group_size,
        metadataColumns: source.metadataColumns.map((column) => ({ name: column.name, type: column.type })),
      },
      options.workers ?? p.workers ?? defaultWorkers(),
      {
        reply: (reply) => this.#answered(reply),
        failure: (error) => void (this.#failure ??= { error }),
      },
    );
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
      await Promise.allSettled([...this.#inFlight, ...this.#partsInFlight]);
      this.#assembly.close();
      for (const state of this.#streams.values()) this.#abortStreaming(state);
      await Promise.allSettled([...this.#aborts]);
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
        for (let i = 0; i < messages.length; i++) {
          // Handled synchronously unless a stream opens or restarts: no promise per record.
          const pending = this.#handle(messages[i]!);
          if (pending !== undefined) await pending;
          this.#summary.messagesRead++;
          if (this.#stopped) break;
        }
        this.#sendAll();
        this.#ackDurable();
      }
      this.#options.hooks?.heartbeat?.({ bufferedBytes: this.#bufferedBytes, pendingMessages: this.#pendingMessages });
      await this.#assembly.room();
      await this.#cutOverBudget();
      await this.#cutDue(timeoutMs);
      await this.#room();
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

  /** Handles one message; returns a promise only when it has to wait (a stream opens or restarts). */
  #handle(message: SourceMessage): Promise<void> | undefined {
    const state = this.#streams.get(message.stream);
    if (state === undefined) return this.#open(message).then(() => this.#handle(message));
    if (state.last !== undefined && this.#compare(message.position, state.last) < 0) {
      return this.#restarted(state, message).then(() => this.#accept(state, message));
    }
    this.#accept(state, message);
  }

  #accept(state: StreamState, message: SourceMessage): void {
    state.last = message.position;
    if (state.durableThrough !== undefined && this.#compare(message.position, state.durableThrough) <= 0) {
      state.durableAcks.push(message.position);
      return;
    }
    const batch = state.batch ??= this.#newBatch(state);
    batch.positions.push(message.position);
    this.#pendingMessages++;
    if (message.skip) {
      batch.markSkipped();
    } else if (message.error !== undefined) {
      this.#fail(state, batch, message, message.error, batch.positions.length - 1);
    } else {
      batch.markSent();
      state.outbox.push(message);
    }
  }

  #newBatch(state: StreamState): StreamBatch {
    return new StreamBatch(state.stream, state.dataset, Date.now(), state.generation, state.nextSeq);
  }

  /** Sends the messages of the current read to the assembly, one request per stream. */
  #sendAll(): void {
    for (const state of this.#streams.values()) this.#send(state);
  }

  #send(state: StreamState): void {
    if (state.outbox.length === 0) return;
    const messages = state.outbox;
    state.outbox = [];
    const firstSeq = state.nextSeq;
    state.nextSeq += messages.length;
    state.sent.push({ firstSeq, messages });
    this.#assembly.append(state.key, state.stream, state.dataset, firstSeq, messages);
  }

  /** An answer of the assembly: its failures and cuts, in seq order. */
  #answered(reply: AssemblyReply): void {
    const state = this.#byKey.get(reply.key);
    if (state === undefined) return; // revoked meanwhile: nothing of it is written or acknowledged
    const sent = reply.appended > 0 ? state.sent.shift() : undefined;
    let next = 0;
    const failUpTo = (seq: number) => {
      for (; next < reply.failures.length && reply.failures[next]!.seq <= seq; next++) {
        const failure = reply.failures[next]!;
        const batch = state.batch!;
        const message = sent!.messages[failure.seq - sent!.firstSeq]!;
        this.#fail(state, batch, message, failure.reason, batch.indexOfSeq(failure.seq));
      }
    };
    const parts = reply.parts ?? [];
    let part = 0;
    const partsUpTo = (seq: number) => {
      for (; part < parts.length && parts[part]!.seq <= seq; part++) this.#part(state, parts[part]!);
    };
    for (const cut of reply.cuts) {
      failUpTo(cut.through);
      partsUpTo(cut.through);
      this.#assembled(state, cut);
    }
    failUpTo(Infinity);
    partsUpTo(Infinity);
    this.#bufferedBytes += reply.bytes - state.bytes;
    state.bytes = reply.bytes;
  }

  /**
   * A part of a file that streams while its rows arrive: its first part opens the file, named after the batch it
   * belongs to (the current one: parts come before the cut covering them); the rows are encoded as the sink takes them.
   */
  #part(state: StreamState, part: AssembledPart): void {
    let file = state.streaming.get(part.file);
    if (file === undefined) {
      const batch = state.batch!;
      const name = dataFileName(fileStem(state.stream, batch.generation), batch.first!, part.index);
      const path = this.#delivery.dataPath(state.dataset, part.folder, name);
      file = new StreamingParquetFile(this.#sink, path, this.#parquet, this.#delivery.tableFile?.(state.dataset));
      state.streaming.set(part.file, file);
    }
    this.#partBytes += part.size;
    const tracked: Promise<void> = file.add(part.table)
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => {
        this.#partsInFlight.delete(tracked);
        this.#partBytes -= part.size;
      });
    this.#partsInFlight.add(tracked);
  }

  /** A cut made by the assembly (full) or asked of it: the batch's head it covers goes to the write queue. */
  #assembled(state: StreamState, cut: Assembled): void {
    const asked = cut.reason === undefined ? state.asked.shift() : undefined;
    const reason: CutReason = cut.reason ?? asked?.reason ?? "end";
    const files = cut.files.map((file): CutFile => {
      if (file.part === undefined) return file;
      const streamed = state.streaming.get(file.part);
      state.streaming.delete(file.part);
      return { ...file, streamed };
    });
    const batch = state.batch;
    if (batch === undefined || batch.first === undefined) return this.#abortFiles(files);
    const head = batch.take(cut.reason === undefined ? undefined : cut.through, Date.now());
    if (batch.positions.length === 0) state.batch = undefined;
    state.warned = 0;
    head.rows = cut.rows;
    this.#queue(state, head, files, reason, asked?.ack ?? true);
  }

  /** Drops the files a stream was streaming (revoked, or the run is over): none of them becomes visible. */
  #abortStreaming(state: StreamState): void {
    for (const file of state.streaming.values()) this.#abort(file);
    state.streaming.clear();
  }

  /** Aborts the streamed files of a cut that is not written. */
  #abortFiles(files: readonly CutFile[]): void {
    for (const file of files) if (file.streamed) this.#abort(file.streamed);
  }

  #abort(file: StreamingParquetFile): void {
    const aborted: Promise<void> = file.abort().finally(() => this.#aborts.delete(aborted));
    this.#aborts.add(aborted);
  }

  #fail(state: StreamState, batch: StreamBatch, message: SourceMessage, reason: string, at: number): void {
    const policy = this.#options.pipeline.error_handling;
    const origin = this.#source.describe(message);
    if (policy === "raise") {
      throw new RecordError(`Cannot decode ${origin}: ${reason}`);
    }
    if (policy === "dead_letter") {
      const letter: DeadLetter = {
        origin,
        stream: message.stream,
        position: message.position,
        reason,
        value: message.value,
      };
      batch.markFailed(at, letter);
      return;
    }
    batch.markFailed(at);
    if (policy === "log") {
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

  /** Cuts the oldest batches while the open ones together hold more than the memory budget. */
  async #cutOverBudget(): Promise<void> {
    const budget = this.#options.pipeline.memory_budget_bytes;
    const tried = new Set<StreamState>();
    while (this.#bufferedBytes > budget && !this.#stopped) {
      const oldest = this.#oldest(tried);
      if (oldest === undefined) break;
      tried.add(oldest);
      await this.#cut(oldest, "memory");
    }
  }

  #oldest(except: ReadonlySet<StreamState>): StreamState | undefined {
    let found: StreamState | undefined;
    for (const state of this.#streams.values()) {
      if (except.has(state)) continue;
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
    await this.#room();
  }

  /** Asks the assembly to cut what a stream holds; resolves once the cut is queued for writing. */
  async #cut(state: StreamState, reason: CutReason, options: { ack?: boolean } = {}): Promise<void> {
    if (state.batch === undefined) return;
    this.#send(state);
    state.asked.push({ reason, ack: options.ack ?? true });
    await this.#assembly.cut(state.key);
    this.#throwIfFailed();
  }

  /**
   * Queues the write and acknowledgement of a cut batch behind the stream's earlier ones (after `max_batches`,
   * further cuts are dropped: never written, never acknowledged).
   */
  #queue(state: StreamState, batch: StreamBatch, files: readonly CutFile[], reason: CutReason, ack: boolean) {
    if (this.#stopped) return this.#abortFiles(files);
    this.#batchesCut++;
    const maxBatches = this.#options.pipeline.max_batches;
    if (maxBatches !== null && this.#batchesCut >= maxBatches) this.#stopped = true;
    this.#ackDurableOf(state);
    const started = performance.now();
    const encoded = encodeBatch(batch, files, this.#delivery, this.#smallFiles);
    this.#inFlightBytes += encoded.bytes;
    const tracked: Promise<void> = state.writes.batch({ batch, encoded, reason, started, ack })
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.#inFlightBytes -= encoded.bytes;
        this.#pendingMessages -= batch.positions.length;
      });
    this.#inFlight.add(tracked);
  }

  /**
   * Waits while the batches in flight hold too many bytes (with the open ones and the parts queued, more than the
   * memory budget) or are too many (more than {@linkcode MAX_QUEUED_BATCHES} per write slot), or while parts queued for
   * streaming files are more than {@linkcode MAX_PARTS_IN_FLIGHT} or {@linkcode MAX_PART_BYTES}: batches waiting for their stream's earlier
   * writes are written as a group, so a queue of them costs one journal entry and one acknowledgement.
   */
  async #room(): Promise<void> {
    const budget = this.#options.pipeline.memory_budget_bytes;
    const maxBatches = this.#options.pipeline.write_concurrency * MAX_QUEUED_BATCHES;
    while (
      this.#inFlight.size + this.#partsInFlight.size > 0 &&
      (this.#inFlight.size >= maxBatches ||
        this.#inFlightBytes + this.#bufferedBytes + this.#partBytes > budget ||
        this.#partsInFlight.size > MAX_PARTS_IN_FLIGHT || this.#partBytes > MAX_PART_BYTES)
    ) {
      await Promise.race([...this.#inFlight, ...this.#partsInFlight]);
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  /** Writes a group of batches of one stream (see `write_queue.ts`) and counts what they wrote. */
  async #write(requests: readonly WriteRequest[]): Promise<void> {
    const around = this.#options.hooks?.aroundBatch;
    const write = async () => {
      const infos = await this.#writer.write(requests);
      infos.forEach((info, i) => this.#written(info, requests[i]!.batch));
    };
    const head = requests[0]!;
    await (around ? around(head.batch.stream, head.reason, write) : write());
  }

  #written(info: BatchInfo, batch: StreamBatch): void {
    const s = this.#summary;
    const failed = batch.failed;
    const deadLettered = batch.deadLetters.length;
    s.recordsWritten += info.records;
    s.filesWritten += info.files.length;
    s.bytesWritten += info.bytes;
    s.recordsFailed += failed;
    s.recordsDeadLettered += deadLettered;
    s.batchesWritten++;
    for (const path of info.files) if (s.files.length < MAX_FILES_LISTED) s.files.push(path);
    if (failed > 0) this.#options.hooks?.recordsFailed?.(failed, batch.stream);
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
    const state: StreamState = {
      key: this.#nextKey++,
      stream: message.stream,
      dataset: datasetOf(message),
      durableAcks: [],
      warned: 0,
      writes: new WriteQueue(
        (requests) => this.#write(requests),
        (positions) => this.#source.ack(message.stream, positions),
        this.#slots,
      ),
      generation: "",
      nextSeq: 0,
      outbox: [],
      sent: [],
      asked: [],
      bytes: 0,
      streaming: new Map(),
    };
    await this.#writer.retrying(
      message.stream,
      "Sink cannot be read for the stream's table; retrying, nothing read meanwhile",
      async () => await this.#delivery.open?.(state.dataset),
    );
    if (this.#source.durableAcks !== false) {
      const end = this.#source.endOf?.(message.stream);
      const incarnation = this.#source.incarnationOf?.(message.stream);
      const recovery = await this.#writer.retrying(
        message.stream,
        "Sink cannot be read for the stream's journal entry; retrying, nothing read meanwhile",
        () =>
          this.#delivery.recover(message.stream, {
            dataset: state.dataset,
            first: message.position,
            compare: this.#compare,
            end,
            incarnation,
          }),
      );
      if (recovery.kind === "durable") state.durableThrough = recovery.through;
      state.generation = recovery.generation;
    }
    this.#streams.set(message.stream, state);
    this.#byKey.set(state.key, state);
    return state;
  }

  /** Queues the acknowledgement of already-durable positions of every stream, in stream order. */
  #ackDurable(): void {
    for (const state of this.#streams.values()) this.#ackDurableOf(state);
  }

  #ackDurableOf(state: StreamState): void {
    if (state.durableAcks.length === 0) return;
    const positions = state.durableAcks.splice(0);
    const tracked: Promise<void> = state.writes.ack(positions)
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  async #revoked(streams: readonly string[]): Promise<void> {
    const states = streams.map((s) => this.#streams.get(s)).filter((s) => s !== undefined);
    for (const state of states) {
      // From now on nothing more of the stream is queued: answers of the assembly for it are ignored.
      this.#byKey.delete(state.key);
      this.#assembly.drop(state.key);
      this.#abortStreaming(state);
      this.#bufferedBytes -= state.bytes;
      if (state.batch) this.#pendingMessages -= state.batch.positions.length;
      this.#streams.delete(state.stream);
    }
    await Promise.allSettled(states.map((s) => s.writes.drained()));
    this.#log.info(
      { streams: streams.length },
      "Streams revoked; their unwritten records will be re-read by the new owner",
    );
  }
}
