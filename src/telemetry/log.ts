/**
 * Structured logging: text or JSON lines on stderr with the seed's fields (`time`, `level`, `name`, `message`) plus
 * structured fields. Structured fields come first in calls, the short message after. Nothing is logged per record
 * above debug level.
 * @module
 */

import { LOG_LEVELS, type LogFields, type Logger as LoggerContract, type LogLevel } from "../core/logger.ts";

/** Output format of log lines. */
export type LogFormat = "text" | "json";

/** Where log lines go; replaceable in tests. */
export type LogWriter = (line: string) => void;

/**
 * Fields describing the current execution context, added to every line, e.g. `trace_id` and `span_id` of the
 * active span (installed by telemetry setup). Returns undefined when there is nothing to add.
 */
export type LogContextProvider = () => LogFields | undefined;

/** Options of {@linkcode configureLogging}; each one left out keeps its current value. */
export interface LoggingOptions {
  /** Lowest level written. Default `INFO`. */
  level?: LogLevel;
  /** Line format. Default `text`. */
  format?: LogFormat;
  /** Where lines go. Default: stderr. */
  writer?: LogWriter;
  /** Context fields of each line; `null` removes the provider. Default: none. */
  context?: LogContextProvider | null;
}

const encoder = new TextEncoder();
const state: {
  level: number;
  format: LogFormat;
  writer: LogWriter;
  context: LogContextProvider | null;
  route: LogWriter | null;
} = {
  level: 1,
  format: "text",
  writer: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
  context: null,
  route: null,
};

/** Sets the level, format, context provider and (for tests) the writer of every logger. */
export function configureLogging(options: LoggingOptions): void {
  if (options.level) state.level = LOG_LEVELS.indexOf(options.level);
  if (options.format) state.format = options.format;
  if (options.writer) state.writer = options.writer;
  if (options.context !== undefined) state.context = options.context;
}

/**
 * Sends every log line to `route` instead of the writer until the returned function is called: the progress bars
 * take the lines while they are shown and print each above them. Only one route at a time; a newer one replaces it.
 */
export function routeLogLines(route: LogWriter): () => void {
  state.route = route;
  return () => {
    if (state.route === route) state.route = null;
  };
}

/** The logger of the command line: writes the seed's line formats through the settings of {@linkcode configureLogging}. */
export class Logger implements LoggerContract {
  /** Dotted logger name. */
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  /** A logger named `<this>.<suffix>`. */
  child(suffix: string): Logger {
    return new Logger(`${this.name}.${suffix}`);
  }
  /** True when lines of this level are written (guard expensive field building with it). */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= state.level;
  }
  debug(fields: LogFields, message: string): void {
    this.#emit(0, fields, message);
  }
  info(fields: LogFields, message: string): void {
    this.#emit(1, fields, message);
  }
  warn(fields: LogFields, message: string): void {
    this.#emit(2, fields, message);
  }
  error(fields: LogFields, message: string): void {
    this.#emit(3, fields, message);
  }
  critical(fields: LogFields, message: string): void {
    this.#emit(4, fields, message);
  }
  #emit(level: number, fields: LogFields, message: string): void {
    if (level < state.level) return;
    const time = new Date().toISOString();
    const levelName = LOG_LEVELS[level] ?? "INFO";
    const context = state.context?.();
    if (context) fields = { ...fields, ...context };
    const write = state.route ?? state.writer;
    if (state.format === "json") {
      write(JSON.stringify({ time, level: levelName, name: this.name, message, ...fields }, jsonSafe));
      return;
    }
    const extra = Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`).join(" ");
    write(`${time} ${levelName.padEnd(7)} ${this.name}: ${message}${extra ? " " + extra : ""}`);
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w.:/+-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  return JSON.stringify(value, jsonSafe) ?? String(value);
}

/** A count with its noun in English: `counted(1, "record")` is `1 record`, `counted(2, "record")` `2 records`. */
export function counted(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : noun + "s"}`;
}

/** The root logger, `fs_data_sink`. */
export const rootLogger: Logger = new Logger("fs_data_sink");

/** Parses a level name (case-insensitive; `WARN` and `FATAL` are aliases of `WARNING` and `CRITICAL`); undefined when unknown. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.toUpperCase();
  if (upper === "WARN") return "WARNING";
  if (upper === "FATAL") return "CRITICAL";
  return (LOG_LEVELS as readonly string[]).includes(upper) ? upper as LogLevel : undefined;
}
