/**
 * Loads the configuration: the file (YAML or INI), then environment variables, then flags, each overriding the one
 * before, over the schemas' defaults. Validates the merged result with the schema of the plugin chosen by
 * `source.type` / `sink.type` and the telemetry and pipeline schemas, and reports every problem at once in one
 * ConfigError, before anything connects.
 *
 * Older keys: `pipeline.flush_interval_seconds` becomes `batch_timeout_seconds` (unless that is set too), and
 * `pipeline.flush_interval_batches` multiplies `source.batch_size` (records per file = batch_size x it); both are
 * removed from the result so nothing applies them twice.
 * @module
 */
import type { z } from "zod";
import type { Compression } from "../core/plugin.ts";
import { ConfigError } from "../core/errors.ts";
import type { EnvBinding, SinkPlugin, SourcePlugin } from "../core/plugin.ts";
import { findSink, findSource, listSinks, listSources } from "../core/registry.ts";
import { checkCompressionLevel } from "../parquet/compression.ts";
import { parseLogLevel } from "../telemetry/log.ts";
import { telemetrySectionSchema } from "../telemetry/config.ts";
import type { AppConfig, LoadedConfig, Origin } from "./app_config.ts";
import { pipelineSectionSchema } from "./pipeline_section.ts";
import { readConfigFile } from "./config_file.ts";
import { coerceText, coerceTextList, parseEnvValue } from "./coerce.ts";
import {
  ENV_SINK_TYPE,
  ENV_SOURCE_TYPE,
  GLOBAL_ENV_VARS,
  OBSOLETE_ENV_VARS,
  type SectionName,
  SECTIONS,
} from "./env_vars.ts";
import { type ConfigEntry, EntryMap, type Problem } from "./layer.ts";
import { DEFAULT_ORIGIN, formatOrigin } from "./origin.ts";
import { schemaAt } from "./schema_walk.ts";
import { describeIssues, envNamesByKey, showOrigin, showValue } from "./_issues.ts";
import { closest } from "./suggest.ts";

/** A value given on the command line. */
export interface FlagValue {
  /** Section and keys, e.g. `["pipeline", "max_batches"]`. */
  readonly path: readonly string[];
  /** The value: text to coerce by the schema when `text` is true, else already typed (`--set` YAML scalars). */
  readonly value: unknown;
  /** True when `value` is text to coerce by the schema's type at `path`. */
  readonly text: boolean;
  /** How the user wrote it, for messages: `--max-batches` or `--set source.topics`. */
  readonly flag: string;
}

/** Options of {@linkcode loadConfig}. */
export interface LoadOptions {
  /** Configuration file (YAML or INI); default: none, so environment and flags only. */
  readonly file?: string;
  /** Environment variables; default: the process environment. Empty values count as unset. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from the command line, only those given explicitly; default: none. */
  readonly flags?: readonly FlagValue[];
}

/** The `type` that selects a plugin for `section`: flag, else environment, else file. */
function selectedType(
  section: "source" | "sink",
  fileEntries: readonly ConfigEntry[],
  env: Readonly<Record<string, string | undefined>>,
  flags: readonly FlagValue[],
): string | undefined {
  const isType = (path: readonly string[]) => path.length === 2 && path[0] === section && path[1] === "type";
  const flag = flags.findLast((f) => isType(f.path));
  if (flag) return String(flag.value);
  const fromEnv = env[section === "source" ? ENV_SOURCE_TYPE : ENV_SINK_TYPE];
  if (fromEnv) return fromEnv;
  const fromFile = fileEntries.findLast((e) => isType(e.path));
  return fromFile && fromFile.value !== null ? String(fromFile.value) : undefined;
}

function envEntry(name: string, text: string, path: readonly string[], kind: EnvBinding["kind"]): ConfigEntry {
  const parsed = parseEnvValue(text, kind);
  return {
    path,
    value: parsed.ok ? parsed.value : text,
    text: !parsed.ok,
    origin: { kind: "env", name },
  };
}

