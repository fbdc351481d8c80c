/**
 * Writes one cut batch: its delivery-log entry (the journal's), then its files (four at a time), then their commit (a
 * table snapshot; nothing for plain folders), the whole step retried with backoff while the sink refuses, for up to
 * `write_retry_seconds`; then the acknowledgement of its positions; logs one line.
 * Nothing of a batch is acknowledged unless all of its files are durable.
 * @module
 */
import type { Logger } from "../core/logger.ts";
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
  #written = 0;

  constructor(options: BatchWriterOptions) {
    this.#options = options;
  }

  /** Writes and acknowledges one batch; resolves with what was written. */
  async write(request: WriteRequest): Promise<BatchInfo> {
    const { batch, encoded, reason } = request;
    const { source, sink, delivery } = this.#options;
    const first = batch.first!;
    const last = batch.last!;
    const outputs = encoded.files;
    await this.#withRetry(batch.stream, async () => {
      if (outputs.length > 0 && source.durableAcks !== false) {
        await delivery.begin({
          stream: batch.stream,
          generation: batch.generation || undefined,
          incarnation: source.incarnationOf?.(batch.stream),
          first,
          last,
          files: outputs.map((o) => o.path),
        });
      }
      await runLimited(outputs, FILE_CONCURRENCY, (o) => sink.write(o.path, o.data));
      if (outputs.length > 0) {
        await delivery.commit({
          stream: batch.stream,
          dataset: batch.dataset,
          generation: batch.generation || undefined,
          incarnation: source.incarnationOf?.(batch.stream),
          first,
          last,
          files: outputs.map((o) => ({ path: o.path, bytes: o.data.length, rows: o.rows, table: o.table })),
        });
      }
    });
    if (request.ack) await source.ack(batch.stream, batch.positions);
    this.#written++;
    const info: BatchInfo = {
      stream: batch.stream,
      reason,
      first,
      last,
      records: encoded.records,
      files: outputs.map((o) => o.path),
      bytes: encoded.bytes,
      deadLettered: batch.deadLetters.length,
      failed: batch.failed,
      millis: performance.now() - request.started,
    };
    this.#options.log.info(
      {
        stream: batch.stream,
        reason,
        first,
        last,
        records: info.records,
        files: outputs.length,
        bytes: info.bytes,
        failed: batch.failed,
        dead_lettered: batch.deadLetters.length,
        skipped: batch.skipped,
        ms: Math.round(info.millis),
      },
      `Wrote batch ${this.#written}: ${counted(info.records, "record")}`,
    );
    return info;
  }

  async #withRetry(stream: string, write: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + this.#options.writeRetrySeconds * 1000;
    await retry(write, {
      maxRetries: Number.MAX_SAFE_INTEGER,
      baseDelayMs: 500,
      maxDelayMs: 15_000,
      isRetriable: () => Date.now() < deadline,
      onRetry: (error, attempt, delayMs) =>
        this.#options.log.warn(
          { stream, attempt, retry_in_ms: Math.round(delayMs), error: (error as Error).message },
          "Sink cannot take the batch; retrying, nothing acknowledged meanwhile",
        ),
    });
  }
}

async function runLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
