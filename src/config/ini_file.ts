/**
 * Reads the INI form that existing fs-data-sink installations use (`[source]`, `[sink]`, `[telemetry]`,
 * `[pipeline]`, dotted sections such as `[source.extra_config]` for nested keys) into entries with their line.
 * Every INI value is text, coerced later by the type the schema expects (the only importer of `ini`).
 * @module
 */
import { parse } from "ini";
import { ConfigError } from "../core/errors.ts";
import type { ConfigEntry, Problem } from "./layer.ts";
import type { FileLayer } from "./yaml_file.ts";
import { expandValue } from "./_expand.ts";
import { SECTIONS } from "./env_vars.ts";

const SECTION_RE = /^\s*\[(.+)\]\s*$/;
const KEY_RE = /^\s*([^=;#\s[][^=]*?)\s*(\[\])?\s*=/;
const SEP = "\u0000";

/** Line numbers of section headers and keys, keyed by their path joined with NUL. */
function scanLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let section: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const header = SECTION_RE.exec(line);
    if (header) {
      section = header[1]!.trim().split(".");
      const key = section.join(SEP);
      if (!lines.has(key)) lines.set(key, index + 1);
      return;
    }
    const keyMatch = KEY_RE.exec(line);
    if (keyMatch) {
      const key = [...section, unquote(keyMatch[1]!.trim())].join(SEP);
      if (!lines.has(key)) lines.set(key, index + 1);
    }
  });
  return lines;
}

function unquote(key: string): string {
  return /^(["']).*\1$/.test(key) ? key.slice(1, -1) : key;
}

/**
 * Rewrites Python configparser's `key: value` lines as `key = value` (the delimiter is whichever of `:` and `=`
 * comes first), so files written for configparser read the same. Line numbers are unchanged.
 */
export function normalizeDelimiters(text: string): string {
  return text.split(/(?<=\n)/).map((line) => {
    const trimmed = line.trimStart();
    if (trimmed === "" || /^[;#[]/.test(trimmed)) return line;
    const colon = line.indexOf(":");
    const equals = line.indexOf("=");
    if (colon <= 0 || (equals >= 0 && equals < colon)) return line;
    return `${line.slice(0, colon)} =${line.slice(colon + 1)}`;
  }).join("");
}

/**
 * Parses INI `source` from `file` into one entry per key, values as text, expanding `${VAR}` from `env`. Keys may
 * be written `key = value` or, as Python's configparser allows, `key: value`.
 */
export function readIniConfig(
  source: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): FileLayer {
  const text = normalizeDelimiters(source);
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`Cannot parse config file "${file}": ${(error as Error).message}`, { cause: error });
  }
  const lines = scanLines(text);
  const entries: ConfigEntry[] = [];
  const problems: Problem[] = [];
  const lineOf = (path: readonly string[]): number => {
    for (let n = path.length; n > 0; n--) {
      const found = lines.get(path.slice(0, n).join(SEP));
      if (found !== undefined) return found;
    }
    return 1;
  };

  const walk = (value: unknown, path: string[]): void => {
    // An unknown top-level key stays whole, so its problem names the line of its section header.
    const known = path.length !== 1 || (SECTIONS as readonly string[]).includes(path[0]!);
    if (
      known && typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0
    ) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
      return;
    }
    // `ini` turns true/false/null into JSON values; give them back as text so a string key keeps "true".
    const asText = Array.isArray(value)
      ? value.map((item) => typeof item === "string" ? item : String(item))
      : typeof value === "object" && value !== null
      ? value
      : String(value);
    const line = lineOf(path);
    const expanded = expandValue(asText, env, `${file}:${line}`, path);
    if (expanded.kind === "problem") {
      problems.push(expanded.problem);
      return;
    }
    const isText = typeof asText === "string" || Array.isArray(asText);
    entries.push({ path, value: expanded.value, origin: { kind: "file", file, line }, text: isText });
  };
  walk(parsed, []);
  return { entries, problems };
}
