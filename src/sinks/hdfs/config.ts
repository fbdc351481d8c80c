/**
 * Configuration of the HDFS sink (`sink.type: hdfs`), in the order every plugin's `config.ts` keeps: the field names,
 * the strict schema with docs and defaults, the typed config, the environment variables and secret keys, and the
 * pure cross-field {@linkcode validate} (wired into the schema). Nothing here touches the network, so
 * `fs-data-sink validate` works offline.
 * @module
 */
import { z } from "zod";
import {
  commonSinkFields,
  commonSinkIssues,
  type ConfigIssue,
  type EnvBinding,
  reportIssues,
} from "../../core/plugin.ts";
import { normalizeNameNodeUrl } from "./webhdfs_client.ts";

/** The `sink.type` of this plugin. */
export const TYPE = "hdfs";

/** Names of the keys of the section, used more than once. */
export const FIELDS = {
  url: "url",
  basePath: "base_path",
  user: "user",
  delegationToken: "delegation_token",
  replication: "replication",
  permission: "permission",
  blockSize: "block_size",
  timeoutMs: "timeout_ms",
  maxRetries: "max_retries",
  cleanupTempFiles: "cleanup_temp_files",
  rpcPort: "rpc_port",
} as const;

/** Splits one URL, a comma list, or a list of either into NameNode URLs and checks each. */
const nameNodeUrls = z.union([z.string(), z.array(z.string()).min(1)]).transform((value, ctx) => {
  const items = (Array.isArray(value) ? value : [value]).flatMap((s) => s.split(",")).map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) {
    ctx.addIssue({ code: "custom", message: "at least one NameNode URL is required, e.g. http://namenode:9870" });
    return z.NEVER;
  }
  const urls: string[] = [];
  for (const item of items) {
    try {
      urls.push(normalizeNameNodeUrl(item));
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }
  return urls;
});

/** The strict schema of `sink` when `type: hdfs`. Cross-field rules are {@linkcode validate}'s, run by `superRefine`. */
export const configSchema = z.object({
  type: z.literal(TYPE),
  ...commonSinkFields,
  url: nameNodeUrls.describe(
    "NameNode WebHDFS URL (http://namenode:9870); a list or comma list of NameNode URLs for an HA pair",
  ),
  base_path: z.string().min(1).refine((p) => p.startsWith("/"), "must be an absolute HDFS path, e.g. /data/raw")
    .refine((p) => !p.split("/").some((s) => s === ".." || s === "."), "must not contain . or .. segments")
    .describe("Absolute HDFS folder all files go under (created if missing)"),
  user: z.string().min(1).optional().describe("Simple-auth user name sent as user.name"),
  delegation_token: z.string().min(1).optional().describe("Hadoop delegation token (sent as delegation=); secret"),
  replication: z.number().int().positive().max(512).optional().describe("Replication factor of written files"),
  permission: z.string().regex(/^[0-7]{3,4}$/, "must be an octal permission such as 644").optional()
    .describe("Octal permission of written files, e.g. 640"),
  block_size: z.number().int().positive().optional().describe("HDFS block size of written files in bytes"),
  timeout_ms: z.number().int().positive().default(60_000).describe("Time limit of one HTTP request (uploads too)"),
  max_retries: z.number().int().min(0).default(5).describe("Retries with backoff on 5xx, safe mode, network errors"),
  cleanup_temp_files: z.boolean().default(true).describe(
    "On connect, delete temporary files a crashed run left under base_path: at once when its writer process is gone, after a grace when alive or on another host",
  ),
  rpc_port: z.number().int().min(1).max(65535).default(8020).describe(
    "NameNode RPC port that Iceberg table metadata names files by (hdfs://<namenode host>:<port>/...)",
  ),
}).strict().superRefine(reportIssues(validate));

/** A validated `sink` section of type `hdfs`. */
export type Config = z.infer<typeof configSchema>;

/** Environment variables of the section (the seed's names). */
export const ENV: readonly EnvBinding[] = [
  { env: "HDFS_URL", key: FIELDS.url, kind: "list" },
  { env: "HDFS_BASE_PATH", key: FIELDS.basePath, kind: "string" },
  { env: "HDFS_USER", key: FIELDS.user, kind: "string" },
  { env: "HDFS_DELEGATION_TOKEN", key: FIELDS.delegationToken, kind: "string" },
];

/** Keys masked wherever the config is printed. */
export const SECRETS: readonly string[] = [FIELDS.delegationToken];

/**
 * Cross-field checks of a section that passed the field types; pure: those of the common keys (table format). Each
 * HDFS key is checked by its own field (NameNode URLs, an absolute `base_path`, an octal `permission`).
 */
export function validate(config: Config): ConfigIssue[] {
  return commonSinkIssues(config);
}
