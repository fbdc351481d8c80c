/**
 * Errors that callers catch. A {@linkcode ConfigError} is the user's mistake (exit 2, with a hint); everything else
 * is a runtime failure (exit 1).
 * @module
 */

/** A bad configuration or command line: exit code 2. `hint` says how to fix it. */
export class ConfigError extends Error {
  /** How to fix it, printed after the message. */
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "ConfigError";
    this.hint = options?.hint;
  }
}

/** A record that could not be decoded, raised under `error_handling: raise`. */
export class RecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RecordError";
  }
}
