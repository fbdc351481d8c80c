/**
 * Retries with exponential backoff and full jitter, shared by the sinks and sources that talk to remote servers;
 * also the one capped backoff ({@linkcode backoffDelay}) and the one abortable wait ({@linkcode sleep}) of those
 * that run their own retry loops. The caller decides which errors are worth another try; everything else is thrown
 * at once.
 * @module
 */

/** Options of {@linkcode retry} and {@linkcode backoffDelay}. */
export interface RetryOptions {
  /** Tries after the first one; 0 means a single try. Default 3. */
  readonly maxRetries?: number;
  /** Delay cap before the first retry in ms; doubles with each retry. Default 100. */
  readonly baseDelayMs?: number;
  /** Largest delay between two tries in ms. Default 5000. */
  readonly maxDelayMs?: number;
  /** Whether an error deserves another try. Default: every error does. */
  readonly isRetriable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log; `attempt` counts from 1 for the first retry. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting and rethrows the last error when aborted. */
  readonly signal?: AbortSignal;
  /** Random source in [0, 1) for the jitter; replaceable in tests. Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Draw each delay at random up to its cap (true, the default) or wait the cap itself (false: a deterministic
   * capped exponential, for loops such as a client's reconnection strategy whose delays are logged and tested).
   */
  readonly jitter?: boolean;
}

/**
 * The wait before retry number `attempt` (1 for the first retry): a random value in [0, cap] where the cap is
 * `baseDelayMs * 2^(attempt-1)` bounded by `maxDelayMs` ("full jitter", so many clients do not retry in step); the
 * cap itself with `jitter: false`.
 */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5000;
  const cap = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  if (options.jitter === false) return cap;
  return Math.round(cap * (options.random ?? Math.random)());
}

/**
 * Runs `fn` until it resolves, an error is not retriable, the retries are spent or `signal` aborts; then throws
 * the last error unchanged (so callers can still match on its type). `fn` gets the attempt number, 0 first.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const retriable = options.isRetriable?.(error) ?? true;
      if (!retriable || attempt >= maxRetries || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt + 1, options);
      options.onRetry?.(error, attempt + 1, delay);
      if (!await sleep(delay, options.signal)) throw error;
    }
  }
}

/** Waits `ms`; resolves true when the time is up, false (early, never rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
