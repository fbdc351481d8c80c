/**
 * Configuration of the S3 sink (`sink.type: s3`), in the order every plugin's `config.ts` keeps: the field names,
 * the strict schema with docs and defaults, the typed config, the environment variables and secret keys, the pure
 * cross-field {@linkcode validate} (wired into the schema), then the pure step from a validated section to client
 * settings. Nothing here touches the network, so `fs-data-sink validate` works offline.
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
import { normalizePrefix } from "./keys.ts";

/** The `sink.type` of this plugin. */
export const TYPE = "s3";

/** Names of the keys of the section, used more than once. */
export const FIELDS = {
  bucket: "bucket",
  prefix: "prefix",
  accessKeyId: "aws_access_key_id",
  secretAccessKey: "aws_secret_access_key",
  sessionToken: "aws_session_token",
  region: "region_name",
  endpointUrl: "endpoint_url",
  forcePathStyle: "force_path_style",
  sse: "server_side_encryption",
  kmsKeyId: "sse_kms_key_id",
  storageClass: "storage_class",
  partSizeMb: "part_size_mb",
  uploadConcurrency: "upload_concurrency",
  maxRetries: "max_retries",
} as const;

/** Server-side encryption modes: SSE-S3 (`AES256`) and SSE-KMS (`aws:kms`). */
export const S3_SSE_MODES = ["AES256", "aws:kms"] as const;

/** Storage classes S3 knows; S3-compatible stores usually accept only `STANDARD`. */
export const S3_STORAGE_CLASSES = [
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
  "OUTPOSTS",
  "SNOW",
  "EXPRESS_ONEZONE",
] as const;

/** S3's smallest part size (except the last part) and largest part size, in MiB. */
export const S3_PART_SIZE_LIMITS_MB = { min: 5, max: 5120 } as const;

/** The strict schema of `sink` when `type: s3`. Cross-field rules are {@linkcode validate}'s, run by `superRefine`. */
export const configSchema = z.strictObject({
  type: z.literal(TYPE),
  ...commonSinkFields,
  bucket: z.string().min(1).describe("Bucket name (required)"),
  prefix: z.string().default("").describe("Key prefix the files go under, e.g. data/raw"),
  aws_access_key_id: z.string().min(1).optional().describe(
    "Access key id; when absent the AWS default credential chain is used (env, profile, web identity, instance role)",
  ),
  aws_secret_access_key: z.string().min(1).optional().describe("Secret access key (secret)"),
  aws_session_token: z.string().min(1).optional().describe("Session token of temporary credentials (secret)"),
  region_name: z.string().min(1).default("us-east-1").describe("Region the requests are signed for"),
  endpoint_url: z.string().optional().describe(
    "Endpoint of an S3-compatible store (MinIO, Ceph, R2), e.g. http://127.0.0.1:9000; default: AWS",
  ),
  force_path_style: z.boolean().optional().describe(
    "Path-style addressing (host/bucket/key); default: true when endpoint_url is set, else false",
  ),
  server_side_encryption: z.enum(S3_SSE_MODES).optional().describe("Server-side encryption: AES256 or aws:kms"),
  sse_kms_key_id: z.string().min(1).optional().describe("KMS key id or ARN for aws:kms encryption"),
  storage_class: z.enum(S3_STORAGE_CLASSES).optional().describe("Storage class of the objects, e.g. STANDARD_IA"),
  part_size_mb: z.number().int().min(S3_PART_SIZE_LIMITS_MB.min).max(S3_PART_SIZE_LIMITS_MB.max).default(8).describe(
    "Multipart part size in MiB; files up to this size go up with one PutObject",
  ),
  upload_concurrency: z.number().int().min(1).max(16).default(4).describe(
    "Parts of one file uploaded at once; memory held per upload is about upload_concurrency parts",
  ),
  max_retries: z.number().int().min(0).max(20).default(4).describe(
    "Retries of a request on throttling, 5xx and connection errors, with exponential backoff",
  ),
}).superRefine(reportIssues(validate));

/** A validated `sink` section of type `s3`. */
export type Config = z.infer<typeof configSchema>;

/** Environment variables of the section (the seed's, plus `AWS_SESSION_TOKEN` and `S3_ENDPOINT_URL`). */
export const ENV: readonly EnvBinding[] = [
  { env: "S3_BUCKET", key: FIELDS.bucket, kind: "string" },
  { env: "S3_PREFIX", key: FIELDS.prefix, kind: "string" },
  { env: "AWS_ACCESS_KEY_ID", key: FIELDS.accessKeyId, kind: "string" },
  { env: "AWS_SECRET_ACCESS_KEY", key: FIELDS.secretAccessKey, kind: "string" },
  { env: "AWS_SESSION_TOKEN", key: FIELDS.sessionToken, kind: "string" },
  { env: "AWS_REGION", key: FIELDS.region, kind: "string" },
  { env: "S3_ENDPOINT_URL", key: FIELDS.endpointUrl, kind: "string" },
];

