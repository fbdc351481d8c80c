/**
 * Connects a running {@linkcode Telemetry} to the pipeline: hooks that turn batch reports into metrics, the batch
 * span and health heartbeats, and wrappers that put spans around a source's and a sink's calls.
 *
 * Spans (children of `pipeline.run`): `source.connect`, `source.read_batch` (only reads that returned messages,
 * with their count, stream, position range, and Kafka topic and partition or Redis key), `source.ack`, `source.close`, `sink.connect`, `batch` (one cut, or the
 * cuts of a stream that waited together and share one journal entry and acknowledgement, `fs_data_sink.batch_count`:
 * journal, files, acknowledgement), `sink.write_batch` (one file: path and bytes), `sink.close`. The seed's
 * `sink.flush` has no counterpart: a sink write is atomic and durable when it returns, so the `batch` span is
 * the flush.
 * @module
 */
import { type Attributes, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import type { BatchInfo, PipelineHooks } from "./pipeline.ts";
import type { Sink } from "../core/sink.ts";
import type { ReadOptions, ReadResult, Source, SourceMessage } from "../core/source.ts";
import { ATTR } from "../telemetry/metrics.ts";
import { SPAN, type Telemetry } from "../telemetry/mod.ts";

interface GroupTotals {
  readonly first: string;
  readonly batches: number;
  readonly records: number;
  readonly bytes: number;
  readonly files: number;
  readonly deadLettered: number;
  readonly failed: number;
}

/**
 * Pipeline hooks feeding `telemetry`: per batch the `fs_data_sink.*` counters and latency, the batch span and its
 * attributes; per loop turn a health heartbeat with the messages and bytes in hand.
 */
export function pipelineHooks(telemetry: Telemetry): PipelineHooks {
  const { metrics, health } = telemetry;
  /** Totals of the batches written so far inside a batch span (batches waiting together are written as a group). */
  const groups = new WeakMap<Span, GroupTotals>();
  return {
    heartbeat(state) {
      health.heartbeat();
      health.setPending(state.pendingMessages, state.bufferedBytes);
    },
    batchWritten(info: BatchInfo) {
      health.heartbeat();
      if (!telemetry.enabled) return;
      const attrs = { [ATTR.stream]: info.stream };
      metrics.batchProcessed(attrs);
      metrics.recordsProcessed(info.records, attrs);
      metrics.bytesWritten(info.bytes, attrs);
      for (let i = 0; i < info.files.length; i++) metrics.fileWritten(attrs);
      metrics.batchDuration(info.millis / 1000, attrs);
      if (info.deadLettered > 0) metrics.deadLettered(info.deadLettered, attrs);
      if (telemetry.tracing) {
        // Called inside the batch span opened by aroundBatch, once per batch of the span's group: totals add up.
        const span = trace.getActiveSpan();
        if (span === undefined) return;
        const known = groups.get(span);
        const total: GroupTotals = {
          first: known?.first ?? info.first,
          batches: (known?.batches ?? 0) + 1,
          records: (known?.records ?? 0) + info.records,
          bytes: (known?.bytes ?? 0) + info.bytes,
          files: (known?.files ?? 0) + info.files.length,
          deadLettered: (known?.deadLettered ?? 0) + info.deadLettered,
          failed: (known?.failed ?? 0) + info.failed,
        };
        groups.set(span, total);
        span.setAttributes({
          [ATTR.firstPosition]: total.first,
          [ATTR.lastPosition]: info.last,
          [ATTR.recordCount]: total.records,
          [ATTR.bytes]: total.bytes,
          "fs_data_sink.file_count": total.files,
          "fs_data_sink.dead_lettered": total.deadLettered,
          "fs_data_sink.failed": total.failed,
          "fs_data_sink.batch_count": total.batches,
        });
      }
    },
    recordsFailed(count, stream) {
      metrics.error("decode", { [ATTR.stream]: stream }, count);
    },
    aroundBatch(stream, reason, write) {
      if (!telemetry.tracing) return health.duringWrite(write);
      const attrs = { [ATTR.stream]: stream, [ATTR.cutReason]: reason };
      return telemetry.withSpan(SPAN.batch, attrs, () => health.duringWrite(write));
    },
  };
}

/** Metadata columns whose values name the Kafka topic and partition, or the Redis key, of a message. */
const TOPIC_COLUMNS = new Set(["kafka_topic", "redis_key"]);
const PARTITION_COLUMNS = new Set(["kafka_partition"]);

/**
 * `source` with spans around connect, read (when it returned messages), ack and close, and
 * `fs_data_sink.errors{error.type=source}` for each failed call; itself when telemetry is off. A source with
 * `lag()` also feeds `fs_data_sink.consumer_lag` and the health check.
 */
export function instrumentSource(source: Source, telemetry: Telemetry): Source {
  if (source.lag) telemetry.metrics.trackLag(() => source.lag?.());
  if (!telemetry.enabled) return source;
  const columns = source.metadataColumns;
  const topicIndex = columns.findIndex((c) => TOPIC_COLUMNS.has(c.name));
  const partitionIndex = columns.findIndex((c) => PARTITION_COLUMNS.has(c.name));
  const counted = <T>(operation: string, promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      telemetry.metrics.error("source", { "fs_data_sink.operation": operation });
      throw error;
    });
  const overrides: Partial<Source> = {
    connect: () => telemetry.withSpan(SPAN.sourceConnect, undefined, () => counted("connect", source.connect())),
    close: () => telemetry.withSpan(SPAN.sourceClose, undefined, () => counted("close", source.close())),
    ack: (stream: string, positions: readonly string[]) =>
      telemetry.withSpan(
        "source.ack",
        { [ATTR.stream]: stream, [ATTR.recordCount]: positions.length },
        () => counted("ack", source.ack(stream, positions)),
      ),
    read: async (options: ReadOptions): Promise<ReadResult> => {
      const startTime = performance.timeOrigin + performance.now();
      let result: ReadResult;
      try {
        result = await counted("read", source.read(options));
      } catch (error) {
        if (telemetry.tracing) {
          const span = telemetry.tracer.startSpan(SPAN.sourceReadBatch, { startTime });
          const message = error instanceof Error ? error.message : String(error);
          span.recordException(error instanceof Error ? error : message);
          span.setStatus({ code: SpanStatusCode.ERROR, message });
          span.end();
        }
        throw error;
      }
      // Empty polls are not traced: an idle pipeline would send one span a second.
      if (telemetry.tracing && result.kind === "messages" && result.messages.length > 0) {
        const attributes = readAttributes(result.messages, topicIndex, partitionIndex);
        telemetry.tracer.startSpan(SPAN.sourceReadBatch, { startTime, attributes }).end();
      }
      return result;
    },
  };
  return delegate(source, overrides);
}

