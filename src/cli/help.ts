/**
 * The `--help` text: commands, every flag, the source and sink types from the registry, and the environment
 * variables (global ones and those of each plugin).
 * @module
 */
import { listSinks, listSources } from "../core/registry.ts";
import { GLOBAL_ENV_VARS, OBSOLETE_ENV_VARS } from "../config/env_vars.ts";
import { COMMANDS, FLAGS } from "./flags.ts";
import { PROGRAM, versionText } from "./version.ts";

function table(rows: readonly [string, string][], indent = "  "): string[] {
  const width = Math.min(36, Math.max(0, ...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) =>
    left.length > width
      ? `${indent}${left}\n${indent}${" ".repeat(width)}  ${right}`
      : `${indent}${left.padEnd(width)}  ${right}`
  );
}

/** The usage lines of the help text, indented. */
export function usageLines(): string[] {
  return [
    `  ${PROGRAM} [run] [--config FILE] [flags]`,
    `  ${PROGRAM} validate --config FILE [flags]`,
    `  ${PROGRAM} check --config FILE [flags]`,
    `  ${PROGRAM} preview --config FILE [-n N] [--rows N] [flags]`,
    `  ${PROGRAM} compact --config FILE [--older-than 1h] [--target-file-size 256MiB] [--retain 1d] [--table NAME]`,
  ];
}

/** The whole help text. */
export function helpText(): string {
  const lines: string[] = [
    `${versionText()}: moves records from Kafka/Redpanda and Redis into Parquet files on S3, HDFS or a local folder.`,
    "",
    "Usage:",
    ...usageLines(),
    "",
    "Commands:",
    ...table(Object.entries(COMMANDS)),
    "",
    "Flags (a flag wins over the environment, which wins over the file, which wins over defaults):",
    ...table(
      FLAGS.map((f) => [`${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.arg ? ` ${f.arg}` : ""}`, f.summary]),
    ),
    "",
    "Source types (source.type):",
    ...typeRows(listSources()),
    "",
    "Sink types (sink.type):",
    ...typeRows(listSinks()),
    "",
    "Environment variables:",
    ...table(GLOBAL_ENV_VARS.map((v) => [v.env, v.summary])),
  ];
  for (const plugin of listSources()) lines.push(...pluginEnv("source", plugin.type, plugin.env));
  for (const plugin of listSinks()) lines.push(...pluginEnv("sink", plugin.type, plugin.env));
  lines.push(
    "",
    "Accepted but ignored (from the Redpanda collector): " + Object.keys(OBSOLETE_ENV_VARS).join(", "),
    "",
    "Exit codes: 0 done, 1 runtime failure, 2 bad usage or configuration, 3 records failed under error_handling: log,",
    "4 a one-shot drain left records another consumer holds, 130 a second signal.",
    "check: 0 every probe passed, 2 a probe failed because of the configuration (address, credentials, missing",
    "bucket/topic/key), 1 a probe failed otherwise (timeout, server error).",
    "Config values may use ${VAR} and ${VAR:-default}. Secrets are never printed.",
  );
  return lines.join("\n") + "\n";
}

function typeRows(plugins: readonly { type: string; summary: string }[]): string[] {
  return plugins.length ? table(plugins.map((p) => [p.type, p.summary])) : ["  (none registered)"];
}

function pluginEnv(
  section: string,
  type: string,
  env: readonly { env: string; key: string }[],
): string[] {
  if (env.length === 0) return [];
  return [
    `  when ${section}.type is ${type}:`,
    ...table(env.map((binding) => [binding.env, `${section}.${binding.key}`]), "    "),
  ];
}
