/**
 * Configuration of the `redis` source, in the order every plugin's `config.ts` keeps: the field names, the strict
 * schema with docs and defaults (built from named field groups; the TLS group is shared with the other sources, see
 * `../_common/tls.ts`), the typed config, the environment variables and secret keys, the pure cross-field
 * {@linkcode validate} (wired into the schema), then the pure resolution of connection settings (`url` merged with
 * the explicit keys) and of the consumer name. Nothing here touches the network or the disk, so
 * `fs-data-sink validate` works offline.
 * @module
 */
import { z } from "zod";
import { commonSourceFields, type ConfigIssue, type EnvBinding, reportIssues } from "../../core/plugin.ts";
import { ConfigError } from "../../core/errors.ts";
import { tlsFields } from "../_common/tls.ts";

/** The `source.type` that selects this plugin. */
export const TYPE = "redis";

/** Names of the keys of the section, used more than once. */
export const FIELDS = {
  host: "host",
  port: "port",
  db: "db",
  username: "username",
  password: "password",
  url: "url",
  tls: "tls",
  streamKeys: "stream_keys",
  listKeys: "list_keys",
  continuous: "continuous",
  consumerGroup: "consumer_group",
  consumerName: "consumer_name",
  instanceId: "instance_id",
  startId: "start_id",
  claimIdleMs: "claim_idle_ms",
  payloadField: "payload_field",
  blockMs: "block_ms",
  listPopSide: "list_pop_side",
} as const;

/** Default port when neither `port` nor `url` gives one. */
export const DEFAULT_PORT = 6379;
/** Default host when neither `host` nor `url` gives one. */
export const DEFAULT_HOST = "localhost";
/** Default consumer group (streams) and namespace of the processing lists (lists). */
export const DEFAULT_GROUP = "fs-data-sink";

/** A stream id (`<ms>-<seq>`), or `$` (only new entries) / `0` for group creation. */
const STREAM_ID = /^(\$|\d+(-\d+)?)$/;
/** Consumer names go into stream names and key names: no `+`, no spaces, no braces. */
const CONSUMER_NAME = /^[A-Za-z0-9._:@-]+$/;

const tlsSchema = z.object({
  ...tlsFields,
  servername: z.string().optional().describe("Server name for SNI and certificate checks; default: the host"),
}).strict();

/** Where the server is and how to log in. */
const connectionFields = {
  [FIELDS.host]: z.string().min(1).optional().describe(`Redis host; default the url's host, else ${DEFAULT_HOST}`),
  [FIELDS.port]: z.number().int().min(1).max(65535).optional().describe(`Redis port; default ${DEFAULT_PORT}`),
  [FIELDS.db]: z.number().int().min(0).optional().describe("Database number; default the url's, else 0"),
  [FIELDS.username]: z.string().min(1).optional().describe("ACL user name (Redis 6+)"),
  [FIELDS.password]: z.string().optional().describe("Password (of `username`, or the default user)"),
  [FIELDS.url]: z.string().optional().describe(
    "redis://[user:password@]host[:port][/db] or rediss:// for TLS; explicit keys win over its parts",
  ),
  [FIELDS.tls]: tlsSchema.optional().describe("TLS options; a rediss:// url turns TLS on with the defaults"),
};

/** What is read, and whether reading goes on after what is there at start. */
const keyFields = {
  [FIELDS.streamKeys]: z.array(z.string().min(1)).default([]).describe("Stream keys read with a consumer group"),
  [FIELDS.listKeys]: z.array(z.string().min(1)).default([]).describe("List keys consumed as reliable queues"),
  [FIELDS.continuous]: z.boolean().default(true).describe(
    "Keep reading new entries; false drains what is there at start and exits (like pipeline.until_caught_up)",
  ),
};

/** Who reads: the group and this instance's name within it. */
const consumerFields = {
  [FIELDS.consumerGroup]: z.string().min(1).regex(CONSUMER_NAME).default(DEFAULT_GROUP).describe(
    "Consumer group of the streams; also namespaces the lists' processing lists",
  ),
  [FIELDS.consumerName]: z.string().min(1).max(200).regex(CONSUMER_NAME).optional().describe(
    "Consumer name, unique per running instance and stable across its restarts; default <hostname>-<instance_id>",
  ),
  [FIELDS.instanceId]: z.string().min(1).regex(CONSUMER_NAME).default("0").describe(
    "Tells apart several instances on one host when consumer_name is not set",
  ),
};

/** How entries and items are read, and when a dead consumer's work is taken over. */
const readFields = {
  [FIELDS.startId]: z.string().regex(STREAM_ID).default("0").describe(
    "Where a new consumer group starts: 0 (whole stream), $ (only new entries) or an entry id",
  ),
  [FIELDS.claimIdleMs]: z.number().int().min(0).default(300_000).describe(
    "Entries pending this long at another consumer are taken over (that consumer is dead); 0 turns it off. " +
      "Must exceed the time a live instance holds a batch (pipeline.batch_timeout_seconds plus the write)",
  ),
  [FIELDS.payloadField]: z.string().min(1).optional().describe(
    "Entry field holding an encoded payload (decoded by value_format); without it the entry's fields are columns",
  ),
  [FIELDS.blockMs]: z.number().int().min(1).default(5000).describe(
    "Longest blocking read when there is nothing to read",
  ),
  [FIELDS.listPopSide]: z.enum(["left", "right"]).default("left").describe(
    "End of the list items are taken from: left for producers that RPUSH (FIFO), right for LPUSH",
  ),
};

