/**
 * What a source or sink plugin declares: its `type` name, its config schema (with docs and defaults), the
 * environment variables that fill its keys, which keys are secret, and its factory. Validation is pure (the schema
 * and `validate` touch no network or disk); `create` and then `connect` do the I/O.
 * @module
 */
import { z } from "zod";
import type { CheckContext, CheckResult } from "./check.ts";
import type { Logger } from "./logger.ts";
import type { Peek, PeekContext } from "./peek.ts";
import type { OwnPaths, Sink } from "./sink.ts";
import type { Source, SourceContext } from "./source.ts";

/** How an environment variable's text becomes a config value. */
export type EnvKind = "string" | "int" | "number" | "bool" | "list" | "json";

/** An environment variable that sets one key of a section, e.g. `KAFKA_TOPICS` -> `source.topics` as a list. */
export interface EnvBinding {
  /** Variable name, e.g. `KAFKA_TOPICS`. */
  readonly env: string;
  /** Key path inside the section, dotted for nested keys, e.g. `topics` or `sasl.password`. */
  readonly key: string;
  /** How to parse the text: `list` splits on commas, `bool` takes true/false/1/0/yes/no. */
  readonly kind: EnvKind;
}

/**
 * A cross-field problem found by a plugin's pure `validate` (in its `config.ts`), reported through the schema's
 * `superRefine` so that it joins every other configuration problem in one report.
 */
export interface ConfigIssue {
  /** Key path inside the section, e.g. `["sasl", "password"]`. */
  readonly path: readonly (string | number)[];
  /** What is wrong, in the project's words. */
  readonly message: string;
}

/**
 * The `superRefine` callback that reports a plugin's pure `validate` issues as schema issues:
 * `schema.superRefine(reportIssues(validate))`.
 */
export function reportIssues<T>(
  validate: (config: T) => readonly ConfigIssue[],
): (config: T, ctx: z.RefinementCtx) => void {
  return (config, ctx) => {
    for (const issue of validate(config)) {
      ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
    }
  };
}

/** Payload encodings a source can be told to expect. `auto` tries MessagePack, then JSON, per message. */
export const VALUE_FORMATS = ["json", "msgpack", "arrow_ipc", "auto"] as const;
/** A payload encoding. */
export type ValueFormat = typeof VALUE_FORMATS[number];

/** Parquet compression codecs. */
export const COMPRESSIONS = ["snappy", "gzip", "brotli", "zstd", "lz4", "none"] as const;
/** A Parquet compression codec. */
export type Compression = typeof COMPRESSIONS[number];

/** Parquet dictionary encoding: `off` (plain), `auto` (per column, from a sample of its values) or `on` (all). */
export const PARQUET_DICTIONARY = ["off", "auto", "on"] as const;
/** A Parquet dictionary encoding choice. */
export type ParquetDictionary = typeof PARQUET_DICTIONARY[number];

/**
 * How a run shows its progress: `auto` draws bars when stderr is a terminal and writes log lines otherwise; `bars` and
 * `log` force one of them; `off` shows nothing.
 */
export const PROGRESS_MODES = ["auto", "bars", "log", "off"] as const;
/** A progress display mode. */
export type ProgressMode = typeof PROGRESS_MODES[number];
/** Default of `progress_interval_seconds`. */
export const DEFAULT_PROGRESS_INTERVAL_SECONDS = 10;

/** Keys every source section accepts, besides `type`. Spread into a plugin's `z.object({...})`. */
export const commonSourceFields = {
  /** How payloads are decoded. */
  value_format: z.enum(VALUE_FORMATS).default("json").describe("Payload encoding: json, msgpack, arrow_ipc or auto"),
  /** Records per file at most (a file is cut when a stream reaches it). */
  batch_size: z.number().int().positive().default(1000).describe("Records per output file at most"),
  /** How progress is shown (per Kafka topic, Redis key or file). */
  progress: z.enum(PROGRESS_MODES).default("auto").describe(
    "Progress per topic, key or file: bars on a terminal (done/total, %, ETA one-shot; rate, lag continuous), " +
      "log lines otherwise (auto); or bars, log, off",
  ),
  /** Seconds between two progress log lines (log mode). */
  progress_interval_seconds: z.number().positive().default(DEFAULT_PROGRESS_INTERVAL_SECONDS).describe(
    "Seconds between progress log lines when not on a terminal (or progress: log)",
  ),
};

/** Table formats: `parquet` (plain Parquet files in Hive folders) or `iceberg` (Apache Iceberg tables, format v2). */
export const TABLE_FORMATS = ["parquet", "iceberg"] as const;
/** A table format. */
export type TableFormat = typeof TABLE_FORMATS[number];

