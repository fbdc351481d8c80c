/**
 * The command line: commands, flags and what each flag sets. Only flags given explicitly become values, so a flag
 * never overrides the environment or the file unless the user typed it.
 * @module
 */
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../core/errors.ts";
import type { FlagValue } from "../config/load.ts";
import { didYouMean } from "../config/suggest.ts";

/** Commands. `run` is the default. */
export const COMMANDS = {
  run: "Run the pipeline (the default command)",
  validate: "Check the configuration and print it, merged, with secrets masked and each value's origin",
  check: "Connect to everything the configuration names, consuming and writing nothing; one line per probe",
  preview: "Read up to -n records without acknowledging them; print the schema, the files a run would write, rows",
  compact: "Iceberg tables: rewrite small files into large ones, expire old snapshots, delete unreferenced files",
  help: "Print this help",
  version: "Print the version",
} as const;
/** A command name. */
export type Command = keyof typeof COMMANDS;

/** One flag: its name, argument, what it sets and its help line. */
export interface FlagSpec {
  /** Long name without dashes. */
  readonly name: string;
  /** One-letter alias. */
  readonly short?: string;
  /** Argument placeholder for help; absent for switches. */
  readonly arg?: string;
  /** The key it sets, section first. */
  readonly path?: readonly string[];
  /** May be repeated. */
  readonly multiple?: boolean;
  /** Help line. */
  readonly summary: string;
}

/** Flag names used more than once. */
export const FLAG_CONFIG = "config";
/** The generic override flag. */
export const FLAG_SET = "set";
/** `preview`: records to read. */
export const FLAG_RECORDS = "records";
/** `preview`: rows to show. */
export const FLAG_ROWS = "rows";
/** `compact` flags and their defaults. */
export const COMPACT_FLAGS = {
  "older-than": "1h",
  "target-file-size": "256MiB",
  retain: "1d",
  table: "",
} as const;
/** A `compact` flag name. */
export type CompactFlag = keyof typeof COMPACT_FLAGS;

