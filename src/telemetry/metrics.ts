/**
 * The pipeline's metrics: names, attribute keys and a typed facade over an OpenTelemetry meter. The no-op facade
 * (telemetry off) is one shared object whose methods do nothing, so calls cost a function call and no allocation.
 * @module
 */
import type { Attributes, Histogram, Meter, ObservableResult } from "@opentelemetry/api";
import { AggregationTemporality, InstrumentType } from "@opentelemetry/sdk-metrics";

/** Metric names (OpenTelemetry style; the Prometheus endpoint turns dots into underscores). */
export const METRIC_NAMES = {
  batchesProcessed: "fs_data_sink.batches_processed",
  recordsProcessed: "fs_data_sink.records_processed",
  errors: "fs_data_sink.errors",
  bytesWritten: "fs_data_sink.bytes_written",
  filesWritten: "fs_data_sink.files_written",
  batchDuration: "fs_data_sink.batch_duration",
  recordsDeadLettered: "fs_data_sink.records_dead_lettered",
  consumerLag: "fs_data_sink.consumer_lag",
  buildInfo: "fs_data_sink.build_info",
} as const;

/**
 * Attribute keys used on spans and metric points. Messaging keys follow the OpenTelemetry semantic conventions;
 * the others are namespaced `fs_data_sink.`.
 */
export const ATTR = {
  /** Version of the build (`fs_data_sink.build_info`). */
  version: "fs_data_sink.version",
  /** Commit id of the build, `unknown` from a source checkout (`fs_data_sink.build_info`). */
  commit: "fs_data_sink.commit",
  /** Source plugin type, e.g. `kafka`. */
  sourceType: "fs_data_sink.source.type",
  /** Sink plugin type, e.g. `s3`. */
  sinkType: "fs_data_sink.sink.type",
  /** The pipeline's stream name (Kafka `topic/partition`, Redis key). */
  stream: "fs_data_sink.stream",
  /** Kafka topic or Redis key. */
  topic: "messaging.destination.name",
  /** Kafka partition. */
  partition: "messaging.destination.partition.id",
  /** First position (offset, stream id) of a batch. */
  firstPosition: "fs_data_sink.position.first",
  /** Last position of a batch. */
  lastPosition: "fs_data_sink.position.last",
  /** Records in a batch or file. */
  recordCount: "fs_data_sink.record_count",
  /** Bytes of a file or batch. */
  bytes: "fs_data_sink.bytes",
  /** File path relative to the sink root. */
  filePath: "fs_data_sink.file.path",
  /** Why a batch was cut: size, bytes, age, memory, shutdown. */
  cutReason: "fs_data_sink.cut_reason",
  /** Kind of error counted by `fs_data_sink.errors`: decode, source, sink, ... */
  errorKind: "error.type",
} as const;

/**
 * Temporality per instrument: cumulative, except gauges, whose series are reported only when observed (so a revoked
 * partition's lag disappears instead of repeating its last value; OTLP gauges carry no temporality).
 */
export function temporalityFor(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE
    ? AggregationTemporality.DELTA
    : AggregationTemporality.CUMULATIVE;
}

/** Bucket bounds of `fs_data_sink.batch_duration`, seconds: from a fast local write to a slow multipart upload. */
export const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Typed metric calls of the pipeline. Call them per batch or per file, never per record. Building an attribute
 * object costs an allocation at the call site even when telemetry is off: guard expensive ones with
 * `telemetry.enabled`.
 */
export interface PipelineMetrics {
  /** One batch (a stream's cut) written and acknowledged: `fs_data_sink.batches_processed` += 1. */
  batchProcessed(attrs?: Attributes): void;
  /** `n` records written: `fs_data_sink.records_processed` += n. */
  recordsProcessed(n: number, attrs?: Attributes): void;
  /** `count` (default 1) errors of `kind` (decode, source, sink, ...): `fs_data_sink.errors` with `error.type`. */
  error(kind: string, attrs?: Attributes, count?: number): void;
  /** `n` bytes written to the sink: `fs_data_sink.bytes_written` += n. */
  bytesWritten(n: number, attrs?: Attributes): void;
  /** One file written: `fs_data_sink.files_written` += 1. */
  fileWritten(attrs?: Attributes): void;
  /**
   * Time to write and acknowledge one batch, seconds: the `fs_data_sink.batch_duration` histogram (unit `s`; on the
   * Prometheus endpoint `fs_data_sink_batch_duration_seconds`).
   */
  batchDuration(seconds: number, attrs?: Attributes): void;
  /** `n` records sent to the dead-letter folder: `fs_data_sink.records_dead_lettered` += n. */
  deadLettered(n: number, attrs?: Attributes): void;
  /**
   * Messages behind the end of `stream` (Kafka: high watermark - committed offset; Redis: entries not yet
   * read): the gauge `fs_data_sink.consumer_lag` reports the last value per stream at each collection.
   */
  setLag(stream: string, lag: number, attrs?: Attributes): void;
  /** Stops reporting lag for `stream` (partition revoked). */
  clearLag(stream: string): void;
  /**
   * Pulls the lags from `provider` (e.g. `Source.lag`) at each collection and health check, replacing the streams
   * it reported before; `setLag` values of other streams stay.
   */
  trackLag(provider: () => ReadonlyMap<string, number> | undefined): void;
  /** Sum of the last lags of all streams (0 when none set); used by the health check. */
  totalLag(): number;
}