/** Where Iceberg tables' current metadata is kept: `none` (on the storage, as Hadoop tables) or a `rest` catalog. */
export const TABLE_CATALOGS = ["none", "rest"] as const;
/** A table catalog kind. */
export type TableCatalogKind = typeof TABLE_CATALOGS[number];

/** Keys every sink section accepts, besides `type`. Spread into a plugin's `z.object({...})`. */
export const commonSinkFields = {
  compression: z.enum(COMPRESSIONS).default("snappy").describe("Parquet compression codec"),
  compression_level: z.number().int().optional().describe("Codec level for gzip, brotli and zstd"),
  row_group_size: z.number().int().positive().default(100_000).describe("Rows per Parquet row group at most"),
  parquet_dictionary: z.enum(PARQUET_DICTIONARY).default("off").describe(
    "Parquet dictionary encoding: off, auto (columns of repeated values: ~9% smaller, ~15% more CPU) or on",
  ),
  partition_by: z.array(z.string().min(1)).default([]).describe(
    "Hive-style partition folders (col=value); `date` and `hour` are derived from the record time",
  ),
  path_template: z.string().optional().describe(
    "Folder template before the partition folders, e.g. {year}/{month}/{day}/{stream_name}",
  ),
  timestamp_field: z.string().optional().describe(
    "Field holding the record time for date/hour partitions; default: the source timestamp",
  ),
  timezone: z.string().default("UTC").describe("IANA time zone for date/hour partitions and path templates"),
  table_format: z.enum(TABLE_FORMATS).default("parquet").describe(
    "parquet (plain files) or iceberg (Apache Iceberg v2 tables: <table>/metadata and <table>/data, one snapshot " +
      "per batch, exactly once)",
  ),
  table: z.string().min(1).optional().describe(
    "Iceberg table (folder under the sink root) every dataset goes to; default: one table per dataset (topic, key)",
  ),
  catalog: z.enum(TABLE_CATALOGS).default("none").describe(
    "Iceberg catalog: none (tables on the storage, as Hadoop tables) or rest (an Iceberg REST catalog commits them)",
  ),
  catalog_uri: z.string().url().optional().describe("Base URL of the Iceberg REST catalog (its paths start at /v1/)"),
  catalog_warehouse: z.string().min(1).optional().describe(
    "Warehouse asked of the REST catalog's /v1/config (some catalogs serve several)",
  ),
  catalog_namespace: z.string().min(1).default("default").describe(
    "Namespace of the tables in the REST catalog (dotted for nested namespaces)",
  ),
  catalog_token: z.string().min(1).optional().describe("Bearer token for the REST catalog (secret)"),
  catalog_credential: z.string().min(1).optional().describe(
    "OAuth2 client credentials client_id:client_secret for the REST catalog's /v1/oauth/tokens (secret)",
  ),
  catalog_scope: z.string().min(1).optional().describe(
    "OAuth2 scope asked for with catalog_credential; default catalog",
  ),
};

/**
 * Cross-field checks of the common sink keys, for a plugin's `validate`: an Iceberg table takes no path template (its
 * folders are the table's), and its `date`/`hour` partitions are in UTC (Iceberg's day and hour transforms are). Pure.
 */
export function commonSinkIssues(config: Omit<CommonSinkConfig, "type">): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.table_format !== "iceberg") {
    if (config.table !== undefined) {
      issues.push({ path: ["table"], message: "`table` needs `table_format: iceberg`" });
    }
    if ((config.catalog ?? "none") !== "none") {
      issues.push({ path: ["catalog"], message: "`catalog` needs `table_format: iceberg`" });
    }
    return issues;
  }
  if (config.catalog === "rest" && config.catalog_uri === undefined) {
    issues.push({ path: ["catalog_uri"], message: "`catalog: rest` needs catalog_uri, the REST catalog's base URL" });
  }
  if (config.catalog_token !== undefined && config.catalog_credential !== undefined) {
    issues.push({ path: ["catalog_token"], message: "give catalog_token or catalog_credential, not both" });
  }
  if (config.path_template !== undefined) {
    issues.push({
      path: ["path_template"],
      message: "Iceberg tables lay out their own folders (<table>/data/<partitions>/); remove path_template",
    });
  }
  const timed = config.partition_by.some((c) => c === "date" || c === "hour");
  if (timed && config.timezone !== "UTC") {
    issues.push({
      path: ["timezone"],
      message: `Iceberg's day and hour partitions are in UTC; set timezone: UTC (not "${config.timezone}")`,
    });
  }
  return issues;
}

