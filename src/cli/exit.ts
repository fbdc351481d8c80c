/**
 * How a failure becomes an exit code and a message on stderr. `main.ts` applies it (it alone calls `Deno.exit`).
 * @module
 */
import { ConfigError } from "../core/errors.ts";
import { maskUrlPasswords } from "../config/secrets.ts";
import { PROGRAM } from "./version.ts";

/** Exit codes. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** A runtime failure. */
  failure: 1,
  /** Bad usage or configuration. */
  usage: 2,
  /**
   * The run finished, but records failed under `error_handling: log`: they were logged and skipped, not written
   * (`ignore` keeps 0 by choice; dead-lettered records are durable and keep 0).
   */
  recordsFailed: 3,
  /** A one-shot run finished, but could not drain what another consumer still holds (named on stderr). */
  incomplete: 4,
  /** Stopped by a second SIGINT/SIGTERM without finishing. */
  interrupted: 130,
} as const;

/** Options of {@linkcode describeFailure}. */
export interface DescribeOptions {
  /** Print the stack and causes' stacks (the `DEBUG` environment variable); default false. */
  readonly debug?: boolean;
}

/** The exit code and stderr text for an error thrown out of the CLI. */
export function describeFailure(error: unknown, options: DescribeOptions = {}): { code: number; text: string } {
  if (error instanceof ConfigError) {
    const hint = error.hint ? `\nhint: ${error.hint}` : "";
    return { code: EXIT.usage, text: `${PROGRAM}: ${error.message}${hint}` };
  }
  const lines = [`${PROGRAM}: error: ${messageOf(error)}`];
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    lines.push(`  caused by: ${messageOf(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (options.debug && error instanceof Error && error.stack) lines.push(maskUrlPasswords(error.stack));
  return { code: EXIT.failure, text: lines.join("\n") };
}

function messageOf(error: unknown): string {
  return maskUrlPasswords(error instanceof Error ? error.message : String(error));
}
