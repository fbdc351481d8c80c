/**
 * Schema of the `telemetry` section (the seed's keys). Owned by the telemetry module; it may add keys.
 * @module
 */
import { z } from "zod";

/** Schema of the `telemetry` section. */
export const telemetrySectionSchema = z.object({
  log_level: z.string().default("INFO").describe("DEBUG, INFO, WARNING, ERROR or CRITICAL"),
  log_format: z.enum(["text", "json"]).default("text").describe("Log line format on stderr"),
  enabled: z.boolean().default(false).describe("Export traces and metrics over OTLP"),
  service_name: z.string().default("fs-data-sink").describe("OpenTelemetry service.name"),
  otlp_endpoint: z.string().optional().describe("OTLP base URL, e.g. http://localhost:4317"),
  trace_enabled: z.boolean().default(true).describe("Export traces when telemetry is enabled"),
  metrics_enabled: z.boolean().default(true).describe("Export metrics when telemetry is enabled"),
}).strict();

/** The validated `telemetry` section. */
export type TelemetrySection = z.infer<typeof telemetrySectionSchema>;
