/**
 * The logging contract every module codes against: a named logger taking structured fields first and a short
 * message after. `telemetry/log.ts` implements it (text or JSON lines on stderr); tests may pass any object of
 * this shape.
 * @module
 */

/** Log levels, lowest first. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Fields attached to one log line. */
export type LogFields = Record<string, unknown>;

/** A named logger, e.g. `fs_data_sink.pipeline`. Nothing is logged per record above debug level. */
export interface Logger {
  /** Dotted logger name. */
  readonly name: string;
  /** A logger named `<this>.<suffix>`. */
  child(suffix: string): Logger;
  /** True when lines of this level are written (guard expensive field building with it). */
  enabled(level: LogLevel): boolean;
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  critical(fields: LogFields, message: string): void;
}
