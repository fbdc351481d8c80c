/**
 * Runs one pipeline from a validated configuration: builds the source and sink from the registry, connects them,
 * moves records until done or aborted, and closes everything.
 * @module
 */
import type { AppConfig } from "../config/app_config.ts";
import { rootLogger } from "../telemetry/log.ts";
import { startProgress } from "../telemetry/progress.ts";
import { instrumentSink, instrumentSource, pipelineHooks } from "./instrument.ts";
import { ATTR, SPAN, type Telemetry } from "../telemetry/mod.ts";
import { ConfigError } from "../core/errors.ts";
import { DEFAULT_PROGRESS_INTERVAL_SECONDS } from "../core/plugin.ts";
import { outputPaths } from "./layout.ts";
import { Pipeline, type PipelineHooks, type RunSummary } from "./pipeline.ts";
import { findSink, findSource } from "../core/registry.ts";
import { icebergLog, parquetEncoder, startMaintenance } from "../table/iceberg/mod.ts";

/** Options of {@linkcode runPipeline}. */
export interface RunOptions {
  /** Aborted on SIGINT/SIGTERM: finish what is in hand, write it, acknowledge it, return. */
  readonly signal: AbortSignal;
  /** Telemetry hooks (metrics, health). */
  readonly hooks?: PipelineHooks;
  /** Called once source and sink are connected (readiness). */
  readonly onConnected?: () => void;
  /** Spans around the run and the source and sink calls, batch metrics, readiness; default: none. */
  readonly telemetry?: Telemetry;
}

/** Runs the pipeline described by `config` until the source ends, a limit is reached or `signal` aborts. */
export function runPipeline(config: AppConfig, options: RunOptions): Promise<RunSummary> {
  const telemetry = options.telemetry;
  if (!telemetry) return runPlugins(config, options);
  const attrs = { [ATTR.sourceType]: config.source.type, [ATTR.sinkType]: config.sink.type };
  return telemetry.withSpan(SPAN.pipelineRun, attrs, () => runPlugins(config, options, telemetry));
}

async function runPlugins(config: AppConfig, options: RunOptions, telemetry?: Telemetry): Promise<RunSummary> {
  const sourcePlugin = findSource(config.source.type);
  const sinkPlugin = findSink(config.sink.type);
  if (!sourcePlugin) throw new ConfigError(`Unknown source type "${config.source.type}"`);
  if (!sinkPlugin) throw new ConfigError(`Unknown sink type "${config.sink.type}"`);
  const log = rootLogger.child("pipeline");
  let source = await sourcePlugin.create(config.source, {
    untilCaughtUp: config.pipeline.until_caught_up,
    log: rootLogger.child(`source.${sourcePlugin.type}`),
  });
  let sink = await sinkPlugin.create(config.sink, {
    log: rootLogger.child(`sink.${sinkPlugin.type}`),
    paths: outputPaths,
  });
  if (telemetry) {
    source = instrumentSource(source, telemetry);
    sink = instrumentSink(sink, telemetry);
  }
  let progress: { stop(): void } | undefined;
  let maintenance: { stop(): Promise<void> } | undefined;
  try {
    await sink.connect();
    await source.connect();
    options.onConnected?.();
    const snapshot = source.progress?.bind(source);
    if (snapshot) {
      progress = startProgress(snapshot, {
        mode: config.source.progress ?? "auto",
        intervalMs: (config.source.progress_interval_seconds ?? DEFAULT_PROGRESS_INTERVAL_SECONDS) * 1000,
        log: rootLogger.child("progress"),
      });
    }
    telemetry?.health.markReady();
    log.info({ source: sourcePlugin.type, sink: sinkPlugin.type, compression: config.sink.compression }, "Started");
    const delivery = config.sink.table_format === "iceberg"
      ? icebergLog(sink, config.sink, {
        log: rootLogger.child("iceberg"),
        metadataColumns: source.metadataColumns,
        probePath: outputPaths.probePath,
      })
      : undefined;
    const compaction = config.pipeline.compaction;
    if (delivery && compaction.interval_seconds !== null) {
      maintenance = startMaintenance(delivery, {
        intervalMs: compaction.interval_seconds * 1000,
        olderThanMs: compaction.older_than_seconds * 1000,
        targetFileBytes: compaction.target_file_bytes,
        retainMs: compaction.retain_seconds * 1000,
        encode: parquetEncoder(config.sink),
        log: rootLogger.child("compaction"),
      });
    }
    const pipeline = new Pipeline(source, sink, {
      pipeline: config.pipeline,
      sink: config.sink,
      valueFormat: config.source.value_format,
      recordsPerFile: config.source.batch_size,
      log,
      hooks: options.hooks ?? (telemetry && pipelineHooks(telemetry)),
      delivery,
    });
    return await pipeline.run(options.signal);
  } finally {
    // The final state is drawn before the closing log lines, which then go below the bars.
    progress?.stop();
    await maintenance?.stop();
    await Promise.allSettled([source.close(), sink.close()]);
  }
}
