/**
 * The global environment variables: those that are not tied to one source or sink plugin (plugins declare their own
 * in `env`). Includes the Redpanda collector's variables so its deployments keep working.
 * @module
 */
import type { EnvKind } from "../core/plugin.ts";

/** Sections of the configuration file, in the order they are printed. */
export const SECTIONS = ["source", "sink", "telemetry", "pipeline"] as const;
/** A top-level section name. */
export type SectionName = typeof SECTIONS[number];

/** Environment variable selecting `source.type`. */
export const ENV_SOURCE_TYPE = "SOURCE_TYPE";
/** Environment variable selecting `sink.type`. */
export const ENV_SINK_TYPE = "SINK_TYPE";
/** The collector's output folder: `sink.path`, used only when the sink type is `local`. */
export const ENV_OUTPUT_DIR = "OUTPUT_DIR";
/** Sink type that `OUTPUT_DIR` applies to. */
export const OUTPUT_DIR_SINK_TYPE = "local";

/** A global environment variable and the key it sets. */
export interface GlobalEnvVar {
  /** Variable name. */
  readonly env: string;
  /** Section and key path it sets. */
  readonly path: readonly [SectionName, ...string[]];
  /** How its text is parsed. */
  readonly kind: EnvKind;
  /** One line for `--help`. */
  readonly summary: string;
  /** Only applies when the merged `sink.type` is this. */
  readonly sinkType?: string;
}

/** Every global variable, in the order `--help` lists them. */
export const GLOBAL_ENV_VARS: readonly GlobalEnvVar[] = [
  { env: ENV_SOURCE_TYPE, path: ["source", "type"], kind: "string", summary: "source.type" },
  { env: ENV_SINK_TYPE, path: ["sink", "type"], kind: "string", summary: "sink.type" },
  { env: "LOG_LEVEL", path: ["telemetry", "log_level"], kind: "string", summary: "telemetry.log_level" },
  { env: "LOG_FORMAT", path: ["telemetry", "log_format"], kind: "string", summary: "telemetry.log_format" },
  { env: "OTEL_ENABLED", path: ["telemetry", "enabled"], kind: "bool", summary: "telemetry.enabled" },
  { env: "OTEL_SERVICE_NAME", path: ["telemetry", "service_name"], kind: "string", summary: "telemetry.service_name" },
  {
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    path: ["telemetry", "otlp_endpoint"],
    kind: "string",
    summary: "telemetry.otlp_endpoint",
  },
  { env: "MAX_BATCHES", path: ["pipeline", "max_batches"], kind: "int", summary: "pipeline.max_batches" },
  { env: "MAX_MESSAGES", path: ["pipeline", "max_messages"], kind: "int", summary: "pipeline.max_messages" },
  { env: "ERROR_HANDLING", path: ["pipeline", "error_handling"], kind: "string", summary: "pipeline.error_handling" },
  { env: "BATCH_SIZE", path: ["source", "batch_size"], kind: "int", summary: "source.batch_size" },
  { env: "PARQUET_COMPRESSION", path: ["sink", "compression"], kind: "string", summary: "sink.compression" },
  { env: "COMPRESSION_LEVEL", path: ["sink", "compression_level"], kind: "int", summary: "sink.compression_level" },
  { env: "ROW_GROUP_SIZE", path: ["sink", "row_group_size"], kind: "int", summary: "sink.row_group_size" },
  { env: "SINK_TABLE_FORMAT", path: ["sink", "table_format"], kind: "string", summary: "sink.table_format" },
  { env: "SINK_TABLE", path: ["sink", "table"], kind: "string", summary: "sink.table" },
  { env: "SINK_CATALOG", path: ["sink", "catalog"], kind: "string", summary: "sink.catalog" },
  { env: "SINK_CATALOG_URI", path: ["sink", "catalog_uri"], kind: "string", summary: "sink.catalog_uri" },
  {
    env: "SINK_CATALOG_WAREHOUSE",
    path: ["sink", "catalog_warehouse"],
    kind: "string",
    summary: "sink.catalog_warehouse",
  },
  {
    env: "SINK_CATALOG_NAMESPACE",
    path: ["sink", "catalog_namespace"],
    kind: "string",
    summary: "sink.catalog_namespace",
  },
  { env: "SINK_CATALOG_TOKEN", path: ["sink", "catalog_token"], kind: "string", summary: "sink.catalog_token" },
  {
    env: "SINK_CATALOG_CREDENTIAL",
    path: ["sink", "catalog_credential"],
    kind: "string",
    summary: "sink.catalog_credential",
  },
  {
    env: ENV_OUTPUT_DIR,
    path: ["sink", "path"],
    kind: "string",
    summary: "sink.path when sink.type is local",
    sinkType: OUTPUT_DIR_SINK_TYPE,
  },
];

/** Variables of the Redpanda collector that are accepted but no longer do anything, with the reason. */
export const OBSOLETE_ENV_VARS: Readonly<Record<string, string>> = {
  SKIP_EXISTING_CHECK: "files are never rewritten (each batch is a new part file) and runs resume from committed " +
    "positions, so the existing-file check is no longer needed; use --until-caught-up for incremental one-shot runs",
  MAX_WORKERS: "all assigned partitions and streams are read concurrently by one process; scale out by running " +
    "more instances with the same consumer group",
};
