/**
 * Configuration of the Kafka / Redpanda source, in the order every plugin's `config.ts` keeps: the field names, the
 * strict schema with docs and defaults (built from named field groups; the TLS group is shared with the other
 * sources, see `../_common/tls.ts`), the typed config, the environment variables and secret keys, the pure
 * cross-field {@linkcode validate} (wired into the schema), then the pure steps from a validated section to client
 * settings. Nothing here touches the network or the disk, so `fs-data-sink validate` works offline.
 * @module
 */
import { z } from "zod";
import { commonSourceFields, type ConfigIssue, type EnvBinding, reportIssues } from "../../core/plugin.ts";
import { tlsFields } from "../_common/tls.ts";

/** The `source.type` of this plugin. */
export const TYPE = "kafka";

/** Names of the keys of the section, used more than once. */
export const FIELDS = {
  bootstrapServers: "bootstrap_servers",
  topics: "topics",
  topicPattern: "topic_pattern",
  allTopics: "all_topics",
  include: "include",
  exclude: "exclude",
  groupId: "group_id",
  clientId: "client_id",
  startFrom: "start_from",
  tombstones: "tombstones",
  sasl: "sasl",
  tls: "tls",
  metadataColumns: "metadata_columns",
  concurrency: "concurrency",
  bufferMaxMessages: "buffer_max_messages",
  bufferMaxBytes: "buffer_max_bytes",
  extraConfig: "extra_config",
} as const;

/** Consumer group used when none is configured. */
export const DEFAULT_GROUP_ID = "fs-data-sink";
/** Client id sent to the brokers when none is configured. */
export const DEFAULT_CLIENT_ID = "fs-data-sink";
/** Topics never read in all-topics or pattern mode, as the Redpanda collector does: `__*` and `_schemas`. */
export const INTERNAL_TOPIC = /^(__.*|_schemas)$/;

/** Default metadata column names, as in the Redpanda collector. */
export const DEFAULT_METADATA_NAMES = {
  topic: "kafka_topic",
  partition: "kafka_partition",
  offset: "kafka_offset",
  timestamp: "kafka_timestamp",
  key: "kafka_key",
  headers: "kafka_headers",
} as const;

/** SASL mechanisms supported by the client. */
export const SASL_MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;
/** A SASL mechanism. */
export type SaslMechanism = typeof SASL_MECHANISMS[number];

/** Splits a comma-separated string into trimmed, non-empty items; leaves lists alone. */
function commaList(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}

/** A list of strings, also given as one comma-separated string (as in environment variables). */
const stringList = z.preprocess(commaList, z.array(z.string().min(1)));

/** A metadata column name, or `false` to leave the column out. */
const columnName = (fallback: string) =>
  z.union([z.string().min(1), z.literal(false)]).default(fallback).describe(
    `Column name (default ${fallback}); false leaves the column out`,
  );

const metadataColumnsSchema = z.object({
  topic: columnName(DEFAULT_METADATA_NAMES.topic),
  partition: columnName(DEFAULT_METADATA_NAMES.partition),
  offset: columnName(DEFAULT_METADATA_NAMES.offset),
  timestamp: columnName(DEFAULT_METADATA_NAMES.timestamp),
  key: columnName(DEFAULT_METADATA_NAMES.key),
  headers: z.union([z.string().min(1), z.boolean()]).default(false).describe(
    `Headers as a map column: true for ${DEFAULT_METADATA_NAMES.headers}, or a column name; default off`,
  ),
}).strict();

const saslSchema = z.object({
  mechanism: z.enum(SASL_MECHANISMS).default("plain").describe("plain, scram-sha-256 or scram-sha-512"),
  username: z.string().min(1).describe("SASL user name"),
  password: z.string().min(1).describe("SASL password (secret)"),
}).strict();

const tlsSchema = z.object({
  ...tlsFields,
  server_name: z.string().min(1).optional().describe("Host name checked against the certificate (SNI)"),
}).strict();

/** Values accepted in `extra_config`. */
const extraValue = z.union([z.string(), z.number(), z.boolean()]);

/** Where the brokers are. */
const brokerFields = {
  [FIELDS.bootstrapServers]: stringList.pipe(z.array(z.string().min(1)).min(1)).describe(
    "Brokers as host:port, a list or one comma-separated string",
  ),
};

