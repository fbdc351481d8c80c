/**
 * Prints an effective configuration as YAML, secrets masked, each value followed by where it came from:
 * `batch_size: 500  # env BATCH_SIZE`. Used by `fs-data-sink validate`.
 * @module
 */
import { stringify } from "yaml";
import { findSink, findSource } from "../core/registry.ts";
import type { LoadedConfig } from "./app_config.ts";
import { SECTIONS } from "./env_vars.ts";
import { DEFAULT_ORIGIN, formatOrigin } from "./origin.ts";
import { isSecretPath, maskValue } from "./secrets.ts";

const INDENT = "  ";

function scalarText(value: unknown): string {
  if (typeof value === "string" && /[\n\r]/.test(value)) return JSON.stringify(value);
  return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd();
}

function isNested(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

/** The configuration as YAML with secrets shown as `***` and an origin comment on every value. */
export function renderConfig(loaded: LoadedConfig): string {
  const { config, origins } = loaded;
  const secrets: Record<string, readonly string[]> = {
    source: findSource(config.source.type)?.secrets ?? [],
    sink: findSink(config.sink.type)?.secrets ?? [],
  };
  const lines: string[] = [];
  const emit = (value: unknown, path: string[], depth: number): void => {
    const key = path[path.length - 1]!;
    const pad = INDENT.repeat(depth);
    if (isNested(value)) {
      lines.push(`${pad}${scalarText(key)}:`);
      for (const [child, childValue] of Object.entries(value)) emit(childValue, [...path, child], depth + 1);
      return;
    }
    if (value === undefined) return;
    const secret = isSecretPath(path, secrets[path[0]!] ?? []);
    const shown = secret ? maskNested(value) : maskValue(value, false);
    const origin = origins.get(path.join(".")) ?? DEFAULT_ORIGIN;
    lines.push(`${pad}${scalarText(key)}: ${scalarText(shown)}  # ${formatOrigin(origin)}`);
  };
  for (const section of SECTIONS) {
    const value = (config as unknown as Record<string, unknown>)[section];
    if (value === undefined) continue;
    emit(value, [section], 0);
  }
  return lines.join("\n") + "\n";
}

/** A secret value masked; inside objects and arrays every leaf is masked. */
function maskNested(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskNested);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskNested(v)]));
  }
  return maskValue(value, true);
}
