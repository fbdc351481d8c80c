/**
 * The `run` command: load the configuration, set up logging, run the pipeline until it ends or a signal asks it
 * to stop, and log the summary. The first SIGINT/SIGTERM aborts the run gracefully (what is in hand is written and
 * acknowledged); a second one exits at once with code 130. Copies of one signal that arrive together count once:
 * Ctrl-C on `deno task run` reaches the tool twice within a millisecond (from the terminal to the whole process
 * group, and forwarded by `deno task`), which must not read as a person pressing Ctrl-C twice.
 * @module
 */
import type { LoadedConfig } from "../config/app_config.ts";
import type { RunSummary } from "../pipeline/pipeline.ts";
import type { RunOptions } from "../pipeline/run.ts";
import { configureLogging, counted, parseLogLevel, rootLogger } from "../telemetry/log.ts";
import { EXIT } from "./exit.ts";
import { COMMIT } from "./version.ts";

/** Subscribes to stop signals; returns a function that unsubscribes. */
export type SignalSubscriber = (listener: (signal: string) => void) => () => void;

/** Options of {@linkcode runCommand}. */
export interface RunCommandOptions {
  /** The pipeline to run; default `runPipeline` from `src/pipeline/run.ts`. */
  readonly runPipeline?: (config: LoadedConfig["config"], options: RunOptions) => Promise<RunSummary>;
  /** Stop signals; default SIGINT and SIGTERM of this process. */
  readonly signals?: SignalSubscriber;
  /** Called with 130 on a second signal; default: nothing (the caller decides). */
  readonly exit?: (code: number) => void;
  /** Environment for the standard `OTEL_*` variables telemetry reads; default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Copies of the same signal closer together than this are one signal (a person cannot press Ctrl-C that fast). */
export const SIGNAL_BURST_MS = 200;

const STOP_SIGNALS: readonly Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

/** Ignores a stop signal that arrives after the run finished, while the process is exiting. */
function ignoreLateSignal(): void {}

/**
 * SIGINT and SIGTERM of this process (SIGINT only on Windows). Unsubscribing leaves a no-op listener in place:
 * without any listener the default action would come back, and a signal racing a clean finish (stdin closed and
 * SIGINT sent together) would turn exit code 0 into a kill.
 */
export const processSignals: SignalSubscriber = (listener) => {
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => listener(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) {
      Deno.addSignalListener(signal, ignoreLateSignal);
      Deno.removeSignalListener(signal, handler);
    }
  };
};

/** Runs the pipeline of a loaded configuration; returns the exit code. A runtime failure is thrown. */
export async function runCommand(loaded: LoadedConfig, options: RunCommandOptions = {}): Promise<number> {
  const { config, warnings } = loaded;
  configureLogging({
    level: parseLogLevel(config.telemetry.log_level),
    format: config.telemetry.log_format,
  });
  const log = rootLogger.child("cli");
  for (const warning of warnings) log.warn({}, warning);
  log.info({ source: config.source.type, sink: config.sink.type }, "Starting pipeline");

  const controller = new AbortController();
  let received = 0;
  const lastSeen = new Map<string, number>();
  const unsubscribe = (options.signals ?? processSignals)((signal) => {
    const now = performance.now();
    const last = lastSeen.get(signal);
    lastSeen.set(signal, now);
    if (last !== undefined && now - last < SIGNAL_BURST_MS) {
      log.debug({ signal, after_ms: Math.round(now - last) }, "Same signal again at once: counted once");
      return;
    }
    received += 1;
    if (received === 1) {
      log.info({ signal }, "Stopping: writing what is in hand, then exiting (send again to exit at once)");
      controller.abort(new Error(`Stopped by ${signal}`));
    } else {
      log.warn({ signal }, "Second signal: exiting at once without writing what is in hand");
      options.exit?.(EXIT.interrupted);
    }
  });
  try {
    // Loaded on demand so that validate, --help and --version never load the pipeline (Arrow, Parquet WASM).
    const runner = options.runPipeline ?? (await import("../pipeline/run.ts")).runPipeline;
    const { withTelemetry } = await import("../telemetry/mod.ts");
    const summary = await withTelemetry(
      config.telemetry,
      (telemetry) => runner(config, { signal: controller.signal, telemetry }),
      { configureLogging: false, env: options.env, commit: COMMIT },
    );
    log.info({
      messages_read: summary.messagesRead,
      records_written: summary.recordsWritten,
      files_written: summary.filesWritten,
      bytes_written: summary.bytesWritten,
      records_failed: summary.recordsFailed,
      records_dead_lettered: summary.recordsDeadLettered,
      stopped_by_signal: controller.signal.aborted,
    }, "Pipeline finished");
    if (summary.incomplete?.length) {
      log.error(
        { exit_code: EXIT.incomplete, held: summary.incomplete },
        `One-shot drain incomplete: ${summary.incomplete.join("; ")}`,
      );
      return EXIT.incomplete;
    }
    if (config.pipeline.error_handling === "log" && summary.recordsFailed > 0) {
      log.error(
        { records_failed: summary.recordsFailed, exit_code: EXIT.recordsFailed },
        `${counted(summary.recordsFailed, "record")} failed and skipped (error_handling: log)`,
      );
      return EXIT.recordsFailed;
    }
    return EXIT.ok;
  } catch (error) {
    if (log.enabled("DEBUG") && error instanceof Error) log.debug({ stack: error.stack }, "Pipeline failed");
    throw error;
  } finally {
    unsubscribe();
  }
}