/** Which topics are read: exactly one of a list, a pattern or all topics; include/exclude narrow the last two. */
const topicFields = {
  [FIELDS.topics]: stringList.optional().describe("Topics to read, a list or one comma-separated string"),
  [FIELDS.topicPattern]: z.string().min(1).optional().describe(
    "Read every topic whose whole name matches this regular expression",
  ),
  [FIELDS.allTopics]: z.boolean().default(false).describe(
    "Read every topic except internal ones (__*, _schemas), filtered by include/exclude",
  ),
  [FIELDS.include]: stringList.default([]).describe(
    "Pattern and all-topics mode: only topics whose whole name matches one of these regexes",
  ),
  [FIELDS.exclude]: stringList.default([]).describe(
    "Pattern and all-topics mode: skip topics whose whole name matches one of these regexes",
  ),
};

/** Who consumes (group and client id), where a new group starts, and what tombstones become. */
const consumerFields = {
  [FIELDS.groupId]: z.string().min(1).default(DEFAULT_GROUP_ID).describe(
    "Consumer group; instances sharing it split work",
  ),
  [FIELDS.clientId]: z.string().min(1).default(DEFAULT_CLIENT_ID).describe("Client id sent to the brokers"),
  [FIELDS.startFrom]: z.union([z.string().min(1), z.number().int().nonnegative()]).optional().describe(
    "Where a partition without committed offset starts: earliest (default), latest, an ISO time or epoch ms",
  ),
  [FIELDS.tombstones]: z.enum(["skip", "keep"]).default("skip").describe(
    "Messages with a null value: skip (counted, acknowledged, no row) or keep (a row with a null payload)",
  ),
};

/** Authentication and encryption. */
const securityFields = {
  [FIELDS.sasl]: saslSchema.optional().describe("SASL authentication"),
  [FIELDS.tls]: tlsSchema.optional().describe("TLS settings"),
};

/** The kafka_* columns of every row. */
const columnFields = {
  [FIELDS.metadataColumns]: z.union([z.literal(false), metadataColumnsSchema]).prefault({}).describe(
    "Names of the kafka_* columns; false leaves all of them out",
  ),
};

/** How much is read ahead and in parallel. */
const runFields = {
  [FIELDS.concurrency]: z.number().int().positive().default(4).describe(
    "No effect; kept so existing configs stay valid (assigned partitions are fetched together, one request per broker)",
  ),
  [FIELDS.bufferMaxMessages]: z.number().int().positive().default(10_000).describe(
    "Messages fetched ahead of the pipeline at most (backpressure beyond this)",
  ),
  [FIELDS.bufferMaxBytes]: z.number().int().positive().default(2 * 1024 * 1024).describe(
    "Payload bytes fetched ahead of the pipeline at most",
  ),
};

/** Client settings by their usual Kafka names (librdkafka / kafka-python), mapped by {@linkcode mapExtraConfig}. */
const clientFields = {
  [FIELDS.extraConfig]: z.record(z.string(), extraValue).default({}).describe(
    "Client settings by their usual Kafka names, e.g. auto_offset_reset, session_timeout_ms, max_bytes",
  ),
};

/** Strict schema of the `source` section when `type: kafka`. Cross-field rules are {@linkcode validate}'s. */
export const configSchema = z.object({
  type: z.literal(TYPE),
  ...commonSourceFields,
  ...brokerFields,
  ...topicFields,
  ...consumerFields,
  ...securityFields,
  ...columnFields,
  ...runFields,
  ...clientFields,
}).strict().superRefine(reportIssues(validate));

/** The validated `source` section when `type: kafka`. */
export type Config = z.infer<typeof configSchema>;
/** Metadata column names after validation. */
export type MetadataColumnsConfig = z.infer<typeof metadataColumnsSchema>;

