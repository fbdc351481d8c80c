/**
 * A value loaded in the background at most every few seconds, for the synchronous `Source.lag()`: reading it never
 * waits and never throws, and a failed load keeps the previous value. Shared by the Kafka and Redis sources.
 * @module
 */
import type { Logger } from "../../core/logger.ts";

/** Default least time between two loads, ms. */
export const LAG_REFRESH_MS = 5000;

/** Options of {@linkcode BackgroundRefresh}. */
export interface BackgroundRefreshOptions<T> {
  /** Fetches a fresh value; a rejection is logged at debug and the previous value stays. */
  readonly load: () => Promise<T>;
  /** What is loaded, for the debug log line, e.g. `Kafka high watermarks`. */
  readonly what: string;
  /** Logger of the source. */
  readonly log: Logger;
  /** Least time between the starts of two loads, ms; default {@linkcode LAG_REFRESH_MS}. */
  readonly intervalMs?: number;
  /** Clock in ms; replaceable in tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** A cached value refreshed in the background when read after its interval; one load at a time. */
export class BackgroundRefresh<T> {
  readonly #o: BackgroundRefreshOptions<T>;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #value?: T;
  #startedAt = -Infinity;
  #inFlight?: Promise<void>;
  #stopped = false;

  constructor(options: BackgroundRefreshOptions<T>) {
    this.#o = options;
    this.#intervalMs = options.intervalMs ?? LAG_REFRESH_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The last loaded value (undefined until a load succeeded). Starts a load when none runs and the last one started
   * at least the interval ago, so the answer is at most about one interval old while it is being read.
   */
  get(): T | undefined {
    if (!this.#stopped && !this.#inFlight && this.#now() - this.#startedAt >= this.#intervalMs) this.#start();
    return this.#value;
  }

  /** Resolves once the load in flight, if any, has finished (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    await this.#inFlight;
  }

  /** Starts no more loads (the connection is closing); the last value stays readable. */
  stop(): void {
    this.#stopped = true;
  }

  #start(): void {
    this.#startedAt = this.#now();
    let load: Promise<T>;
    try {
      load = this.#o.load();
    } catch (error) {
      load = Promise.reject(error);
    }
    this.#inFlight = load.then(
      (value) => {
        this.#value = value;
      },
      (error) => {
        if (!this.#stopped) this.#o.log.debug({ error }, `Cannot refresh ${this.#o.what}; keeping the last values`);
      },
    ).finally(() => {
      this.#inFlight = undefined;
    });
  }
}
