/**
 * The `check` command: asks the source and sink plugins (and the OTLP export, when telemetry is on) to probe what
 * the configuration names, without consuming, committing or writing data, and prints one line per probe:
 *
 * ```
 * ok       source  kafka brokers: 127.0.0.1:9092 answers: 3 brokers, cluster id ...
 * failed   sink    s3 bucket "lake": the bucket does not exist at http://minio:9000 (hint: create the bucket, ...)
 * skipped  sink    s3 write probe: needs the step above
 * ```
 *
 * Exit code: 0 when every probe passes (warnings included), 2 when one fails because of the configuration (an
 * address where nothing listens, refused credentials, a missing bucket, topic or right), 1 when one fails otherwise.
 * @module
 */
import type { LoadedConfig } from "../config/app_config.ts";
import { type CheckResult, isCheckFailure } from "../core/check.ts";
import { ConfigError } from "../core/errors.ts";
import { findSink, findSource } from "../core/registry.ts";
import { configureLogging, counted, parseLogLevel, rootLogger } from "../telemetry/log.ts";
import { checkOtlp } from "../telemetry/otlp_check.ts";
import { outputPaths } from "../pipeline/layout.ts";
import { EXIT } from "./exit.ts";

/** Longest time one probe may take by default, ms. */
export const CHECK_TIMEOUT_MS = 10_000;

/** Options of {@linkcode checkCommand}. */
export interface CheckCommandOptions {
  /** Writes the report; default the process stdout. */
  readonly stdout: (text: string) => void;
  /** Environment for the standard `OTEL_*` variables; default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Longest time one probe may take, ms; default {@linkcode CHECK_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** A probe's result with the part of the configuration it belongs to. */
export interface SectionResult {
  /** `source`, `sink` or `telemetry`. */
  readonly section: string;
  readonly result: CheckResult;
}

/** Runs every probe of a loaded configuration, prints one line each; returns the exit code. */
export async function checkCommand(loaded: LoadedConfig, options: CheckCommandOptions): Promise<number> {
  const { config } = loaded;
  // The report is the output; plugin logs only at error level, unless asked for debugging.
  const debug = parseLogLevel(config.telemetry.log_level) === "DEBUG";
  configureLogging({ level: debug ? "DEBUG" : "ERROR", format: config.telemetry.log_format });
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const log = rootLogger.child("check");
  const source = findSource(config.source.type);
  const sink = findSink(config.sink.type);
  if (!source) throw new ConfigError(`Unknown source type "${config.source.type}"`);
  if (!sink) throw new ConfigError(`Unknown sink type "${config.sink.type}"`);
  const [sourceResults, sinkResults, otlpResults] = await Promise.all([
    source.check(config.source, { log: log.child(`source.${source.type}`), timeoutMs }),
    sink.check(config.sink, { log: log.child(`sink.${sink.type}`), timeoutMs, paths: outputPaths }),
    checkOtlp(config.telemetry, { env: options.env ?? Deno.env.toObject(), timeoutMs }),
  ]);
  const results: SectionResult[] = [
    ...sourceResults.map((result) => ({ section: "source", result })),
    ...sinkResults.map((result) => ({ section: "sink", result })),
    ...otlpResults.map((result) => ({ section: "telemetry", result })),
  ];
  for (const line of results.map(formatCheckLine)) options.stdout(line + "\n");
  const code = checkExitCode(results.map((r) => r.result));
  options.stdout(summaryLine(results.map((r) => r.result), code) + "\n");
  return code;
}

/** The exit code of a set of results: 2 for any configuration fault, else 1 for any failure, else 0. */
export function checkExitCode(results: readonly CheckResult[]): number {
  if (results.some((r) => r.kind === "misconfigured")) return EXIT.usage;
  if (results.some((r) => r.kind === "failed")) return EXIT.failure;
  return EXIT.ok;
}

const LABELS: Record<CheckResult["kind"], string> = {
  ok: "ok",
  warning: "warning",
  misconfigured: "failed",
  failed: "failed",
  skipped: "skipped",
};

/** One line of the report: status, section, what was probed, then the finding, cause or reason and the hint. */
export function formatCheckLine({ section, result }: SectionResult): string {
  const head = `${LABELS[result.kind].padEnd(8)} ${section.padEnd(9)} ${result.name}: `;
  switch (result.kind) {
    case "ok":
      return head + result.detail;
    case "warning":
      return head + result.detail + hintOf(result.hint);
    case "misconfigured":
    case "failed":
      return head + result.cause + hintOf(result.hint);
    case "skipped":
      return head + result.reason;
  }
}

function hintOf(hint: string | undefined): string {
  return hint ? ` (hint: ${hint})` : "";
}

function summaryLine(results: readonly CheckResult[], code: number): string {
  const count = (kind: CheckResult["kind"]) => results.filter((r) => r.kind === kind).length;
  const failed = results.filter(isCheckFailure).length;
  const parts = [`${count("ok") + count("warning")} of ${counted(results.length, "check")} passed`];
  if (count("warning") > 0) parts.push(counted(count("warning"), "warning"));
  if (failed > 0) {
    const why = count("misconfigured") > 0 ? "configuration" : "unavailable or failing";
    parts.push(`${failed} failed (${why})`);
  }
  if (count("skipped") > 0) parts.push(`${count("skipped")} skipped`);
  return `check: ${parts.join(", ")}; exit ${code}`;
}