/** A sink section after validation: the common keys plus the plugin's own. */
export interface CommonSinkConfig {
  readonly type: string;
  readonly compression: Compression;
  readonly compression_level?: number;
  readonly row_group_size: number;
  /** Parquet dictionary encoding (default `off`); optional so that configs built in code need not set it. */
  readonly parquet_dictionary?: ParquetDictionary;
  readonly partition_by: readonly string[];
  readonly path_template?: string;
  readonly timestamp_field?: string;
  readonly timezone: string;
  /** Table format (default `parquet`); optional so that configs built in code need not set it. */
  readonly table_format?: TableFormat;
  /** The one Iceberg table every dataset goes to; default one per dataset. */
  readonly table?: string;
  /** Iceberg catalog (default `none`). */
  readonly catalog?: TableCatalogKind;
  readonly catalog_uri?: string;
  readonly catalog_warehouse?: string;
  /** Namespace in the REST catalog (default `default`). */
  readonly catalog_namespace?: string;
  readonly catalog_token?: string;
  readonly catalog_credential?: string;
  readonly catalog_scope?: string;
}

/** A source section after validation: the common keys plus the plugin's own. */
export interface CommonSourceConfig {
  readonly type: string;
  readonly value_format: ValueFormat;
  readonly batch_size: number;
  /** Progress display; default `auto` (optional so that configs built in code need not set it). */
  readonly progress?: ProgressMode;
  /** Seconds between progress log lines; default {@linkcode DEFAULT_PROGRESS_INTERVAL_SECONDS}. */
  readonly progress_interval_seconds?: number;
}

/** Context a sink factory gets. */
export interface SinkContext {
  /** Logger named for the sink. */
  readonly log: Logger;
  /** The paths the tool writes: for probes, and to tell its own leftovers from other files. */
  readonly paths: OwnPaths;
}

/** Context of a sink plugin's `check`: a check context plus the paths the tool writes (the probe path). */
export interface SinkCheckContext extends CheckContext {
  /** The paths the tool writes: the probe goes to {@linkcode OwnPaths.probePath}. */
  readonly paths: OwnPaths;
}

/**
 * A source plugin: declared in `src/sources/<name>/mod.ts` (or `src/sources/<name>.ts` for a one-file plugin), built
 * from the field groups of its `config.ts`, registered in `src/plugins.ts`.
 */
export interface SourcePlugin<C extends CommonSourceConfig = CommonSourceConfig> {
  /** The `source.type` value that selects it. */
  readonly type: string;
  /** One line for `--help` and the README. */
  readonly summary: string;
  /** Strict schema of the whole section, `type` included, with defaults. */
  readonly schema: z.ZodType<C>;
  /** Environment variables that fill keys of this section. */
  readonly env: readonly EnvBinding[];
  /** Keys (dotted paths) whose values are secret and masked wherever config is printed. */
  readonly secrets: readonly string[];
  /**
   * Builds the source; no I/O until `connect()`. A plugin whose code or libraries are large loads them here (a
   * dynamic `import()` of a literal path, which `deno compile` still bundles), so a run holds only what it uses.
   */
  create(config: C, context: SourceContext): Promise<Source>;
  /**
   * `fs-data-sink check`: probes what the section names (servers, credentials, topics or keys, the group) without
   * consuming or committing anything; one result per probe, in the order they ran. Never throws.
   */
  check(config: C, context: CheckContext): Promise<readonly CheckResult[]>;
  /**
   * `fs-data-sink preview`: reads the next messages a run would read, without acknowledging, committing or removing
   * anything. Throws like `connect()` when the source cannot be read.
   */
  peek(config: C, context: PeekContext): Promise<Peek>;
}

/**
 * A sink plugin: declared in `src/sinks/<name>/mod.ts` (or `src/sinks/<name>.ts` for a one-file plugin), registered
 * in `src/plugins.ts`.
 */
export interface SinkPlugin<C extends CommonSinkConfig = CommonSinkConfig> {
  /** The `sink.type` value that selects it. */
  readonly type: string;
  /** One line for `--help` and the README. */
  readonly summary: string;
  /** Strict schema of the whole section, `type` included, with defaults. */
  readonly schema: z.ZodType<C>;
  /** Environment variables that fill keys of this section. */
  readonly env: readonly EnvBinding[];
  /** Keys (dotted paths) whose values are secret and masked wherever config is printed. */
  readonly secrets: readonly string[];
  /** Builds the sink; no I/O until `connect()`. Loads its code on demand, as a source does (see `SourcePlugin`). */
  create(config: C, context: SinkContext): Promise<Sink>;
  /**
   * `fs-data-sink check`: probes the destination (reachable, credentials, bucket or folder) and writes and deletes a
   * probe at {@linkcode OwnPaths.probePath}, touching nothing else; one result per probe. Never throws.
   */
  check(config: C, context: SinkCheckContext): Promise<readonly CheckResult[]>;
}
