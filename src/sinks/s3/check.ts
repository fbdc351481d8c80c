/**
 * `fs-data-sink check` for the S3 sink, one result per step of what `connect()` proves: credentials resolve, the
 * bucket exists and may be accessed (HeadBucket), and an object may be written and deleted under the prefix (a
 * marker at the layout's probe path). Unlike `connect()` it cleans nothing up (stale uploads and probes stay for a
 * run). Requests are retried once at most, so an unreachable store answers within seconds.
 * @module
 */
import { type CheckResult, withTimeout } from "../../core/check.ts";
import type { SinkCheckContext } from "../../core/plugin.ts";
import { type Config, s3ClientSettings } from "./config.ts";
import { classifyS3Error, describeS3Error, errorCodeOf, httpStatusOf } from "./errors.ts";
import { folderKeyPrefix, objectKey } from "./keys.ts";
import { S3Store } from "./store.ts";

/** Names of the three probes, as printed. */
export const S3_CHECKS = { credentials: "s3 credentials", bucket: "s3 bucket", probe: "s3 write probe" } as const;

const PERMISSIONS_HINT = "the sink needs s3:PutObject, s3:GetObject, s3:DeleteObject, s3:ListBucket and " +
  "s3:AbortMultipartUpload on the prefix";

/** Options of {@linkcode checkS3Sink}; for tests. */
export interface CheckS3Options {
  /** The store to probe instead of one built from the config. */
  readonly store?: S3Store;
}

/** Runs the probes of a validated S3 section; never throws. */
export async function checkS3Sink(
  config: Config,
  context: SinkCheckContext,
  options: CheckS3Options = {},
): Promise<CheckResult[]> {
  const settings = { ...s3ClientSettings(config), maxRetries: 1 };
  const secrets = [settings.credentials?.secretAccessKey, settings.credentials?.sessionToken];
  const endpoint = settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`;
  const store = options.store ?? new S3Store(settings);
  const describe = (error: unknown) => describeS3Error(error, secrets);
  const step = <T>(work: Promise<T>, what: string) => withTimeout(work, context.timeoutMs, what);
  const results: CheckResult[] = [];
  const skip = (...names: (keyof typeof S3_CHECKS)[]) =>
    names.map((key): CheckResult => ({ kind: "skipped", name: S3_CHECKS[key], reason: "needs the step above" }));
  try {
    try {
      await step(store.resolveCredentials(), "Cannot resolve AWS credentials");
      const id = await store.accessKeyId();
      results.push({
        kind: "ok",
        name: S3_CHECKS.credentials,
        detail: `access key id "${id ?? "(none)"}" (${settings.credentials ? "from the config" : "default chain"})`,
      });
    } catch (error) {
      results.push({
        kind: "misconfigured",
        name: S3_CHECKS.credentials,
        cause: `no AWS credentials found: ${describe(error)}`,
        hint: "set aws_access_key_id and aws_secret_access_key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), or a " +
          "profile, web identity or instance role for the default credential chain",
      });
      return [...results, ...skip("bucket", "probe")];
    }

    const bucketName = `${S3_CHECKS.bucket} "${settings.bucket}"`;
    try {
      await step(store.headBucket(), `Cannot reach S3 endpoint "${endpoint}"`);
      results.push({ kind: "ok", name: bucketName, detail: `exists at ${endpoint} (region ${settings.region})` });
    } catch (error) {
      let detail = describe(error);
      if (classifyS3Error(error) === "access_denied") {
        // HEAD answers a bare 403; a one-key listing says why (unknown key id, bad signature, policy).
        try {
          await store.listOne(folderKeyPrefix(settings.prefix, ""));
        } catch (listError) {
          if (classifyS3Error(listError) === "access_denied") detail = describe(listError);
        }
      }
      results.push(bucketFailure(bucketName, error, detail, endpoint, settings.region));
      return [...results, ...skip("probe")];
    }

    const key = objectKey(settings.prefix, context.paths.probePath());
    const location = `s3://${settings.bucket}/${key}`;
    for (
      const [action, run] of [
        ["write", () => store.put(key, new TextEncoder().encode("fs-data-sink check probe\n"))],
        ["delete", () => store.delete(key)],
      ] as const
    ) {
      try {
        await step(run(), `Cannot ${action} the probe object "${location}"`);
      } catch (error) {
        const cause = `Cannot ${action} the probe object "${location}": ${describe(error)}`;
        const kind = classifyS3Error(error);
        results.push(
          kind === "access_denied"
            ? { kind: "misconfigured", name: S3_CHECKS.probe, cause, hint: PERMISSIONS_HINT }
            : { kind: "failed", name: S3_CHECKS.probe, cause },
        );
        return results;
      }
    }
    results.push({ kind: "ok", name: S3_CHECKS.probe, detail: `wrote and deleted ${location}` });
    return results;
  } finally {
    if (!options.store) store.close();
  }
}

/**
 * The failed result of HeadBucket: a missing bucket, refused credentials, an endpoint that refuses connections or
 * does not resolve, or a wrong region are configuration faults; a server error or a timeout is a failure.
 */
export function bucketFailure(
  name: string,
  error: unknown,
  detail: string,
  endpoint: string,
  region: string,
): CheckResult {
  const kind = classifyS3Error(error);
  if (kind === "not_found") {
    return {
      kind: "misconfigured",
      name,
      cause: `the bucket does not exist at ${endpoint}`,
      hint: "create the bucket, or fix sink.bucket (S3_BUCKET), region_name or endpoint_url",
    };
  }
  if (kind === "access_denied") {
    return {
      kind: "misconfigured",
      name,
      cause: `access denied: ${detail}`,
      hint: "check aws_access_key_id and aws_secret_access_key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the " +
        "session token if any, and the bucket policy",
    };
  }
  const code = errorCodeOf(error) ?? (error instanceof Error ? errorCodeOf(error.cause) : undefined);
  if (kind === "network" && (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN")) {
    return {
      kind: "misconfigured",
      name,
      cause: `Cannot reach S3 endpoint "${endpoint}": ${detail}`,
      hint: "check endpoint_url (S3_ENDPOINT_URL) and region_name",
    };
  }
  const status = httpStatusOf(error);
  if (status === 301 || status === 400) {
    return {
      kind: "misconfigured",
      name,
      cause: detail,
      hint: `check region_name ("${region}") and endpoint_url`,
    };
  }
  return { kind: "failed", name, cause: `Cannot use the bucket at ${endpoint}: ${detail}` };
}
