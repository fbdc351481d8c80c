/**
 * Telemetry for the pipeline and the plugins: traces and metrics exported over OTLP (gRPC, HTTP protobuf or HTTP
 * JSON), an optional Prometheus scrape endpoint, an optional health endpoint, and trace ids in log lines.
 *
 * Wiring (the pipeline owns the calls; everything here is safe to call when telemetry is off):
 *
 * ```ts
 * const telemetry = await startTelemetry(config.telemetry);
 * try {
 *   await telemetry.withSpan(SPAN.pipelineRun, { [ATTR.sourceType]: "kafka", [ATTR.sinkType]: "s3" }, async () => {
 *     await telemetry.withSpan(SPAN.sourceConnect, undefined, () => source.connect());
 *     await telemetry.withSpan(SPAN.sinkConnect, undefined, () => sink.connect());
 *     telemetry.health.markReady();
 *     // per read:   withSpan(SPAN.sourceReadBatch, ...); health.heartbeat(); health.setPending(buffered)
 *     // per cut:    withSpan(SPAN.batch, { [ATTR.stream]: s, [ATTR.firstPosition]: a, [ATTR.lastPosition]: b }, ...)
 *     //   inside:   withSpan(SPAN.sinkWriteBatch, { [ATTR.filePath]: p, [ATTR.bytes]: n }, ...)
 *     //   after ack: metrics.batchProcessed(), recordsProcessed(n), bytesWritten(b), fileWritten(), batchDuration(s)
 *     // lag:        metrics.setLag("orders/3", lag) (also feeds the health check)
 *     telemetry.health.markNotReady();
 *   });
 * } finally {
 *   await telemetry.shutdown(); // flushes for at most shutdown_timeout_seconds; never throws
 * }
 * ```
 *
 * A collector that is down never stops or slows the pipeline: spans are queued (bounded, dropped when full),
 * exports fail in the background and are logged at most once a minute per signal, and shutdown gives up after its
 * timeout.
 *
 * Export settings (see `otlp_settings.ts`): `otlp_endpoint` is a base URL (`/v1/traces`, `/v1/metrics` appended
 * for HTTP); the protocol is `otlp_protocol` or OTEL_EXPORTER_OTLP_PROTOCOL, else gRPC for port 4317 (the seed's
 * example) and http/protobuf otherwise. Also honoured: OTEL_EXPORTER_OTLP_{TRACES_,METRICS_}{ENDPOINT,PROTOCOL,
 * HEADERS,COMPRESSION,CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY,TIMEOUT,INSECURE} (and their `otlp_*` keys),
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_METRIC_EXPORT_INTERVAL, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none,
 * OTEL_METRICS_EXPORTER=none, and the SDK's own OTEL_BSP_* and OTEL_TRACES_SAMPLER. Certificate files are read at
 * start; one that cannot be read is a `ConfigError` naming the setting and the file.
 *
 * gRPC is a unary call over `node:http2` written here (Deno implements `node:http2`; its `fetch` cannot speak
 * gRPC). The official exporters (`@opentelemetry/exporter-*-otlp-grpc` via `@grpc/grpc-js`, `-otlp-proto` via
 * `node:https`) work under Deno 2.9 too, TLS, client certificates and gzip included, but measured never cheaper per
 * export (`tests/bench/otlp_export_bench.ts`: equal within noise for 512-span gRPC batches, 15-40% more CPU for
 * small gRPC batches, up to 6x for HTTP over TLS), cannot reach a TLS endpoint written as an IP address (Deno
 * refuses the IP as TLS server name that grpc-js passes) and would add grpc-js and its protobuf loader.
 *
 * Logs: while tracing, every log line written inside a span carries `trace_id` and `span_id`.
 * @module
 */
import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Span,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import denoJson from "../../deno.json" with { type: "json" };
import { installContextManager } from "./_context.ts";
import { readTlsFiles, type TlsMaterial } from "./_otlp_tls.ts";
import type { TelemetrySection } from "./config.ts";
import { healthResponse, HealthState } from "./health.ts";
import { configureLogging, type Logger, parseLogLevel, rootLogger } from "./log.ts";
import { LagTable, MeterPipelineMetrics, NOOP_METRICS, type PipelineMetrics } from "./metrics.ts";
import { OtlpMetricExporter, OtlpSpanExporter } from "./otlp_exporters.ts";
import { type Env, type ExportSettings, resolveExportSettings, type Signal } from "./otlp_settings.ts";
import { PrometheusReader, prometheusResponse } from "./prometheus.ts";

export { ATTR, DURATION_BUCKETS_S, METRIC_NAMES, NOOP_METRICS, type PipelineMetrics } from "./metrics.ts";
export { HealthState, type HealthStatus } from "./health.ts";
export { type TelemetrySection, telemetrySectionSchema } from "./config.ts";