/** Checks the top level: only known sections, each a mapping. */
function checkSections(entries: readonly ConfigEntry[], problems: Problem[]): ConfigEntry[] {
  const kept: ConfigEntry[] = [];
  for (const entry of entries) {
    const section = entry.path[0] ?? "";
    const where = `from ${formatOrigin(entry.origin)}`;
    if (!(SECTIONS as readonly string[]).includes(section)) {
      const near = closest(section, SECTIONS);
      if (!problems.some((p) => p.message.startsWith(`${section}: unknown section`))) {
        problems.push({
          message: `${section}: unknown section (${where})`,
          hint: (near ? `did you mean "${near}"? ` : "") + `valid sections: ${SECTIONS.join(", ")}`,
        });
      }
      continue;
    }
    if (entry.path.length === 1) {
      if (entry.value !== null && !isEmptyMapping(entry.value)) {
        problems.push({
          message: `${section}: expected a mapping of keys, got ${showValue(entry.value, false)} (${where})`,
        });
      }
      continue;
    }
    kept.push(entry);
  }
  return kept;
}

/** `{}`: an empty section, as written by `section: {}`, is the same as leaving it out. */
function isEmptyMapping(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** The plugin for a section's type, or a problem naming the valid types. */
function resolvePlugin<P extends SourcePlugin | SinkPlugin>(
  section: "source" | "sink",
  merged: EntryMap,
  find: (type: string) => P | undefined,
  all: readonly P[],
  problems: Problem[],
): P | undefined {
  const entry = merged.get([section, "type"]);
  const types = all.map((p) => p.type);
  const valid = `valid ${section} types: ${types.length ? types.join(", ") : "(none registered)"}`;
  const flag = `--${section}-type`;
  const envName = section === "source" ? ENV_SOURCE_TYPE : ENV_SINK_TYPE;
  if (!entry || entry.value === null || entry.value === "") {
    problems.push({
      message: `${section}.type: required value is missing`,
      hint: `set ${section}.type in the config file, ${envName} in the environment or ${flag}; ${valid}`,
    });
    return undefined;
  }
  const type = String(entry.value);
  const plugin = find(type);
  if (!plugin) {
    const near = closest(type, types);
    problems.push({
      message: `${section}.type: unknown ${section} type ${JSON.stringify(type)} (${
        showOrigin(merged, [section, "type"])
      })`,
      hint: (near ? `did you mean "${near}"? ` : "") + valid,
    });
  }
  return plugin;
}

/** Loads, merges and validates the configuration; throws a ConfigError listing every problem. */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? Deno.env.toObject();
  const flags = options.flags ?? [];
  const problems: Problem[] = [];
  const warnings: string[] = [];

  // The only I/O: everything after the file is read is pure.
  const file = options.file === undefined ? undefined : await readConfigFile(options.file, env);
  problems.push(...file?.problems ?? []);
  const fileEntries = checkSections(file?.entries ?? [], problems);
  const flagEntries = checkSections(flags.map(flagEntry), problems);
  const sourceType = selectedType("source", fileEntries, env, flags);
  const sinkType = selectedType("sink", fileEntries, env, flags);
  const envEntries = environmentEntries(env, findSource(sourceType ?? ""), sinkType, warnings);

  const merged = new EntryMap();
  for (const entry of [...fileEntries, ...envEntries, ...flagEntries]) merged.set(entry);
  const source = resolvePlugin("source", merged, findSource, listSources(), problems);
  const sink = resolvePlugin("sink", merged, findSink, listSinks(), problems);
  const schemas: Record<SectionName, z.ZodType | undefined> = {
    source: source?.schema,
    sink: sink?.schema,
    telemetry: telemetrySectionSchema,
    pipeline: pipelineSectionSchema,
  };
  applyNullFlags(merged, schemas);
  coerceTextEntries(merged, schemas);
  const validated = validateSections(merged, schemas, { source, sink }, problems);
  checkLogLevel(validated.telemetry, merged, problems);
  checkCompressionLevelOf(validated.sink, merged, problems, warnings);

  if (problems.length > 0) throw configErrorOf(problems);
  const config = validated as unknown as AppConfig;
  const origins = new Map<string, Origin>();
  collectOrigins(config, [], merged, origins);
  applyOlderPipelineKeys(config, merged, origins, warnings);
  return { config, origins, warnings };
}

function flagEntry(flag: FlagValue): ConfigEntry {
  return { path: flag.path, value: flag.value, text: flag.text, origin: { kind: "flag", flag: flag.flag } };
}