/** Strict schema of the `source` section for `type: redis`. Cross-field rules are {@linkcode validate}'s. */
export const configSchema = z.object({
  type: z.literal(TYPE),
  ...commonSourceFields,
  ...connectionFields,
  ...keyFields,
  ...consumerFields,
  ...readFields,
}).strict().superRefine(reportIssues(validate));

/** The validated `source` section of `type: redis`. */
export type Config = z.infer<typeof configSchema>;
/** The validated `tls` options. */
export type RedisTlsConfig = z.infer<typeof tlsSchema>;

/** Environment variables of the redis source. */
export const ENV: readonly EnvBinding[] = [
  { env: "REDIS_HOST", key: FIELDS.host, kind: "string" },
  { env: "REDIS_PORT", key: FIELDS.port, kind: "int" },
  { env: "REDIS_DB", key: FIELDS.db, kind: "int" },
  { env: "REDIS_USERNAME", key: FIELDS.username, kind: "string" },
  { env: "REDIS_PASSWORD", key: FIELDS.password, kind: "string" },
  { env: "REDIS_URL", key: FIELDS.url, kind: "string" },
  { env: "REDIS_STREAM_KEYS", key: FIELDS.streamKeys, kind: "list" },
  { env: "REDIS_LIST_KEYS", key: FIELDS.listKeys, kind: "list" },
  { env: "REDIS_CONSUMER_GROUP", key: FIELDS.consumerGroup, kind: "string" },
  { env: "REDIS_CONSUMER_NAME", key: FIELDS.consumerName, kind: "string" },
  { env: "REDIS_CONTINUOUS", key: FIELDS.continuous, kind: "bool" },
];

/** Keys whose values are secret (the url may carry a password). */
export const SECRETS: readonly string[] = [FIELDS.password, FIELDS.url];

/** Checks what the field types alone cannot: some key is named, none twice, and the url parses. Pure. */
export function validate(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.stream_keys.length === 0 && config.list_keys.length === 0) {
    issues.push({ path: [], message: "Name at least one key in stream_keys or list_keys" });
  }
  if (config.url !== undefined) {
    try {
      parseRedisUrl(config.url);
    } catch (error) {
      issues.push({ path: [FIELDS.url], message: (error as Error).message });
    }
  }
  const keys = [...config.stream_keys, ...config.list_keys];
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup !== undefined) issues.push({ path: [], message: `Key "${dup}" is named twice` });
  return issues;
}

/** The parts a redis:// or rediss:// url gives. */
export interface RedisUrlParts {
  readonly host?: string;
  readonly port?: number;
  readonly db?: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

/** Parses a `redis://` or `rediss://` url; throws a `TypeError` naming what is wrong (never the password). */
export function parseRedisUrl(text: string): RedisUrlParts {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError("Cannot parse url: expected redis://[user:password@]host[:port][/db]");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new TypeError(`Cannot use url: scheme "${url.protocol.slice(0, -1)}" is not redis or rediss`);
  }
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) throw new TypeError(`Cannot use url: database "${path}" is not a number`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    host: host === "" ? undefined : host,
    port: url.port === "" ? undefined : Number(url.port),
    db: path === "" ? undefined : Number(path),
    username: url.username === "" ? undefined : decodeURIComponent(url.username),
    password: url.password === "" ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === "rediss:",
  };
}

/** Where and how to connect, after merging the url with the explicit keys. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** TLS options, or undefined for plain TCP. */
  readonly tls?: RedisTlsConfig;
}

/** Merges `url` with the explicit keys (explicit keys win, then the url, then the defaults). Pure. */
export function resolveEndpoint(config: Config): RedisEndpoint {
  const fromUrl: RedisUrlParts = config.url === undefined ? { tls: false } : parseRedisUrl(config.url);
  const tls = config.tls ?? (fromUrl.tls ? tlsSchema.parse({}) : undefined);
  return {
    host: config.host ?? fromUrl.host ?? DEFAULT_HOST,
    port: config.port ?? fromUrl.port ?? DEFAULT_PORT,
    db: config.db ?? fromUrl.db ?? 0,
    username: config.username ?? fromUrl.username,
    password: config.password ?? fromUrl.password,
    tls: tls?.enabled ? tls : undefined,
  };
}

/**
 * The consumer name: `consumer_name`, else `<hostname>-<instance_id>`, so the same instance finds its pending
 * entries and processing lists again after a restart. `hostname` is passed in to keep this pure.
 */
export function resolveConsumerName(config: Config, hostname: string): string {
  if (config.consumer_name !== undefined) return config.consumer_name;
  const host = hostname.replace(/[^A-Za-z0-9._:@-]/g, "_") || "host";
  return `${host}-${config.instance_id}`;
}

/** Parses a `source` section, turning schema issues into a {@linkcode ConfigError}. */
export function parseRedisConfig(section: unknown): Config {
  const result = configSchema.safeParse(section);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".") || "source"}: ${i.message}`).join("; ");
    throw new ConfigError(`Cannot use the redis source configuration: ${detail}`, {
      hint: "See `source` keys of type redis in the README",
    });
  }
  return result.data as Config;
}
