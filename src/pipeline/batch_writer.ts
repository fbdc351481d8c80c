/**
 * Writes cut batches of one stream: their delivery-log entry (the journal's), then their files (four at a time; rows
 * handed over as tables are streamed into the sink; files that streamed while their rows arrived get their last rows,
 * footer and commit), then their commit (a table snapshot; nothing for plain folders),
 * the whole step retried with backoff while the sink refuses, for up to `write_retry_seconds`; then the
 * acknowledgement of their positions; logs one line per batch. Nothing of a batch is acknowledged unless all of its
 * files are durable. Batches that waited for the stream's earlier writes are written together, as one entry, one
 * commit and one acknowledgement (see `write_queue.ts`).
 * @module
 */
import type { Table } from "apache-arrow";
import { ConfigError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { EncodeParquetOptions } from "../parquet/writer.ts";
import { StreamedFileError, writeParquetFile } from "./streamed_file.ts";
import type { EncodedBatch } from "./batch_encoder.ts";
import type { DeliveryLog } from "../core/delivery_log.ts";
import { counted } from "../telemetry/log.ts";
import { retry } from "../core/retry.ts";
import type { Sink } from "../core/sink.ts";
import type { Source } from "../core/source.ts";
import type { CutReason, StreamBatch } from "./stream_batch.ts";

/** What one cut wrote. */
export interface BatchInfo {
  readonly stream: string;
  readonly reason: CutReason;
  readonly first: string;
  readonly last: string;
  readonly records: number;
  readonly files: readonly string[];
  readonly bytes: number;
  readonly deadLettered: number;
  readonly failed: number;
  readonly millis: number;
}

/** Options of {@linkcode BatchWriter}. */
export interface BatchWriterOptions {
  readonly source: Source;
  readonly sink: Sink;
  /** Records each batch before its files are written and commits it once they are durable (journal or table). */
  readonly delivery: DeliveryLog;
  readonly log: Logger;
  /** Keep retrying a batch the sink refuses for this long, then fail. */
  readonly writeRetrySeconds: number;
  /** How Parquet files handed over as rows are encoded (the sink's settings). */
  readonly parquet: EncodeParquetOptions;
}

/** One batch to write. */
export interface WriteRequest {
  readonly batch: StreamBatch;
  readonly encoded: EncodedBatch;
  readonly reason: CutReason;
  /** `performance.now()` when the batch was cut, for its latency. */
  readonly started: number;
  /** False for a batch of a stream's earlier incarnation: written, never acknowledged. */
  readonly ack: boolean;
}

/** Files of one batch written at the same time. */
const FILE_CONCURRENCY = 4;

/** Writes batches; see the module doc. */
export class BatchWriter {
  readonly #options: BatchWriterOptions;
  #count = 0;

  constructor(options: BatchWriterOptions) {
    this.#options = options;
  }

  /**
   * Writes and acknowledges batches of one stream that follow each other (same generation, same `ack`), in one step:
   * one journal entry covering them all, their files, then one acknowledgement of all their positions. Resolves with
   * what each batch wrote; logs one line per batch.
   */
  async write(requests: readonly WriteRequest[]): Promise<BatchInfo[]> {
    const { source, sink, delivery } = this.#options;
    const head = requests[0]!.batch;
    const first = head.first!;
    const last = requests[requests.length - 1]!.batch.last!;
    const outputs = requests.flatMap((request) => request.encoded.files);
    /** Bytes of the files streamed from their rows, known once written. */
    const streamed = new Map<string, number>();
    await this.retrying(
      head.stream,
      "Sink cannot take the batch; retrying, nothing acknowledged meanwhile",
      async () => {
        if (outputs.length > 0 && source.durableAcks !== false) {
          await delivery.begin({
            stream: head.stream,
            generation: head.generation || undefined,
            incarnation: source.incarnationOf?.(head.stream),
            first,
            last,
            files: outputs.map((o) => o.path),
          });
        }
        await runLimited(outputs, FILE_CONCURRENCY, async (o) => {
          if (o.data !== undefined) return await sink.write(o.path, o.data);
          if (o.streamed !== undefined) return void streamed.set(o.path, await o.streamed.finish(o.table));
          const result = await writeParquetFile(sink, o.path, rowGroups(o.table!, this.#options.parquet), {
            ...this.#options.parquet,
          });
          streamed.set(o.path, result.bytes);
        });
        if (outputs.length > 0) {
          await delivery.commit({
            stream: head.stream,
            dataset: head.dataset,
            generation: head.generation || undefined,
            incarnation: source.incarnationOf?.(head.stream),
            first,
            last,
            files: outputs.map((o) => ({
              path: o.path,
              bytes: o.data?.length ?? streamed.get(o.path) ?? 0,
              rows: o.rows,
              tableFile: o.tableFile,
            })),
          });
        }
      },
    );
    if (requests[0]!.ack) {
      const positions = source.acksThroughLast
        ? [last]
        : requests.flatMap((request) => request.batch.positions.toArray());
      await source.ack(head.stream, positions);
    }
    return requests.map((request) => this.#written(request, streamed));
  }

  #written(request: WriteRequest, streamed: ReadonlyMap<string, number>): BatchInfo {
    const { batch, encoded, reason } = request;
    this.#count++;
    const bytes = encoded.files.reduce((n, f) => n + (f.data?.length ?? streamed.get(f.path) ?? 0), 0);
    const info: BatchInfo = {
      stream: batch.stream,
      reason,
      first: batch.first!,
      last: batch.last!,
      records: encoded.records,
      files: encoded.files.map((o) => o.path),
      bytes,
      deadLettered: batch.deadLetters.length,
      failed: batch.failed,
      millis: performance.now() - request.started,
    };
    this.#options.log.info(
      {
        stream: batch.stream,
        reason,
        first: info.first,
        last: info.last,
        records: info.records,
        files: encoded.files.length,
        bytes: info.bytes,
        failed: info.failed,
        dead_lettered: info.deadLettered,
        skipped: batch.skipped,
        ms: Math.round(info.millis),
      },
      `Wrote batch ${this.#count}: ${counted(info.records, "record")}`,
    );
    return info;
  }

  /**
   * Runs a step that talks to the sink, retried with backoff while the sink refuses, for up to
   * `write_retry_seconds`; each retry logs `warning`. Errors whose cause is a SyntaxError (a corrupt file) and a
   * streamed file that failed (its rows are gone) are not retried.
   */
  async retrying<T>(stream: string, warning: string, step: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#options.writeRetrySeconds * 1000;
    return await retry(step, {
      maxRetries: Number.MAX_SAFE_INTEGER,
      baseDelayMs: 500,
      maxDelayMs: 15_000,
      // A configuration mistake (the table is another's, the catalog refuses our credentials) is not retried.
      isRetriable: (error) =>
        Date.now() < deadline && !(error instanceof StreamedFileError) && !(error instanceof ConfigError) &&
        !((error as Error).cause instanceof SyntaxError),
      onRetry: (error, attempt, delayMs) =>
        this.#options.log.warn(
          { stream, attempt, retry_in_ms: Math.round(delayMs), error: (error as Error).message },
          warning,
        ),
    });
  }
}

/** The table in slices of a row group each: the streamed writer then holds one row group's copy at a time. */
function* rowGroups(table: Table, options: EncodeParquetOptions): Generator<Table> {
  for (let start = 0; start < table.numRows; start += options.rowGroupSize) {
    yield table.slice(start, Math.min(table.numRows, start + options.rowGroupSize));
  }
}

async function runLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