/** Entries from the environment: the global table, then the bindings of the selected source and sink plugins. */
function environmentEntries(
  env: Readonly<Record<string, string | undefined>>,
  sourcePlugin: SourcePlugin | undefined,
  sinkType: string | undefined,
  warnings: string[],
): ConfigEntry[] {
  const sinkPlugin = findSink(sinkType ?? "");
  const entries: ConfigEntry[] = [];
  for (const variable of GLOBAL_ENV_VARS) {
    const text = env[variable.env];
    if (text === undefined || text === "") continue;
    if (variable.sinkType !== undefined && variable.sinkType !== sinkType) {
      warnings.push(
        `${variable.env} is ignored: it sets ${variable.path.join(".")} only when sink.type is "${variable.sinkType}"` +
          ` (sink.type is ${JSON.stringify(sinkType ?? null)})`,
      );
      continue;
    }
    entries.push(envEntry(variable.env, text, variable.path, variable.kind));
  }
  for (const [name, reason] of Object.entries(OBSOLETE_ENV_VARS)) {
    if (env[name] !== undefined) warnings.push(`${name} is no longer needed and is ignored: ${reason}`);
  }
  const pluginBindings: [SectionName, readonly EnvBinding[]][] = [
    ["source", sourcePlugin?.env ?? []],
    ["sink", sinkPlugin?.env ?? []],
  ];
  for (const [section, bindings] of pluginBindings) {
    for (const binding of bindings) {
      const text = env[binding.env];
      if (text === undefined || text === "") continue;
      entries.push(envEntry(binding.env, text, [section, ...binding.key.split(".")], binding.kind));
    }
  }
  return entries;
}

/** Text from the environment and flags becomes the type the schema expects at its key. */
function coerceTextEntries(merged: EntryMap, schemas: Record<SectionName, z.ZodType | undefined>): void {
  for (const entry of merged.entries()) {
    if (!entry.text) continue;
    const schema = schemas[entry.path[0] as SectionName];
    const at = schema ? schemaAt(schema, entry.path.slice(1)) : undefined;
    const value = Array.isArray(entry.value)
      ? coerceTextList(entry.value, at)
      : typeof entry.value === "string"
      ? coerceText(entry.value, at)
      : entry.value;
    merged.replaceValue(entry.path, value);
  }
}

/**
 * `--set key=null` on a key that takes null (`pipeline.flatten.hoist_key`) sets null; on any other key it unsets the
 * key: the file's or environment's value no longer counts and the default applies (or the key is reported missing).
 * The text `"null"` in quotes stays text.
 */
function applyNullFlags(merged: EntryMap, schemas: Record<SectionName, z.ZodType | undefined>): void {
  for (const entry of merged.entries()) {
    if (entry.origin.kind !== "flag" || !(entry.value === null || (entry.text && entry.value === "null"))) continue;
    const schema = schemas[entry.path[0] as SectionName];
    const at = schema ? schemaAt(schema, entry.path.slice(1)) : undefined;
    if (at?.safeParse(null).success) merged.replaceValue(entry.path, null);
    else merged.unset(entry.path);
  }
}

/** Each section through its schema; the problems name key, masked value, origin and the env variable to set. */
function validateSections(
  merged: EntryMap,
  schemas: Record<SectionName, z.ZodType | undefined>,
  plugins: { readonly source?: SourcePlugin; readonly sink?: SinkPlugin },
  problems: Problem[],
): Partial<Record<SectionName, Record<string, unknown>>> {
  const secrets: Record<SectionName, readonly string[]> = {
    source: plugins.source?.secrets ?? [],
    sink: plugins.sink?.secrets ?? [],
    telemetry: [],
    pipeline: [],
  };
  const bindings: Record<SectionName, readonly EnvBinding[]> = {
    source: [...(plugins.source?.env ?? []), ...globalBindings("source")],
    sink: [...(plugins.sink?.env ?? []), ...globalBindings("sink")],
    telemetry: globalBindings("telemetry"),
    pipeline: globalBindings("pipeline"),
  };
  const unreadable = new Set(problems.flatMap((p) => p.path ? [p.path.join(".")] : []));
  const validated: Partial<Record<SectionName, Record<string, unknown>>> = {};
  for (const section of SECTIONS) {
    const schema = schemas[section];
    if (!schema) continue;
    const input = merged.sectionObject(section);
    const result = schema.safeParse(input);
    if (result.success) {
      validated[section] = result.data as Record<string, unknown>;
      continue;
    }
    problems.push(...describeIssues(result.error.issues, input, {
      section,
      schema,
      merged,
      secrets: secrets[section],
      envNames: envNamesByKey(bindings[section]),
      unreadable,
    }));
  }
  return validated;
}