/** Environment variables of the Kafka source. `BOOTSTRAP_SERVERS` is the Redpanda collector's name. */
export const ENV: readonly EnvBinding[] = [
  { env: "BOOTSTRAP_SERVERS", key: FIELDS.bootstrapServers, kind: "list" },
  { env: "KAFKA_BOOTSTRAP_SERVERS", key: FIELDS.bootstrapServers, kind: "list" },
  { env: "KAFKA_TOPICS", key: FIELDS.topics, kind: "list" },
  { env: "KAFKA_TOPIC_PATTERN", key: FIELDS.topicPattern, kind: "string" },
  { env: "KAFKA_GROUP_ID", key: FIELDS.groupId, kind: "string" },
  { env: "KAFKA_CLIENT_ID", key: FIELDS.clientId, kind: "string" },
  { env: "KAFKA_START_FROM", key: FIELDS.startFrom, kind: "string" },
  { env: "KAFKA_SASL_MECHANISM", key: `${FIELDS.sasl}.mechanism`, kind: "string" },
  { env: "KAFKA_SASL_USERNAME", key: `${FIELDS.sasl}.username`, kind: "string" },
  { env: "KAFKA_SASL_PASSWORD", key: `${FIELDS.sasl}.password`, kind: "string" },
  { env: "KAFKA_TLS_ENABLED", key: `${FIELDS.tls}.enabled`, kind: "bool" },
  { env: "KAFKA_TLS_CA_FILE", key: `${FIELDS.tls}.ca_file`, kind: "string" },
];

/** Secret keys, masked wherever configuration is printed. */
export const SECRETS: readonly string[] = [`${FIELDS.sasl}.password`, `${FIELDS.extraConfig}.sasl_plain_password`];

/** Compiles a user regex, or returns the reason it does not compile. */
function compileRegex(pattern: string): RegExp | string {
  try {
    return new RegExp(pattern);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Checks what the field types alone cannot: exactly one topic selection is given, regexes compile, `start_from`
 * parses, `extra_config` keys are known, metadata column names are distinct. Pure.
 */
export function validate(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const modes = [config.topics !== undefined && config.topics.length > 0, !!config.topic_pattern, config.all_topics]
    .filter(Boolean).length;
  if (modes === 0) {
    issues.push({
      path: [FIELDS.topics],
      message: "Cannot choose topics: set topics, topic_pattern or all_topics: true",
    });
  } else if (modes > 1) {
    issues.push({
      path: [FIELDS.topics],
      message: "Cannot choose topics: topics, topic_pattern and all_topics exclude each other; set only one",
    });
  }
  if (config.topic_pattern) {
    const compiled = compileRegex(config.topic_pattern);
    if (typeof compiled === "string") {
      issues.push({
        path: [FIELDS.topicPattern],
        message: `Invalid topic_pattern "${config.topic_pattern}": ${compiled}`,
      });
    }
  }
  for (const field of [FIELDS.include, FIELDS.exclude]) {
    config[field].forEach((pattern, index) => {
      const compiled = compileRegex(pattern);
      if (typeof compiled === "string") {
        issues.push({ path: [field, index], message: `Invalid ${field} pattern "${pattern}": ${compiled}` });
      }
    });
  }
  if (config.start_from !== undefined) {
    try {
      parseStartFrom(config.start_from);
    } catch (error) {
      issues.push({ path: [FIELDS.startFrom], message: (error as Error).message });
    }
  }
  const { settings, errors } = mapExtraConfig(config.extra_config);
  for (const error of errors) issues.push({ path: [FIELDS.extraConfig, error.key], message: error.message });
  if (settings.sasl.mechanism && !(SASL_MECHANISMS as readonly string[]).includes(settings.sasl.mechanism)) {
    issues.push({
      path: [FIELDS.extraConfig],
      message: `Invalid SASL mechanism "${settings.sasl.mechanism}": expected ${SASL_MECHANISMS.join(", ")}`,
    });
  }
  if (config.metadata_columns !== false) {
    const names = metadataColumnList(config.metadata_columns).map((column) => column.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) {
      issues.push({ path: [FIELDS.metadataColumns], message: `Duplicate metadata column name "${duplicate}"` });
    }
  }
  return issues;
}

/** Where a partition without committed offset starts. */
export type StartFrom =
  /** The oldest retained message. */
  | { readonly kind: "earliest" }
  /** Only messages produced after the partition is first assigned. */
  | { readonly kind: "latest" }
  /** The first message at or after this time (ms since epoch). */
  | { readonly kind: "timestamp"; readonly ms: number };

/** Parses `start_from`: earliest, latest, an ISO 8601 time or epoch milliseconds. */
export function parseStartFrom(value: string | number | undefined): StartFrom {
  if (value === undefined) return { kind: "earliest" };
  if (typeof value === "number") return { kind: "timestamp", ms: value };
  const text = value.trim().toLowerCase();
  if (text === "earliest" || text === "smallest" || text === "beginning") return { kind: "earliest" };
  if (text === "latest" || text === "largest" || text === "end") return { kind: "latest" };
  if (/^\d+$/.test(text)) return { kind: "timestamp", ms: Number(text) };
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    throw new SyntaxError(
      `Cannot parse start_from "${value}": expected earliest, latest, an ISO time such as 2025-01-31T00:00:00Z, ` +
        "or epoch milliseconds",
    );
  }
  return { kind: "timestamp", ms };
}

/** Client settings derived from `extra_config` (and the explicit keys they may stand for). */
export interface ExtraSettings {
  /** Consumer settings by internal names (mapped onto the client in `source.ts`, `clientSettings`). */
  readonly consumer: Readonly<Record<string, number | boolean>>;
  /** Client (connection) settings by internal names (mapped like the consumer settings). */
  readonly client: Readonly<Record<string, number>>;
  /** `auto_offset_reset`, when given: the start of partitions without committed offset. */
  readonly startFrom?: string;
  /** `max_poll_records`, when given: caps the read-ahead buffer. */
  readonly bufferMaxMessages?: number;
  /** SASL settings given the librdkafka / kafka-python way. */
  readonly sasl: { mechanism?: string; username?: string; password?: string };
  /** TLS settings given the librdkafka / kafka-python way. */
  readonly tls: { enabled?: boolean; ca_file?: string; cert_file?: string; key_file?: string; check?: boolean };
  /** Keys that are accepted but have no effect, with the reason (logged as warnings at start). */
  readonly ignored: readonly { key: string; reason: string }[];
}

type ExtraValue = string | number | boolean;
type Applier = (value: ExtraValue, out: MutableExtra) => string | undefined;
interface MutableExtra {
  consumer: Record<string, number | boolean>;
  client: Record<string, number>;
  startFrom?: string;
  bufferMaxMessages?: number;
  sasl: { mechanism?: string; username?: string; password?: string };
  tls: { enabled?: boolean; ca_file?: string; cert_file?: string; key_file?: string; check?: boolean };
  ignored: { key: string; reason: string }[];
}

function positiveInt(value: ExtraValue): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}