/**
 * `sink` with spans around connect, write (one per file) and close, and `fs_data_sink.errors{error.type=sink}` for
 * each failed call (every failed try of a retried write counts); itself when telemetry is off.
 */
export function instrumentSink(sink: Sink, telemetry: Telemetry): Sink {
  if (!telemetry.enabled) return sink;
  const counted = <T>(operation: string, promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      telemetry.metrics.error("sink", { "fs_data_sink.operation": operation });
      throw error;
    });
  const overrides: Partial<Sink> = {
    connect: () => telemetry.withSpan(SPAN.sinkConnect, undefined, () => counted("connect", sink.connect())),
    close: () => telemetry.withSpan(SPAN.sinkClose, undefined, () => counted("close", sink.close())),
    write: (path: string, data: Uint8Array) =>
      telemetry.withSpan(
        SPAN.sinkWriteBatch,
        { [ATTR.filePath]: path, [ATTR.bytes]: data.length },
        () => counted("write", sink.write(path, data)),
      ),
  };
  return delegate(sink, overrides);
}

function readAttributes(messages: readonly SourceMessage[], topicIndex: number, partitionIndex: number): Attributes {
  const first = messages[0]!;
  const last = messages[messages.length - 1]!;
  for (const message of messages) {
    if (message.stream !== first.stream) return { [ATTR.recordCount]: messages.length };
  }
  const attributes: Attributes = {
    [ATTR.recordCount]: messages.length,
    [ATTR.stream]: first.stream,
    [ATTR.firstPosition]: first.position,
    [ATTR.lastPosition]: last.position,
  };
  const topic = topicIndex >= 0 ? first.metadata[topicIndex] : undefined;
  if (typeof topic === "string") attributes[ATTR.topic] = topic;
  const partition = partitionIndex >= 0 ? first.metadata[partitionIndex] : undefined;
  if (typeof partition === "number") attributes[ATTR.partition] = String(partition);
  return attributes;
}

/**
 * A view of `target` whose `overrides` replace some methods; every other member is read from `target`, methods
 * bound to it (plugins keep state in `#private` fields, which a plain prototype chain would break).
 */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}
