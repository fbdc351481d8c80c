/**
 * How the S3 sink reads the errors of the AWS SDK: which ones deserve a retry, which mean "missing" or "denied",
 * and how to describe one in a message without leaking a secret or a signature. Pure: it inspects error shapes
 * (`name`, `code`, `$metadata.httpStatusCode`) and never imports the SDK.
 * @module
 */

/** What went wrong, as far as the sink cares. */
export type S3ErrorKind =
  /** The object or the bucket does not exist (404, NoSuchKey, NoSuchBucket, NotFound). */
  | "not_found"
  /** Credentials unknown, wrong or not allowed (403, AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch). */
  | "access_denied"
  /** The server asks the client to slow down (429, 503 SlowDown, Throttling). */
  | "throttled"
  /** The server failed (other 5xx, InternalError). */
  | "server"
  /** The connection failed or timed out before an answer (refused, reset, DNS, timeout). */
  | "network"
  /** No credentials could be found by the SDK's default chain. */
  | "no_credentials"
  /** Anything else: a client error that another try would not fix. */
  | "other";

const ACCESS_DENIED_CODES = new Set([
  "AccessDenied",
  "Forbidden",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
  "AccountProblem",
  "InvalidSecurity",
]);
const NOT_FOUND_CODES = new Set(["NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload"]);
const THROTTLE_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "ProvisionedThroughputExceededException",
]);
const TRANSIENT_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "XMinioServerNotInitialized",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The HTTP status of an SDK error, if the server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as ErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** The error code (`NoSuchKey`, `ECONNREFUSED`, ...) of an SDK or network error, if any. */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const shape = error as ErrorShape;
  for (const candidate of [shape.Code, shape.code]) {
    if (typeof candidate === "string" && candidate) return candidate;
  }
  if (typeof shape.name === "string" && shape.name && shape.name !== "Error") return shape.name;
  const cause = shape.cause as ErrorShape | undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  return undefined;
}

/** Sorts an SDK error into the kinds the sink acts on. */
export function classifyS3Error(error: unknown): S3ErrorKind {
  const code = errorCodeOf(error) ?? "";
  const status = httpStatusOf(error);
  const message = String((error as ErrorShape | null)?.message ?? "");
  if (code === "CredentialsProviderError" || /Could not load credentials/i.test(message)) return "no_credentials";
  if (NOT_FOUND_CODES.has(code) || status === 404) return "not_found";
  if (ACCESS_DENIED_CODES.has(code) || status === 403 || status === 401) return "access_denied";
  if (THROTTLE_CODES.has(code) || status === 429 || (status === 503 && code === "SlowDown")) return "throttled";
  // 501 NotImplemented (e.g. encryption the store cannot do) will not change on another try.
  if (code === "NotImplemented" || status === 501) return "other";
  if (TRANSIENT_CODES.has(code) || (status !== undefined && status >= 500)) return "server";
  if (NETWORK_CODES.has(code) || (status === undefined && isNetworkMessage(message))) return "network";
  return "other";
}

function isNetworkMessage(message: string): boolean {
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|network|connection|timed? ?out/i
    .test(message);
}

/** True for throttling, 5xx and connection errors: another try may succeed. */
export function isRetriableS3Error(error: unknown): boolean {
  const kind = classifyS3Error(error);
  return kind === "throttled" || kind === "server" || kind === "network";
}

/**
 * Removes what must never reach a log: the given secrets (secret key, session token), and the signature and
 * credential parts of any signed URL or Authorization header.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("***");
  }
  return out
    .replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, "$1***")
    .replace(/(Signature=)[0-9a-f]{16,}/gi, "$1***")
    .replace(/(AWS4-HMAC-SHA256\s+Credential=)[^\s,]+/gi, "$1***");
}

/**
 * One line describing an SDK error for a message: its code, its HTTP status and the server's text, redacted,
 * e.g. `InvalidAccessKeyId (HTTP 403): The Access Key Id you provided does not exist in our records.`
 */
export function describeS3Error(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  const code = errorCodeOf(error);
  const status = httpStatusOf(error);
  let message = String((error as ErrorShape | null)?.message ?? error ?? "");
  // HEAD requests carry no body, so the SDK's message is just the code or "UnknownError": say the status instead.
  if (message === code || message === "UnknownError") message = "";
  const head = [code, status !== undefined ? `(HTTP ${status})` : undefined].filter(Boolean).join(" ");
  const text = head && message ? `${head}: ${message}` : head || message || "unknown error";
  return redact(text, secrets);
}
