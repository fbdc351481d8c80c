/**
 * Runs one pipeline from a validated configuration: builds the source and sink from the registry, connects them,
 * moves records until done or aborted, and closes everything.
 * @module
 */
import type { AppConfig } from "../config/app_config.ts";

/** Options of {@linkcode runPipeline}. */
export interface RunOptions {
  /** Aborted on SIGINT/SIGTERM: finish what is in hand, write it, acknowledge it, return. */
  readonly signal: AbortSignal;
}

/** What a run did. */
export interface RunSummary {
  readonly messagesRead: number;
  readonly recordsWritten: number;
  readonly filesWritten: number;
  readonly bytesWritten: number;
  readonly recordsFailed: number;
  readonly recordsDeadLettered: number;
  /** Paths (relative to the sink root) of the data files written. */
  readonly files: readonly string[];
}

/** Runs the pipeline described by `config` until the source ends, a limit is reached or `signal` aborts. */
export function runPipeline(_config: AppConfig, _options: RunOptions): Promise<RunSummary> {
  return Promise.reject(new Error("runPipeline: not implemented yet"));
}
