/**
 * Reads a YAML configuration text into entries that each know their file and line (the only importer of `yaml`
 * for parsing configuration).
 * @module
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Node as YamlNode } from "yaml";
import { ConfigError } from "../core/errors.ts";
import type { ConfigEntry, Problem } from "./layer.ts";
import { expandValue } from "./_expand.ts";
import { SECTIONS } from "./env_vars.ts";

const MERGE_KEY = "<<";

/** Entries and problems read from one file. */
export interface FileLayer {
  readonly entries: ConfigEntry[];
  readonly problems: Problem[];
}

/**
 * Parses YAML `text` from `file` into one entry per leaf (scalars, sequences, empty mappings), expanding `${VAR}`
 * from `env`. A syntax error throws a ConfigError naming the line.
 */
export function readYamlConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): FileLayer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true });
  const first = doc.errors[0];
  if (first) {
    throw new ConfigError(`Cannot parse config file "${file}": ${describeYamlError(first, text)}`, {
      hint: "Check the YAML syntax at that line (indentation with spaces, `key: value`)",
    });
  }
  const entries: ConfigEntry[] = [];
  const problems: Problem[] = [];
  const lineOf = (node: unknown, fallback: number): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : fallback;
  };

  const walk = (node: unknown, path: string[], line: number): void => {
    const resolved = isAlias(node) ? node.resolve(doc) : node;
    // An unknown top-level key stays whole, so its problem names the line of the key itself.
    const known = path.length !== 1 || (SECTIONS as readonly string[]).includes(path[0]!);
    if (isMap(resolved) && resolved.items.length > 0 && known) {
      // `<<: *anchor` merge keys first, so the map's own keys override what they bring in.
      const isMerge = (key: unknown) =>
        isScalar(key) && (key.value === MERGE_KEY || (typeof key.value === "symbol" && key.source === MERGE_KEY));
      for (const pair of resolved.items.filter((p) => isMerge(p.key))) {
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const source of sources) walk(source, path, lineOf(pair.key, line));
      }
      for (const pair of resolved.items.filter((p) => !isMerge(p.key))) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key], lineOf(pair.key, line));
      }
      return;
    }
    const origin = { kind: "file" as const, file, line };
    const value = resolved === null || resolved === undefined
      ? null
      : isScalar(resolved)
      ? resolved.value
      : (resolved as YamlNode).toJSON();
    const expanded = expandValue(value, env, `${file}:${line}`, path);
    if (expanded.kind === "problem") {
      problems.push(expanded.problem);
      return;
    }
    entries.push({ path, value: expanded.value, origin, text: expanded.changed && !isSeq(resolved) });
  };

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return { entries, problems };
  if (!isMap(root)) {
    throw new ConfigError(`Cannot read config file "${file}": the top level must be a mapping of sections`, {
      hint: "Start the file with sections such as `source:`, `sink:`, `telemetry:`, `pipeline:`",
    });
  }
  walk(root, [], 1);
  return { entries, problems };
}

/**
 * The parser's message, or for an over-indented line under a key that already has a plain value (which the parser
 * reports at that value, one line too early) the line at fault in our words, the parser's message after it.
 */
function describeYamlError(
  error: { code: string; message: string; linePos?: [{ line: number; col: number }, ...unknown[]] },
  text: string,
): string {
  const at = error.linePos?.[0];
  if (!at || (error.code !== "BLOCK_AS_IMPLICIT_KEY" && error.code !== "MULTILINE_IMPLICIT_KEY")) return error.message;
  const lines = text.split(/\r?\n/);
  const owner = lines[at.line - 1] ?? "";
  const indent = (line: string) => line.length - line.trimStart().length;
  for (let n = at.line; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (indent(line) <= indent(owner)) break;
    const key = owner.trim().split(":")[0];
    return `line ${n + 1} ("${line.trim()}") is indented deeper than "${key}" on line ${at.line}, which already has ` +
      `a plain value; indent it like "${key}", or give "${key}" no value to nest it (${error.message.split("\n")[0]})`;
  }
  return error.message;
}