/** Keys masked wherever the config is printed. */
export const SECRETS: readonly string[] = [FIELDS.secretAccessKey, FIELDS.sessionToken];

/**
 * Cross-field checks of a section that passed the field types: a bare bucket name, a prefix without `.`/`..`,
 * credentials given in pairs, a plain http(s) endpoint without credentials, a KMS key only with `aws:kms`. Pure.
 */
export function validate(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = commonSinkIssues(config);
  const bucket = config.bucket;
  if (/^s3a?:\/\//i.test(bucket) || bucket.includes("/")) {
    issues.push({
      path: [FIELDS.bucket],
      message: `bucket "${bucket}" must be a bare bucket name; put the folder part into ${FIELDS.prefix}`,
    });
  } else if (/\s/.test(bucket)) {
    issues.push({ path: [FIELDS.bucket], message: `bucket "${bucket}" must not contain spaces` });
  }
  try {
    normalizePrefix(config.prefix);
  } catch (error) {
    issues.push({ path: [FIELDS.prefix], message: (error as Error).message });
  }
  if (config.aws_access_key_id !== undefined && config.aws_secret_access_key === undefined) {
    issues.push({
      path: [FIELDS.secretAccessKey],
      message: `${FIELDS.secretAccessKey} is required when ${FIELDS.accessKeyId} is set`,
    });
  }
  if (config.aws_secret_access_key !== undefined && config.aws_access_key_id === undefined) {
    issues.push({
      path: [FIELDS.accessKeyId],
      message: `${FIELDS.accessKeyId} is required when ${FIELDS.secretAccessKey} is set`,
    });
  }
  if (config.aws_session_token !== undefined && config.aws_access_key_id === undefined) {
    issues.push({
      path: [FIELDS.sessionToken],
      message: `${FIELDS.sessionToken} needs ${FIELDS.accessKeyId} and ${FIELDS.secretAccessKey}`,
    });
  }
  if (config.endpoint_url !== undefined) {
    const problem = endpointProblem(config.endpoint_url);
    if (problem) issues.push({ path: [FIELDS.endpointUrl], message: problem });
  }
  if (config.sse_kms_key_id !== undefined && config.server_side_encryption !== "aws:kms") {
    issues.push({
      path: [FIELDS.kmsKeyId],
      message: `${FIELDS.kmsKeyId} needs ${FIELDS.sse}: aws:kms`,
    });
  }
  return issues;
}

function endpointProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `endpoint_url "${text}" is not a URL; expected e.g. http://127.0.0.1:9000`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `endpoint_url "${text}" must start with http:// or https://`;
  }
  // Never echo the text here: it holds the credentials the check is about.
  if (url.username || url.password) return "endpoint_url must not contain credentials; use aws_access_key_id";
  if (url.search || url.hash) return `endpoint_url "${text}" must not have a query or fragment`;
  return undefined;
}

/** Client settings derived from a section; what the store needs, with defaults resolved. */
export interface S3ClientSettings {
  readonly bucket: string;
  /** Normalized prefix, no leading or trailing slash. */
  readonly prefix: string;
  readonly region: string;
  /** Endpoint without a trailing slash; undefined for AWS. */
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  /** Explicit credentials; undefined means the SDK's default credential chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly serverSideEncryption?: typeof S3_SSE_MODES[number];
  readonly kmsKeyId?: string;
  readonly storageClass?: typeof S3_STORAGE_CLASSES[number];
  readonly partSizeBytes: number;
  readonly uploadConcurrency: number;
  readonly maxRetries: number;
}

/** Resolves defaults (path style, credentials) of a validated section; pure. */
export function s3ClientSettings(config: Config): S3ClientSettings {
  const endpoint = config.endpoint_url?.replace(/\/+$/, "");
  const credentials = config.aws_access_key_id && config.aws_secret_access_key
    ? {
      accessKeyId: config.aws_access_key_id,
      secretAccessKey: config.aws_secret_access_key,
      ...(config.aws_session_token ? { sessionToken: config.aws_session_token } : {}),
    }
    : undefined;
  return {
    bucket: config.bucket,
    prefix: normalizePrefix(config.prefix),
    region: config.region_name,
    endpoint,
    forcePathStyle: config.force_path_style ?? endpoint !== undefined,
    credentials,
    serverSideEncryption: config.server_side_encryption,
    kmsKeyId: config.sse_kms_key_id,
    storageClass: config.storage_class,
    partSizeBytes: config.part_size_mb * 1024 * 1024,
    uploadConcurrency: config.upload_concurrency,
    maxRetries: config.max_retries,
  };
}
