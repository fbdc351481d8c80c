/**
 * Schema of the `telemetry` section (the seed's keys plus export, health and Prometheus options). Owned by the
 * telemetry module. The config helper maps LOG_LEVEL, LOG_FORMAT, OTEL_ENABLED, OTEL_SERVICE_NAME and
 * OTEL_EXPORTER_OTLP_ENDPOINT onto it; the other standard `OTEL_*` variables (protocol, headers, compression,
 * certificates, timeout, insecure, each also per signal) are read by telemetry setup (see `otlp_settings.ts`).
 * @module
 */
import { z } from "zod";

/** OTLP transports, named as in OTEL_EXPORTER_OTLP_PROTOCOL. */
export const OTLP_PROTOCOLS = ["grpc", "http/protobuf", "http/json"] as const;
/** An OTLP transport. */
export type OtlpProtocol = typeof OTLP_PROTOCOLS[number];
/** Compressions of an export request body, named as in OTEL_EXPORTER_OTLP_COMPRESSION. */
export const OTLP_COMPRESSIONS = ["gzip", "none"] as const;
/** A compression of an export request body. */
export type OtlpCompression = typeof OTLP_COMPRESSIONS[number];

const port = z.number().int().min(0).max(65535);

/** Schema of the `telemetry` section. */
export const telemetrySectionSchema = z.object({
  log_level: z.string().default("INFO").describe("DEBUG, INFO, WARNING, ERROR or CRITICAL"),
  log_format: z.enum(["text", "json"]).default("text").describe("Log line format on stderr"),
  enabled: z.boolean().default(false).describe("Export traces and metrics over OTLP"),
  service_name: z.string().default("fs-data-sink").describe("OpenTelemetry service.name"),
  otlp_endpoint: z.string().optional().describe(
    "OTLP base URL, e.g. http://localhost:4317; /v1/traces and /v1/metrics are appended for HTTP",
  ),
  otlp_protocol: z.enum(OTLP_PROTOCOLS).optional().describe(
    "grpc, http/protobuf or http/json (OTEL_EXPORTER_OTLP_PROTOCOL); default: grpc when the endpoint's port is " +
      "4317, else http/protobuf",
  ),
  otlp_headers: z.record(z.string(), z.string()).optional().describe(
    "Extra headers (gRPC metadata) sent with every export, e.g. an API key; merged over OTEL_EXPORTER_OTLP_HEADERS",
  ),
  otlp_compression: z.enum(OTLP_COMPRESSIONS).optional().describe(
    "gzip or none (OTEL_EXPORTER_OTLP_COMPRESSION): compress each export request (gRPC: grpc-encoding gzip); " +
      "default none",
  ),
  otlp_certificate: z.string().min(1).optional().describe(
    "PEM file of the CA certificates that sign the collector's TLS certificate, trusted besides the default roots " +
      "(OTEL_EXPORTER_OTLP_CERTIFICATE)",
  ),
  otlp_client_certificate: z.string().min(1).optional().describe(
    "PEM file of the client certificate chain presented to a collector that asks for one (mutual TLS); needs " +
      "otlp_client_key (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE)",
  ),
  otlp_client_key: z.string().min(1).optional().describe(
    "PEM file of the client certificate's private key (OTEL_EXPORTER_OTLP_CLIENT_KEY)",
  ),
  otlp_insecure: z.boolean().optional().describe(
    "gRPC endpoint written without http:// or https://: true speaks plaintext, false TLS " +
      "(OTEL_EXPORTER_OTLP_INSECURE); default false",
  ),
  resource_attributes: z.record(z.string(), z.string()).optional().describe(
    "Extra resource attributes, merged over OTEL_RESOURCE_ATTRIBUTES",
  ),
  trace_enabled: z.boolean().default(true).describe("Export traces when telemetry is enabled"),
  metrics_enabled: z.boolean().default(true).describe("Export metrics when telemetry is enabled"),
  metrics_export_interval_seconds: z.number().positive().optional().describe(
    "Seconds between OTLP metric exports (OTEL_METRIC_EXPORT_INTERVAL in ms); default 60",
  ),
  export_timeout_seconds: z.number().positive().optional().describe(
    "Timeout of one OTLP export request (OTEL_EXPORTER_OTLP_TIMEOUT in ms); default 10",
  ),
  shutdown_timeout_seconds: z.number().positive().default(5).describe(
    "At exit, the last traces and metrics are flushed for at most this long, then dropped",
  ),
  bind_address: z.string().min(1).default("127.0.0.1").describe(
    "Address the health and Prometheus servers listen on (0.0.0.0 inside a container)",
  ),
  health_port: port.optional().describe("Serve /healthz and /readyz on this port; unset: no health server"),
  stall_timeout_seconds: z.number().positive().default(300).describe(
    "/healthz answers 503 when the pipeline had data but made no progress for this long",
  ),
  prometheus_port: port.optional().describe(
    "Serve Prometheus metrics on /metrics at this port (independent of `enabled`); unset: off",
  ),
}).strict();

/** The validated `telemetry` section. */
export type TelemetrySection = z.infer<typeof telemetrySectionSchema>;