function text(value: ExtraValue): string {
  return String(value);
}

function consumerInt(name: string): Applier {
  return (value, out) => {
    const n = positiveInt(value);
    if (n === undefined) return `expected a positive integer, got ${JSON.stringify(value)}`;
    out.consumer[name] = n;
  };
}

function clientInt(name: string): Applier {
  return (value, out) => {
    const n = positiveInt(value);
    if (n === undefined) return `expected a positive integer, got ${JSON.stringify(value)}`;
    out.client[name] = n;
  };
}

function ignoredBecause(reason: string): Applier {
  return (_value, out) => {
    out.ignored.push({ key: "", reason });
  };
}

/** `extra_config` keys (dots or underscores) and what they set. */
const EXTRA_KEYS: Readonly<Record<string, Applier>> = {
  auto_offset_reset: (value, out) => {
    const v = text(value).toLowerCase();
    if (!["earliest", "latest", "smallest", "largest", "beginning", "end"].includes(v)) {
      return `expected earliest or latest, got ${JSON.stringify(value)}`;
    }
    out.startFrom = v;
  },
  enable_auto_commit: ignoredBecause("offsets are committed only after the files holding them are durable"),
  auto_commit_interval_ms: ignoredBecause("offsets are committed only after the files holding them are durable"),
  session_timeout_ms: consumerInt("sessionTimeout"),
  heartbeat_interval_ms: consumerInt("heartbeatInterval"),
  max_poll_interval_ms: consumerInt("rebalanceTimeout"),
  rebalance_timeout_ms: consumerInt("rebalanceTimeout"),
  max_partition_fetch_bytes: consumerInt("maxBytesPerPartition"),
  max_bytes_per_partition: consumerInt("maxBytesPerPartition"),
  fetch_max_bytes: consumerInt("maxBytes"),
  max_bytes: consumerInt("maxBytes"),
  fetch_min_bytes: consumerInt("minBytes"),
  min_bytes: consumerInt("minBytes"),
  fetch_max_wait_ms: consumerInt("maxWaitTimeInMs"),
  max_wait_time_ms: consumerInt("maxWaitTimeInMs"),
  metadata_max_age_ms: consumerInt("metadataMaxAge"),
  max_in_flight_requests: consumerInt("maxInFlightRequests"),
  max_poll_records: (value, out) => {
    const n = positiveInt(value);
    if (n === undefined) return `expected a positive integer, got ${JSON.stringify(value)}`;
    out.bufferMaxMessages = n;
  },
  isolation_level: (value, out) => {
    const v = text(value).toLowerCase();
    if (v !== "read_committed" && v !== "read_uncommitted") {
      return `expected read_committed or read_uncommitted, got ${JSON.stringify(value)}`;
    }
    out.consumer.readUncommitted = v === "read_uncommitted";
  },
  request_timeout_ms: clientInt("requestTimeout"),
  socket_timeout_ms: clientInt("requestTimeout"),
  connection_timeout_ms: clientInt("connectionTimeout"),
  socket_connection_setup_timeout_ms: clientInt("connectionTimeout"),
  authentication_timeout_ms: clientInt("authenticationTimeout"),
  retries: clientInt("retries"),
  retry_backoff_ms: clientInt("initialRetryTime"),
  security_protocol: (value, out) => {
    const v = text(value).toUpperCase();
    if (!["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].includes(v)) {
      return `expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got ${JSON.stringify(value)}`;
    }
    out.tls.enabled = v === "SSL" || v === "SASL_SSL";
  },
  sasl_mechanism: (value, out) => {
    out.sasl.mechanism = text(value).toLowerCase();
  },
  sasl_mechanisms: (value, out) => {
    out.sasl.mechanism = text(value).toLowerCase();
  },
  sasl_plain_username: (value, out) => {
    out.sasl.username = text(value);
  },
  sasl_username: (value, out) => {
    out.sasl.username = text(value);
  },
  sasl_plain_password: (value, out) => {
    out.sasl.password = text(value);
  },
  sasl_password: (value, out) => {
    out.sasl.password = text(value);
  },
  ssl_cafile: (value, out) => {
    out.tls.ca_file = text(value);
  },
  ssl_ca_location: (value, out) => {
    out.tls.ca_file = text(value);
  },
  ssl_certfile: (value, out) => {
    out.tls.cert_file = text(value);
  },
  ssl_certificate_location: (value, out) => {
    out.tls.cert_file = text(value);
  },
  ssl_keyfile: (value, out) => {
    out.tls.key_file = text(value);
  },
  ssl_key_location: (value, out) => {
    out.tls.key_file = text(value);
  },
  ssl_check_hostname: (value, out) => {
    out.tls.check = value === true || text(value).toLowerCase() === "true";
  },
  enable_ssl_certificate_verification: (value, out) => {
    out.tls.check = value === true || text(value).toLowerCase() === "true";
  },
};

/** Every key `extra_config` accepts (underscore form; dots are accepted too). */
export const EXTRA_CONFIG_KEYS: readonly string[] = Object.keys(EXTRA_KEYS).sort();

/** Normalises an `extra_config` key: `auto.offset.reset` and `auto-offset-reset` become `auto_offset_reset`. */
export function normalizeExtraKey(key: string): string {
  return key.trim().toLowerCase().replace(/[.-]/g, "_");
}

/**
 * Maps `extra_config` to client settings. Returns the settings and one message per key that is unknown or has a
 * bad value; the schema turns those messages into validation errors.
 */
export function mapExtraConfig(extra: Readonly<Record<string, ExtraValue>>): {
  settings: ExtraSettings;
  errors: { key: string; message: string }[];
} {
  const out: MutableExtra = { consumer: {}, client: {}, sasl: {}, tls: {}, ignored: [] };
  const errors: { key: string; message: string }[] = [];
  for (const [key, value] of Object.entries(extra)) {
    const apply = EXTRA_KEYS[normalizeExtraKey(key)];
    if (!apply) {
      errors.push({
        key,
        message: `Unknown extra_config key "${key}": the Kafka source understands ${EXTRA_CONFIG_KEYS.join(", ")}`,
      });
      continue;
    }
    const before = out.ignored.length;
    const problem = apply(value, out);
    if (problem) errors.push({ key, message: `Invalid extra_config "${key}": ${problem}` });
    const last = out.ignored[before];
    if (last) last.key = key;
  }
  return { settings: out, errors };
}

/** The metadata fields a message can carry. */
export type MetadataField = "topic" | "partition" | "offset" | "timestamp" | "key" | "headers";

/** Arrow type of each metadata field. */
export const METADATA_TYPES = {
  topic: "utf8",
  partition: "int32",
  offset: "int64",
  timestamp: "timestamp_ms",
  key: "utf8",
  headers: "map_utf8",
} as const;

/** The enabled metadata columns in their fixed order (topic, partition, offset, timestamp, key, headers). */
export function metadataColumnList(
  columns: MetadataColumnsConfig | false,
): { field: MetadataField; name: string; type: typeof METADATA_TYPES[MetadataField] }[] {
  if (columns === false) return [];
  const list: { field: MetadataField; name: string; type: typeof METADATA_TYPES[MetadataField] }[] = [];
  for (const field of ["topic", "partition", "offset", "timestamp", "key"] as const) {
    const name = columns[field];
    if (name !== false) list.push({ field, name, type: METADATA_TYPES[field] });
  }
  if (columns.headers !== false) {
    const name = columns.headers === true ? DEFAULT_METADATA_NAMES.headers : columns.headers;
    list.push({ field: "headers", name, type: METADATA_TYPES.headers });
  }
  return list;
}

/** SASL settings after merging the `sasl` section with `extra_config`. */
export interface ResolvedSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

/** TLS settings after merging the `tls` section with `extra_config`. */
export interface ResolvedTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly rejectUnauthorized: boolean;
  readonly serverName?: string;
}