function noop(): void {}

/** The facade used when metrics are off: every call does nothing. */
export const NOOP_METRICS: PipelineMetrics = Object.freeze({
  batchProcessed: noop,
  recordsProcessed: noop,
  error: noop,
  bytesWritten: noop,
  fileWritten: noop,
  batchDuration: noop,
  deadLettered: noop,
  setLag: noop,
  clearLag: noop,
  trackLag: noop,
  totalLag: () => 0,
});

/** Lag bookkeeping shared by the recording facade and the health check (works without a meter). */
export class LagTable {
  readonly #lags = new Map<string, { lag: number; attrs: Attributes }>();
  readonly #onChange?: () => void;
  #provider?: () => ReadonlyMap<string, number> | undefined;
  #provided = new Set<string>();
  /** `onChange` runs after every change (the health check's backlog). */
  constructor(onChange?: () => void) {
    this.#onChange = onChange;
  }
  set(stream: string, lag: number, attrs?: Attributes): void {
    this.#put(stream, lag, attrs);
    this.#onChange?.();
  }
  #put(stream: string, lag: number, attrs?: Attributes): void {
    const entry = this.#lags.get(stream);
    if (entry && attrs === undefined) entry.lag = lag;
    else this.#lags.set(stream, { lag, attrs: { [ATTR.stream]: stream, ...attrs } });
  }
  delete(stream: string): void {
    this.#lags.delete(stream);
    this.#onChange?.();
  }
  /** Pulls from `provider` at each {@linkcode LagTable.refresh}. */
  track(provider: () => ReadonlyMap<string, number> | undefined): void {
    this.#provider = provider;
  }
  /** Replaces the provider's streams with what it reports now; a provider that throws is ignored. */
  refresh(): void {
    if (!this.#provider) return;
    let current: ReadonlyMap<string, number> | undefined;
    try {
      current = this.#provider();
    } catch {
      return;
    }
    if (!current) return;
    for (const stream of this.#provided) if (!current.has(stream)) this.#lags.delete(stream);
    this.#provided = new Set(current.keys());
    for (const [stream, lag] of current) this.#put(stream, lag);
    this.#onChange?.();
  }
  total(): number {
    let sum = 0;
    for (const entry of this.#lags.values()) sum += entry.lag;
    return sum;
  }
  observe(result: ObservableResult): void {
    this.refresh();
    for (const entry of this.#lags.values()) result.observe(entry.lag, entry.attrs);
  }
}

/**
 * A monotonic counter summed in place and reported through an observable counter at each collection. On the wire
 * it is the same cumulative monotonic sum as an SDK counter, but `add` with an attribute object seen before costs
 * one WeakMap lookup instead of the SDK's per-call attribute hashing (tens of ns instead of about a µs; see
 * `tests/bench/telemetry_bench.ts`). An attribute object is read the first time it is passed: do not change it
 * afterwards, pass a new one.
 */
class LocalCounter {
  readonly #cells = new Map<string, { value: number; attrs: Attributes }>();
  readonly #seen = new WeakMap<Attributes, { value: number }>();
  #none = 0;
  #noneUsed = false;

  constructor(meter: Meter, name: string, options: { description: string; unit: string }) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      if (this.#noneUsed) result.observe(this.#none);
      for (const cell of this.#cells.values()) result.observe(cell.value, cell.attrs);
    });
  }

  add(n: number, attrs?: Attributes): void {
    if (attrs === undefined) {
      this.#none += n;
      this.#noneUsed = true;
      return;
    }
    let cell = this.#seen.get(attrs);
    if (cell === undefined) {
      const key = attributeKey(attrs);
      let shared = this.#cells.get(key);
      // A copy, so the exported series keeps its name whatever happens to the caller's object.
      if (shared === undefined) this.#cells.set(key, shared = { value: 0, attrs: { ...attrs } });
      this.#seen.set(attrs, shared);
      cell = shared;
    }
    cell.value += n;
  }
}

/** A string identifying an attribute set regardless of key order. */
function attributeKey(attrs: Attributes): string {
  let key = "";
  let count = 0;
  for (const k in attrs) {
    const value = attrs[k];
    key += k + "\u0000" + (typeof value === "object" ? JSON.stringify(value) : String(value)) + "\u0001";
    count++;
  }
  if (count < 2) return key;
  // Rare: several keys; sort the members so {a,b} and {b,a} are one series.
  return key.split("\u0001").sort().join("\u0001");
}

/** The facade recording into `meter`. */
export class MeterPipelineMetrics implements PipelineMetrics {
  readonly #batches: LocalCounter;
  readonly #records: LocalCounter;
  readonly #errors: LocalCounter;
  readonly #bytes: LocalCounter;
  readonly #files: LocalCounter;
  readonly #latency: Histogram;
  readonly #deadLettered: LocalCounter;
  readonly #lags: LagTable;

  constructor(
    meter: Meter,
    lags: LagTable = new LagTable(),
    build: { readonly version: string; readonly commit?: string } = { version: "unknown" },
  ) {
    this.#batches = new LocalCounter(meter, METRIC_NAMES.batchesProcessed, {
      description: "Batches written and acknowledged",
      unit: "{batch}",
    });
    this.#records = new LocalCounter(meter, METRIC_NAMES.recordsProcessed, {
      description: "Records written",
      unit: "{record}",
    });
    this.#errors = new LocalCounter(meter, METRIC_NAMES.errors, { description: "Errors by kind", unit: "{error}" });
    this.#bytes = new LocalCounter(meter, METRIC_NAMES.bytesWritten, {
      description: "Bytes written to the sink",
      unit: "By",
    });
    this.#files = new LocalCounter(meter, METRIC_NAMES.filesWritten, { description: "Files written", unit: "{file}" });
    this.#latency = meter.createHistogram(METRIC_NAMES.batchDuration, {
      description: "Time to encode, write and acknowledge one batch",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.#deadLettered = new LocalCounter(meter, METRIC_NAMES.recordsDeadLettered, {
      description: "Records written to the dead-letter folder",
      unit: "{record}",
    });
    this.#lags = lags;
    meter.createObservableGauge(METRIC_NAMES.consumerLag, {
      description: "Messages not yet consumed, per topic partition or stream",
      unit: "{message}",
    }).addCallback((result) => this.#lags.observe(result));
    const buildAttrs = { [ATTR.version]: build.version, [ATTR.commit]: build.commit || "unknown" };
    meter.createObservableGauge(METRIC_NAMES.buildInfo, {
      description: "Always 1; the version and commit of the running build are its attributes",
    }).addCallback((result) => result.observe(1, buildAttrs));
  }

  batchProcessed(attrs?: Attributes): void {
    this.#batches.add(1, attrs);
  }
  recordsProcessed(n: number, attrs?: Attributes): void {
    this.#records.add(n, attrs);
  }
  error(kind: string, attrs?: Attributes, count = 1): void {
    this.#errors.add(count, attrs ? { ...attrs, [ATTR.errorKind]: kind } : { [ATTR.errorKind]: kind });
  }
  bytesWritten(n: number, attrs?: Attributes): void {
    this.#bytes.add(n, attrs);
  }
  fileWritten(attrs?: Attributes): void {
    this.#files.add(1, attrs);
  }
  batchDuration(seconds: number, attrs?: Attributes): void {
    this.#latency.record(seconds, attrs);
  }
  deadLettered(n: number, attrs?: Attributes): void {
    this.#deadLettered.add(n, attrs);
  }
  setLag(stream: string, lag: number, attrs?: Attributes): void {
    this.#lags.set(stream, lag, attrs);
  }
  clearLag(stream: string): void {
    this.#lags.delete(stream);
  }
  trackLag(provider: () => ReadonlyMap<string, number> | undefined): void {
    this.#lags.track(provider);
  }
  totalLag(): number {
    return this.#lags.total();
  }
}