/**
 * `telemetry.log_level` becomes its canonical name (`warn` -> `WARNING`), or a problem: checked on the merged value, so
 * an unknown level is reported with every other problem even when another telemetry key failed its schema.
 */
function checkLogLevel(telemetry: Record<string, unknown> | undefined, merged: EntryMap, problems: Problem[]): void {
  const given = merged.sectionObject("telemetry").log_level;
  const text = typeof given === "string" ? given : telemetry?.log_level;
  if (typeof text !== "string") return; // absent (the default applies) or already reported as the wrong type
  const level = parseLogLevel(text);
  if (level) {
    if (telemetry) telemetry.log_level = level;
    return;
  }
  problems.push({
    message: `telemetry.log_level: unknown level ${showValue(text, false)} (${
      showOrigin(merged, ["telemetry", "log_level"])
    })`,
    hint: "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
  });
}

/** `sink.compression_level` must fit the codec; it is checked, and a warning says the writer cannot apply it. */
function checkCompressionLevelOf(
  sink: Record<string, unknown> | undefined,
  merged: EntryMap,
  problems: Problem[],
  warnings: string[],
): void {
  if (sink?.compression_level === undefined) return;
  try {
    checkCompressionLevel(sink.compression as Compression, sink.compression_level as number);
    warnings.push(
      `sink.compression_level ${sink.compression_level} is checked but not applied: the Parquet writer ` +
        `(parquet-wasm) uses the codec's default level`,
    );
  } catch (error) {
    problems.push({
      message: `sink.compression_level: ${(error as Error).message.replace(/^Cannot use /, "cannot use ")} (${
        showOrigin(merged, ["sink", "compression_level"])
      })`,
      hint: "gzip takes 0..9, brotli 0..11, zstd 1..22; snappy, lz4 and none take no level",
    });
  }
}

function globalBindings(section: SectionName): EnvBinding[] {
  return GLOBAL_ENV_VARS.filter((v) => v.path[0] === section).map((v) => ({
    env: v.env,
    key: v.path.slice(1).join("."),
    kind: v.kind,
  }));
}

/** One ConfigError listing every problem, one per line. */
export function configErrorOf(problems: readonly Problem[]): ConfigError {
  const lines = problems.map((p) => `  - ${p.message}${p.hint ? `; ${p.hint}` : ""}`);
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return new ConfigError(`Invalid configuration (${count}):\n${lines.join("\n")}`, {
    hint: "fix the values above; `fs-data-sink validate --config FILE` prints the effective configuration " +
      "and where each value comes from",
  });
}

function collectOrigins(value: unknown, path: string[], merged: EntryMap, out: Map<string, Origin>): void {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) collectOrigins(child, [...path, key], merged, out);
    return;
  }
  if (value === undefined || path.length === 0) return;
  out.set(path.join("."), merged.originEntry(path)?.origin ?? DEFAULT_ORIGIN);
}

function applyOlderPipelineKeys(
  config: AppConfig,
  merged: EntryMap,
  origins: Map<string, Origin>,
  warnings: string[],
): void {
  const pipeline = config.pipeline as Record<string, unknown>;
  const seconds = pipeline.flush_interval_seconds;
  if (typeof seconds === "number") {
    const explicit = merged.originEntry(["pipeline", "batch_timeout_seconds"]);
    const aliasOrigin = origins.get("pipeline.flush_interval_seconds") ?? DEFAULT_ORIGIN;
    if (explicit && pipeline.batch_timeout_seconds !== seconds) {
      warnings.push(
        `pipeline.flush_interval_seconds (${formatOrigin(aliasOrigin)}) is ignored: ` +
          `pipeline.batch_timeout_seconds (${formatOrigin(explicit.origin)}) is set too and wins`,
      );
    } else {
      pipeline.batch_timeout_seconds = seconds;
      origins.set("pipeline.batch_timeout_seconds", aliasOrigin);
    }
  }
  const batches = pipeline.flush_interval_batches;
  if (typeof batches === "number") {
    const sourceSection = config.source as Record<string, unknown>;
    sourceSection.batch_size = config.source.batch_size * batches;
    origins.set("source.batch_size", origins.get("pipeline.flush_interval_batches") ?? DEFAULT_ORIGIN);
  }
  delete pipeline.flush_interval_seconds;
  delete pipeline.flush_interval_batches;
  origins.delete("pipeline.flush_interval_seconds");
  origins.delete("pipeline.flush_interval_batches");
}