/** Span names: the seed's pipeline, batch, source and sink operations. */
export const SPAN = {
  pipelineRun: "pipeline.run",
  batch: "batch",
  sourceConnect: "source.connect",
  sourceReadBatch: "source.read_batch",
  sourceClose: "source.close",
  sinkConnect: "sink.connect",
  sinkWriteBatch: "sink.write_batch",
  sinkFlush: "sink.flush",
  sinkClose: "sink.close",
} as const;

/** A span name of {@linkcode SPAN}, or another name for spans the plugins add. */
export type SpanName = typeof SPAN[keyof typeof SPAN] | (string & Record<never, never>);

/** A listening server's address. */
export interface ServerAddress {
  readonly hostname: string;
  readonly port: number;
}

/** The running telemetry of one process run. */
export interface Telemetry {
  /** True when spans or metrics are recorded (OTLP or Prometheus); guard costly attribute building with it. */
  readonly enabled: boolean;
  /** True when spans are recorded and exported. */
  readonly tracing: boolean;
  /** OpenTelemetry tracer for spans the facade does not cover; a no-op tracer when tracing is off. */
  readonly tracer: Tracer;
  /** Typed metric calls; a shared no-op object when metrics are off. */
  readonly metrics: PipelineMetrics;
  /** Readiness and progress for `/healthz` and `/readyz` (kept even without a health server). */
  readonly health: HealthState;
  /** Where the health server listens, when `health_port` is set. */
  readonly healthAddress?: ServerAddress;
  /** Where the Prometheus endpoint listens, when `prometheus_port` is set. */
  readonly prometheusAddress?: ServerAddress;
  /**
   * Runs `fn` inside a span named `name` (a child of the active span) and ends the span when `fn` returns or its
   * promise settles; an error sets the span's status to ERROR, is recorded on it and is rethrown unchanged.
   * When tracing is off, `fn` is called directly with a shared non-recording span.
   */
  withSpan<T>(name: SpanName, attrs: Attributes | undefined, fn: (span: Span) => T): T;
  /** Exports what is buffered now; resolves within the export timeout, never rejects. */
  forceFlush(): Promise<void>;
  /**
   * Flushes spans and metrics for at most `shutdown_timeout_seconds`, then drops the rest, closes connections
   * and servers. Never rejects and never hangs on a collector that is down. Safe to call twice.
   */
  shutdown(): Promise<void>;
}

/** Options of {@linkcode startTelemetry}. */
export interface StartTelemetryOptions {
  /** Environment to read `OTEL_*` variables from. Default: the process environment (empty without permission). */
  readonly env?: Env;
  /** Clock of the health check, ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Apply the section's `log_level` and `log_format` to every logger. Default true. */
  readonly configureLogging?: boolean;
  /** Logger for telemetry's own messages. Default `fs_data_sink.telemetry`. */
  readonly logger?: Logger;
  /** Commit id of the build for the `fs_data_sink.build_info` gauge; default: unknown (a source checkout). */
  readonly commit?: string;
}

const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const SCOPE_NAME = "fs-data-sink";
const EXPORT_WARNING_INTERVAL_MS = 60_000;

/**
 * Starts telemetry as the section says: tracer and meter providers with OTLP exporters when `enabled`, the
 * Prometheus and health servers when their ports are set, trace ids in log lines when tracing. Throws
 * `ConfigError` for a malformed endpoint, protocol or compression and for a certificate file that cannot be read,
 * and an `Error` naming the address when a port cannot be bound; the collector is not contacted here.
 */
export async function startTelemetry(
  section: TelemetrySection,
  options: StartTelemetryOptions = {},
): Promise<Telemetry> {
  const logger = options.logger ?? rootLogger.child("telemetry");
  if (options.configureLogging ?? true) applyLogSettings(section, logger);
  const settings = resolveExportSettings(section, options.env ?? processEnv());
  for (const warning of settings.warnings) logger.warn({}, warning);
  const tls = {
    traces: settings.traces && await readTlsFiles(settings.traces.tls),
    metrics: settings.metrics && await readTlsFiles(settings.metrics.tls),
  };
  const running = new RunningTelemetry(section, settings, tls, logger, options);
  try {
    await running.start();
  } catch (error) {
    await running.shutdown();
    throw error;
  }
  return running;
}

/** Applies `log_level` and `log_format`; an unknown level is reported and INFO is kept. */
export function applyLogSettings(section: TelemetrySection, logger: Logger = rootLogger): void {
  const level = parseLogLevel(section.log_level);
  configureLogging({ level: level ?? "INFO", format: section.log_format });
  if (!level) logger.warn({ log_level: section.log_level }, "Unknown log level, using INFO");
}