/** Everything the consumer needs, derived from a validated section. */
export interface ResolvedKafkaOptions {
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly clientId: string;
  readonly startFrom: StartFrom;
  readonly sasl?: ResolvedSasl;
  readonly tls?: ResolvedTls;
  readonly consumer: Readonly<Record<string, number | boolean>>;
  readonly client: Readonly<Record<string, number>>;
  readonly bufferMaxMessages: number;
  readonly bufferMaxBytes: number;
  readonly ignored: readonly { key: string; reason: string }[];
}

/** Derives the consumer's settings from a validated section. Pure; explicit keys win over `extra_config`. */
export function resolveKafkaOptions(config: Config): ResolvedKafkaOptions {
  const { settings } = mapExtraConfig(config.extra_config);
  const startFrom = parseStartFrom(config.start_from ?? settings.startFrom);
  const saslUser = config.sasl?.username ?? settings.sasl.username;
  const saslPassword = config.sasl?.password ?? settings.sasl.password;
  const mechanism = (config.sasl?.mechanism ?? settings.sasl.mechanism ?? "plain") as SaslMechanism;
  const sasl = saslUser && saslPassword ? { mechanism, username: saslUser, password: saslPassword } : undefined;
  const tlsEnabled = config.tls?.enabled ?? settings.tls.enabled ??
    !!(settings.tls.ca_file || settings.tls.cert_file);
  const tls = tlsEnabled
    ? {
      caFile: config.tls?.ca_file ?? settings.tls.ca_file,
      certFile: config.tls?.cert_file ?? settings.tls.cert_file,
      keyFile: config.tls?.key_file ?? settings.tls.key_file,
      rejectUnauthorized: config.tls?.reject_unauthorized ?? settings.tls.check ?? true,
      serverName: config.tls?.server_name,
    }
    : undefined;
  return {
    brokers: config.bootstrap_servers,
    groupId: config.group_id,
    clientId: config.client_id,
    startFrom,
    sasl,
    tls,
    consumer: settings.consumer,
    client: settings.client,
    bufferMaxMessages: Math.min(config.buffer_max_messages, settings.bufferMaxMessages ?? Infinity),
    bufferMaxBytes: config.buffer_max_bytes,
    ignored: settings.ignored,
  };
}
