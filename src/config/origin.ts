/**
 * Formatting of {@linkcode Origin}s and of key paths for messages and `validate` output.
 * @module
 */
import type { Origin } from "./app_config.ts";

/** The default origin, shared. */
export const DEFAULT_ORIGIN: Origin = { kind: "default" };

/** `file.yaml:12`, `env KAFKA_TOPICS`, `flag --max-batches` or `default`. */
export function formatOrigin(origin: Origin): string {
  switch (origin.kind) {
    case "file":
      return `${origin.file}:${origin.line}`;
    case "env":
      return `env ${origin.name}`;
    case "flag":
      return `flag ${origin.flag}`;
    case "default":
      return "default";
  }
}

/** A key path for people: `source.topics`, with array indices as `[0]`: `sink.partition_by[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number" || /^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
