/**
 * OTLP span and metric exporters: encode with `@opentelemetry/otlp-transformer` (JSON or protobuf), deliver with
 * the transport of `_otlp_transport.ts`. A failed export is reported through `onError` and dropped; it never
 * throws into the pipeline.
 * @module
 */
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import type {
  AggregationTemporality,
  InstrumentType,
  PushMetricExporter,
  ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { createSender, type OtlpSender } from "./_otlp_transport.ts";
import type { TlsMaterial } from "./_otlp_tls.ts";
import { temporalityFor } from "./metrics.ts";
import type { Signal, SignalExport } from "./otlp_settings.ts";

/** Outcome of each export, for logging: `error` is undefined on success. */
export type ExportListener = (signal: Signal, error: Error | undefined) => void;

/** Options of the OTLP exporters. */
export interface OtlpExporterOptions {
  /** Called after every export; default: nothing. */
  readonly onResult?: ExportListener;
  /** Replaces the network transport (tests of pure logic). Default: HTTP or gRPC per `target.protocol`. */
  readonly sender?: OtlpSender;
  /** The PEM texts of `target.tls` (see `readTlsFiles`); default none: the default roots, no client certificate. */
  readonly tls?: TlsMaterial;
}

/** Shared plumbing: encoding, in-flight tracking, result reporting. */
class OtlpExporterBase<T> {
  readonly #signal: Signal;
  readonly #sender: OtlpSender;
  readonly #serialize: (items: T) => Uint8Array | undefined;
  readonly #onResult: ExportListener;
  readonly #inFlight = new Set<Promise<void>>();
  #shutdown = false;

  constructor(
    signal: Signal,
    target: SignalExport,
    serialize: (items: T) => Uint8Array | undefined,
    options: OtlpExporterOptions,
  ) {
    this.#signal = signal;
    this.#sender = options.sender ?? createSender(signal, target, options.tls);
    this.#serialize = serialize;
    this.#onResult = options.onResult ?? (() => {});
  }

  exportItems(items: T, resultCallback: (result: ExportResult) => void): void {
    if (this.#shutdown) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error("Cannot export: exporter is shut down") });
      return;
    }
    let body: Uint8Array | undefined;
    try {
      body = this.#serialize(items);
    } catch (cause) {
      const error = new Error(`Cannot encode OTLP ${this.#signal}: ${String(cause)}`, { cause });
      try {
        this.#onResult(this.#signal, error);
      } catch {
        // Reporting is best effort.
      }
      resultCallback({ code: ExportResultCode.FAILED, error });
      return;
    }
    if (!body) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    // Neither the listener (a log line to a closed stderr) nor the SDK's callback may turn into an unhandled
    // rejection: that would end the process, and telemetry must never stop the pipeline.
    const done = this.#sender.send(body).then(() => undefined, (error: Error) => error).then((error) => {
      try {
        this.#onResult(this.#signal, error);
      } finally {
        resultCallback(error ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS });
      }
    }).catch(() => {});
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done));
  }

  /** Waits for the requests in flight (each bounded by its own timeout). */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  /** Waits for the requests in flight, then closes the connections. */
  async shutdown(): Promise<void> {
    this.#shutdown = true;
    await this.forceFlush();
    this.#sender.close();
  }

  /** Cancels requests in flight and closes the connections at once. */
  abort(): void {
    this.#shutdown = true;
    this.#sender.close();
  }
}

/** What both exporters share: exporting through one {@linkcode OtlpExporterBase}, flushing, shutting down. */
abstract class DelegatingExporter<T> {
  readonly #base: OtlpExporterBase<T>;
  constructor(base: OtlpExporterBase<T>) {
    this.#base = base;
  }
  export(items: T, resultCallback: (result: ExportResult) => void): void {
    this.#base.exportItems(items, resultCallback);
  }
  forceFlush(): Promise<void> {
    return this.#base.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.#base.shutdown();
  }
  /** Cancels requests in flight and closes the connections at once (shutdown past its timeout). */
  abort(): void {
    this.#base.abort();
  }
}

/** Exports spans over OTLP (HTTP JSON, HTTP protobuf or gRPC). */
export class OtlpSpanExporter extends DelegatingExporter<ReadableSpan[]> implements SpanExporter {
  constructor(target: SignalExport, options: OtlpExporterOptions = {}) {
    const serializer = target.protocol === "http/json" ? JsonTraceSerializer : ProtobufTraceSerializer;
    super(new OtlpExporterBase("traces", target, (spans) => serializer.serializeRequest(spans), options));
  }
}

/** Exports metrics over OTLP (HTTP JSON, HTTP protobuf or gRPC): cumulative sums and histograms. */
export class OtlpMetricExporter extends DelegatingExporter<ResourceMetrics> implements PushMetricExporter {
  readonly selectAggregationTemporality: (type: InstrumentType) => AggregationTemporality = temporalityFor;
  constructor(target: SignalExport, options: OtlpExporterOptions = {}) {
    const serializer = target.protocol === "http/json" ? JsonMetricsSerializer : ProtobufMetricsSerializer;
    super(new OtlpExporterBase("metrics", target, (metrics) => serializer.serializeRequest(metrics), options));
  }
}
