/**
 * The contract of `fs-data-sink check`: each source and sink plugin probes what its configuration names (servers,
 * credentials, topics, keys, buckets, folders) without consuming, committing or writing data, and answers one
 * {@linkcode CheckResult} per probe. The CLI prints one line per result and turns them into an exit code.
 * @module
 */
import { ConfigError } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** The outcome of one probe. `name` says what was probed, e.g. `kafka brokers` or `s3 bucket "lake"`. */
export type CheckResult =
  /** The probe passed; `detail` says what was found. */
  | { readonly kind: "ok"; readonly name: string; readonly detail: string }
  /** The probe passed, with something an operator should know (a key that does not exist yet). Exit 0. */
  | { readonly kind: "warning"; readonly name: string; readonly detail: string; readonly hint?: string }
  /**
   * The configuration is wrong: an address where nothing listens or that does not resolve, refused credentials, a
   * missing bucket, topic or right, a key of the wrong type. Exit 2.
   */
  | { readonly kind: "misconfigured"; readonly name: string; readonly cause: string; readonly hint?: string }
  /** The probe failed otherwise (a timeout, a server error, anything unexpected). Exit 1. */
  | { readonly kind: "failed"; readonly name: string; readonly cause: string; readonly hint?: string }
  /** Not run, because a probe it needs failed first. */
  | { readonly kind: "skipped"; readonly name: string; readonly reason: string };

/** Context of a source plugin's `check`. */
export interface CheckContext {
  /** Logger named for the plugin; probes log at debug level at most. */
  readonly log: Logger;
  /** Longest time one probe may take before it counts as failed, ms. */
  readonly timeoutMs: number;
}

/** True for the results that make `check` fail. */
export function isCheckFailure(result: CheckResult): boolean {
  return result.kind === "misconfigured" || result.kind === "failed";
}

/**
 * The failed result of a probe that threw: a {@linkcode ConfigError} is `misconfigured` with its hint, anything
 * else `failed`, both with the error's message as the cause.
 */
export function checkFailure(name: string, error: unknown, hint?: string): CheckResult {
  const cause = error instanceof Error ? error.message : String(error);
  if (error instanceof ConfigError) return { kind: "misconfigured", name, cause, hint: error.hint ?? hint };
  return { kind: "failed", name, cause, hint };
}

/** Rejects with a `failed`-kind error when `work` takes longer than `ms`; the work itself is not cancelled. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A late failure of abandoned work must not surface as an unhandled rejection.
  work.catch(() => {});
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