/** Every flag, in the order `--help` lists them. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: FLAG_CONFIG,
    short: "c",
    arg: "FILE",
    summary: "Configuration file, YAML or INI (.yaml .yml .ini .cfg .conf)",
  },
  { name: "source-type", arg: "TYPE", path: ["source", "type"], summary: "Source type (source.type)" },
  { name: "sink-type", arg: "TYPE", path: ["sink", "type"], summary: "Sink type (sink.type)" },
  { name: "max-batches", arg: "N", path: ["pipeline", "max_batches"], summary: "Stop after N batches written" },
  { name: "max-messages", arg: "N", path: ["pipeline", "max_messages"], summary: "Stop after N messages read" },
  { name: "batch-size", arg: "N", path: ["source", "batch_size"], summary: "Records per file at most" },
  {
    name: "compression",
    arg: "CODEC",
    path: ["sink", "compression"],
    summary: "Parquet codec: snappy, gzip, brotli, zstd, lz4, none",
  },
  {
    name: "log-level",
    arg: "LEVEL",
    path: ["telemetry", "log_level"],
    summary: "DEBUG, INFO, WARNING, ERROR or CRITICAL",
  },
  { name: "log-format", arg: "FORMAT", path: ["telemetry", "log_format"], summary: "Log lines as text or json" },
  {
    name: "until-caught-up",
    path: ["pipeline", "until_caught_up"],
    summary: "One-shot run: read every stream up to its end at start, write, acknowledge, exit",
  },
  {
    name: "error-handling",
    arg: "POLICY",
    path: ["pipeline", "error_handling"],
    summary: "Undecodable records: log, raise, ignore or dead_letter",
  },
  {
    name: FLAG_SET,
    arg: "SECTION.KEY=VALUE",
    multiple: true,
    summary: "Set any key, e.g. --set source.topics=[a,b] or --set pipeline.max_batches=10; repeatable",
  },
  { name: FLAG_RECORDS, short: "n", arg: "N", summary: "preview: records to read at most (default 100)" },
  { name: FLAG_ROWS, arg: "N", summary: "preview: rows to show at most (default 5)" },
  {
    name: "older-than",
    arg: "DURATION",
    summary: "compact: leave files committed more recently than this alone, orphans too (at least 1h) (default 1h)",
  },
  { name: "target-file-size", arg: "SIZE", summary: "compact: size of the files written (default 256MiB)" },
  { name: "retain", arg: "DURATION", summary: "compact: expire snapshots older than this (default 1d)" },
  { name: "table", arg: "NAME", summary: "compact: only this table (default: every table under the sink)" },
  { name: "help", short: "h", summary: "Print this help" },
  { name: "version", short: "V", summary: "Print the version" },
];

/** What the command line asked for. */
export interface CommandLine {
  readonly command: Command;
  /** `--config`, when given. */
  readonly configFile?: string;
  /** Values of the flags given, in command-line order. */
  readonly flags: FlagValue[];
  /** `preview -n`, when given. */
  readonly records?: number;
  /** `preview --rows`, when given. */
  readonly rows?: number;
  /** `compact` flags given, by name. */
  readonly compact?: Partial<Record<CompactFlag, string>>;
}

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parseOptions(): ParseOptions {
  const options: NonNullable<ParseOptions> = {};
  for (const spec of FLAGS) {
    options[spec.name] = {
      type: spec.arg ? "string" : "boolean",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  return options;
}

/**
 * Parses `--set section.key=value`. A value starting with `[`, `{` or a quote is read as YAML (`[a, b]`,
 * `{k: v}`, `"007"`); any other value is text read as the type the schema expects at that key, like an INI value
 * (so `--set sink.prefix=2024` stays a string while `--set pipeline.max_batches=10` is a number, and
 * `--set source.path=-` is the text "-").
 */
export function parseSetFlag(text: string): FlagValue {
  const eq = text.indexOf("=");
  const key = eq < 0 ? text : text.slice(0, eq);
  const path = key.split(".");
  if (eq < 0 || path.length < 2 || path.some((part) => part.trim() === "")) {
    throw new ConfigError(`Invalid --set ${JSON.stringify(text)}: expected SECTION.KEY=VALUE`, {
      hint: "for example --set source.topics=[orders,payments] or --set pipeline.max_batches=10",
    });
  }
  const raw = text.slice(eq + 1);
  const flag = `--set ${key}`;
  if (!/^\s*[[{"']/.test(raw)) return { path, value: raw, text: true, flag };
  try {
    return { path, value: parseYaml(raw), text: false, flag };
  } catch (error) {
    throw new ConfigError(`Invalid ${flag} value ${JSON.stringify(raw)}: ${(error as Error).message}`, {
      hint: "write YAML flow values such as [a, b] or {key: value}, or plain text without brackets",
      cause: error,
    });
  }
}

/** Parses the arguments after the program name; bad usage is a ConfigError. */
export function parseCommandLine(args: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: parseOptions(),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw usageError(error as Error);
  }
  const positionals = parsed.positionals;
  if (positionals.length > 1) {
    throw new ConfigError(`Unexpected argument ${JSON.stringify(positionals[1])}`, {
      hint: "give one command (run, validate, check, preview or compact) and flags; see fs-data-sink --help",
    });
  }
  const name = positionals[0] ?? "run";
  if (!(name in COMMANDS)) {
    const hint = didYouMean(name, Object.keys(COMMANDS));
    throw new ConfigError(`Unknown command ${JSON.stringify(name)}`, {
      hint: `${hint ? hint + " " : ""}commands: ${Object.keys(COMMANDS).join(", ")}`,
    });
  }
  let command = name as Command;
  if (parsed.values.help) command = "help";
  else if (parsed.values.version) command = "version";

  const flags: FlagValue[] = [];
  let configFile: string | undefined;
  const counts: { records?: number; rows?: number } = {};
  const compact: Partial<Record<CompactFlag, string>> = {};
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const spec = FLAGS.find((f) => f.name === token.name);
    if (!spec) continue;
    if (spec.name === FLAG_CONFIG) configFile = token.value;
    else if (spec.name === FLAG_SET) flags.push(parseSetFlag(token.value ?? ""));
    else if (spec.name === FLAG_RECORDS || spec.name === FLAG_ROWS) {
      if (command !== "preview" && command !== "help") {
        throw new ConfigError(`Flag --${spec.name} applies to preview only`, {
          hint: `fs-data-sink preview --config FILE -n 100`,
        });
      }
      counts[spec.name] = positiveCount(spec.name, token.value);
    } else if (spec.name in COMPACT_FLAGS) {
      if (command !== "compact" && command !== "help") {
        throw new ConfigError(`Flag --${spec.name} applies to compact only`, {
          hint: `fs-data-sink compact --config FILE --${spec.name} ${
            COMPACT_FLAGS[spec.name as CompactFlag] || "NAME"
          }`,
        });
      }
      compact[spec.name as CompactFlag] = token.value ?? "";
    } else if (spec.path) {
      flags.push({
        path: spec.path,
        value: spec.arg ? token.value : true,
        text: spec.arg !== undefined,
        flag: `--${spec.name}`,
      });
    }
  }
  return { command, configFile, flags, ...counts, ...(Object.keys(compact).length > 0 ? { compact } : {}) };
}

function positiveCount(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!/^\d+$/.test(text ?? "") || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`Invalid --${flag} ${JSON.stringify(text ?? "")}: expected a whole number of at least 1`, {
      hint: `for example --${flag} 20`,
    });
  }
  return value;
}

function usageError(error: Error): ConfigError {
  const code = (error as { code?: string }).code;
  const unknown = /'(-{1,2}[^' ]+)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const hint = didYouMean(unknown.replace(/^-+/, ""), FLAGS.map((f) => f.name)).replace(/"(.+)"/, '"--$1"');
    return new ConfigError(`Unknown flag ${JSON.stringify(unknown)}`, {
      hint: `${hint ? hint + " " : ""}see fs-data-sink --help for every flag`,
      cause: error,
    });
  }
  return new ConfigError(`Invalid command line: ${error.message}`, {
    hint: "see fs-data-sink --help for every flag",
    cause: error,
  });
}