class RunningTelemetry implements Telemetry {
  readonly enabled: boolean;
  readonly tracing: boolean;
  readonly tracer: Tracer;
  readonly metrics: PipelineMetrics;
  readonly health: HealthState;
  healthAddress?: ServerAddress;
  prometheusAddress?: ServerAddress;

  readonly #section: TelemetrySection;
  readonly #settings: ExportSettings;
  readonly #logger: Logger;
  readonly #tracerProvider?: BasicTracerProvider;
  readonly #meterProvider?: MeterProvider;
  readonly #prometheus?: PrometheusReader;
  readonly #exporters: { abort(): void }[] = [];
  readonly #lags: LagTable;
  readonly #servers: Deno.HttpServer[] = [];
  readonly #exportState = new Map<Signal, { failing: boolean; lastWarning: number }>();
  #shutdown?: Promise<void>;
  #closed = false;

  constructor(
    section: TelemetrySection,
    settings: ExportSettings,
    tls: Readonly<Record<Signal, TlsMaterial | undefined>>,
    logger: Logger,
    { now, commit }: StartTelemetryOptions,
  ) {
    this.#section = section;
    this.#settings = settings;
    this.#logger = logger;
    this.health = new HealthState({ stallTimeoutMs: section.stall_timeout_seconds * 1000, now });
    const resource = defaultResource().merge(resourceFromAttributes({
      "service.version": denoJson.version,
      "process.runtime.name": "deno",
      "process.runtime.version": Deno.version.deno,
      "process.pid": Deno.pid,
      ...settings.resourceAttributes,
    }));
    const onResult = (signal: Signal, error: Error | undefined) => this.#onExportResult(signal, error);

    if (settings.traces) {
      const exporter = new OtlpSpanExporter(settings.traces, { onResult, tls: tls.traces });
      this.#exporters.push(exporter);
      this.#tracerProvider = new BasicTracerProvider({
        resource,
        spanProcessors: [
          new BatchSpanProcessor(exporter, {
            exportTimeoutMillis: settings.traces.timeoutMs,
            maxQueueSize: 2048,
            maxExportBatchSize: 512,
            scheduledDelayMillis: 5000,
          }),
        ],
      });
      installContextManager();
    }
    this.tracing = this.#tracerProvider !== undefined;
    this.tracer = this.#tracerProvider?.getTracer(SCOPE_NAME, denoJson.version) ?? trace.getTracer(SCOPE_NAME);

    const readers: MetricReader[] = [];
    if (settings.metrics) {
      const exporter = new OtlpMetricExporter(settings.metrics, { onResult, tls: tls.metrics });
      this.#exporters.push(exporter);
      readers.push(
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: settings.metricIntervalMs,
          exportTimeoutMillis: Math.min(settings.metrics.timeoutMs, settings.metricIntervalMs),
        }),
      );
    }
    if (section.prometheus_port !== undefined) {
      this.#prometheus = new PrometheusReader();
      readers.push(this.#prometheus);
    }
    const lags = new LagTable(() => this.health.setBacklog(lags.total()));
    this.#lags = lags;
    if (readers.length > 0) {
      this.#meterProvider = new MeterProvider({ resource, readers });
      this.metrics = new MeterPipelineMetrics(this.#meterProvider.getMeter(SCOPE_NAME, denoJson.version), lags, {
        version: denoJson.version,
        commit,
      });
    } else {
      this.metrics = section.health_port !== undefined ? lagOnlyMetrics(lags) : NOOP_METRICS;
    }
    this.enabled = this.tracing || this.#meterProvider !== undefined;
  }

  /** Binds the servers and hooks the trace ids into log lines. */
  start(): Promise<void> {
    const section = this.#section;
    const hostname = section.bind_address;
    if (section.health_port !== undefined) {
      const samePort = section.prometheus_port === section.health_port;
      this.healthAddress = this.#serve(hostname, section.health_port, samePort ? "health and metrics" : "health");
      if (samePort) this.prometheusAddress = this.healthAddress;
    }
    if (section.prometheus_port !== undefined && this.prometheusAddress === undefined) {
      this.prometheusAddress = this.#serve(hostname, section.prometheus_port, "metrics");
    }
    if (this.tracing) configureLogging({ context: traceContextFields });
    if (this.enabled) {
      const { traces, metrics } = this.#settings;
      this.#logger.info({
        ...(traces ? { traces: traces.url, traces_protocol: traces.protocol } : {}),
        ...(metrics ? { metrics: metrics.url, metrics_protocol: metrics.protocol } : {}),
        ...(traces?.compression === "gzip" || metrics?.compression === "gzip" ? { compression: "gzip" } : {}),
        ...(this.prometheusAddress
          ? { prometheus: `${this.prometheusAddress.hostname}:${this.prometheusAddress.port}` }
          : {}),
      }, "Telemetry started");
    }
    return Promise.resolve();
  }

  #serve(hostname: string, port: number, what: string): ServerAddress {
    const prometheus = this.#prometheus;
    const serveMetrics = what !== "health";
    const serveHealth = what !== "metrics";
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({ hostname, port, onListen: () => {} }, async (request) => {
        const path = new URL(request.url).pathname;
        if (request.method !== "GET" && request.method !== "HEAD") {
          return new Response("Method not allowed\n", { status: 405 });
        }
        if (serveHealth) this.#lags.refresh();
        const response = (serveHealth ? healthResponse(this.health, path) : undefined) ??
          (serveMetrics && prometheus ? await prometheusResponse(prometheus, path) : undefined);
        return response ?? new Response("Not found\n", { status: 404 });
      });
    } catch (cause) {
      throw new Error(`Cannot serve the ${what} endpoint on ${hostname}:${port}: ${String(cause)}`, { cause });
    }
    this.#servers.push(server);
    this.#logger.info({ address: `${server.addr.hostname}:${server.addr.port}` }, `Serving ${what} endpoint`);
    return { hostname: server.addr.hostname, port: server.addr.port };
  }

  withSpan<T>(name: SpanName, attrs: Attributes | undefined, fn: (span: Span) => T): T {
    if (!this.#tracerProvider) return fn(NOOP_SPAN);
    return this.tracer.startActiveSpan(name, { attributes: attrs }, (span) => runInSpan(span, fn));
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([this.#tracerProvider?.forceFlush(), this.#meterProvider?.forceFlush()]);
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    this.health.markNotReady();
    const flushed = Promise.allSettled([this.#tracerProvider?.shutdown(), this.#meterProvider?.shutdown()]);
    const timeoutMs = this.#section.shutdown_timeout_seconds * 1000;
    if (!await settlesWithin(flushed, timeoutMs)) {
      this.#logger.warn({ timeout_ms: timeoutMs }, "Telemetry flush timed out at shutdown; dropping the rest");
    }
    // The exports cancelled now were already reported by the warning above.
    this.#closed = true;
    for (const exporter of this.#exporters) exporter.abort();
    if (this.tracing) configureLogging({ context: null });
    await settlesWithin(Promise.allSettled(this.#servers.map((server) => server.shutdown())), timeoutMs);
  }

  #onExportResult(signal: Signal, error: Error | undefined): void {
    if (this.#closed) return;
    const state = this.#exportState.get(signal) ?? { failing: false, lastWarning: 0 };
    this.#exportState.set(signal, state);
    if (!error) {
      if (state.failing) this.#logger.info({ signal }, "Telemetry export recovered");
      state.failing = false;
      return;
    }
    const now = Date.now();
    if (!state.failing || now - state.lastWarning >= EXPORT_WARNING_INTERVAL_MS) {
      this.#logger.warn({ signal, error: error.message }, "Cannot export telemetry; dropping it and carrying on");
      state.lastWarning = now;
    }
    state.failing = true;
  }
}

/** Ends `span` after `fn`, synchronously or when its promise settles, recording an error. */
function runInSpan<T>(span: Span, fn: (span: Span) => T): T {
  let result: T;
  try {
    result = fn(span);
  } catch (error) {
    failSpan(span, error);
    throw error;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failSpan(span, error);
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function failSpan(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** `trace_id` and `span_id` of the active span, for log lines. */
function traceContextFields(): Record<string, string> | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const context = span.spanContext();
  return isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : undefined;
}

/** Metrics off but health on: only the lags are kept, for the stall check. */
function lagOnlyMetrics(lags: LagTable): PipelineMetrics {
  return {
    ...NOOP_METRICS,
    setLag: (stream, lag, attrs) => lags.set(stream, lag, attrs),
    clearLag: (stream) => lags.delete(stream),
    trackLag: (provider) => lags.track(provider),
    totalLag: () => lags.total(),
  };
}

/** True when `promise` settled within `ms`; the timer is cleared either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function processEnv(): Env {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/**
 * Starts telemetry, runs `fn` with it, and shuts telemetry down afterwards (bounded by
 * `shutdown_timeout_seconds`), whether `fn` resolved or threw. Errors of `fn` pass through unchanged.
 */
export async function withTelemetry<T>(
  section: TelemetrySection,
  fn: (telemetry: Telemetry) => Promise<T>,
  options: StartTelemetryOptions = {},
): Promise<T> {
  const telemetry = await startTelemetry(section, options);
  try {
    return await fn(telemetry);
  } finally {
    await telemetry.shutdown();
  }
}
