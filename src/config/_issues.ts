/**
 * Turns schema validation issues into one-line problems naming the key path, the value (masked when secret) and
 * where it came from, with a hint.
 * @module
 */
import type { z } from "zod";
import type { EnvBinding } from "../core/plugin.ts";
import type { EntryMap, Problem } from "./layer.ts";
import { formatOrigin, formatPath } from "./origin.ts";
import { enumValues, objectKeys, schemaAt } from "./schema_walk.ts";
import { isSecretPath, maskValue } from "./secrets.ts";
import { closest } from "./suggest.ts";

/** What describing the issues of one section needs. */
export interface SectionContext {
  /** Section name: `source`, `sink`, `telemetry` or `pipeline`. */
  readonly section: string;
  /** The schema the section was validated with. */
  readonly schema: z.ZodType;
  /** The merged values. */
  readonly merged: EntryMap;
  /** Secret keys of the section's plugin. */
  readonly secrets: readonly string[];
  /** Environment variables that can set keys of this section, for hints. */
  readonly envNames: ReadonlyMap<string, string[]>;
  /** Dotted paths (section first) already reported as unreadable: not reported again as missing. */
  readonly unreadable?: ReadonlySet<string>;
}

const MAX_VALUE_CHARS = 80;

/** A copy of `value` with secret leaves (by their key path) replaced by `***`. */
function maskDeep(value: unknown, path: readonly (string | number)[], secrets: readonly string[]): unknown {
  if (isSecretPath(path, secrets)) return maskValue(value, true);
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, path, secrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, [...path, k], secrets)]));
  }
  return maskValue(value, false);
}

/**
 * A value for a message: JSON, shortened, `***` when secret. Give `path` and `secrets` for objects, so secret keys
 * inside them are masked too.
 */
export function showValue(
  value: unknown,
  secret: boolean,
  path: readonly (string | number)[] = [],
  secrets: readonly string[] = [],
): string {
  if (value === undefined) return "nothing";
  const shown = JSON.stringify(secret ? maskValue(value, true) : maskDeep(value, path, secrets)) ?? String(value);
  return shown.length > MAX_VALUE_CHARS ? shown.slice(0, MAX_VALUE_CHARS - 3) + "..." : shown;
}

/** `from file.yaml:3` / `from env X` / `from flag --y`, or `default` when nothing set it. */
export function showOrigin(merged: EntryMap, path: readonly (string | number)[]): string {
  const entry = merged.originEntry(path);
  return entry ? `from ${formatOrigin(entry.origin)}` : "not set";
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(part)];
  }
  return node;
}

/** Env names that set each key, keyed by dotted path inside the section. */
export function envNamesByKey(bindings: readonly EnvBinding[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const binding of bindings) map.set(binding.key, [...(map.get(binding.key) ?? []), binding.env]);
  return map;
}

/** One problem per issue (one per unknown key). `input` is the section object that was validated. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, ctx: SectionContext): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const inner = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const known = objectKeys(schemaAt(ctx.schema, inner));
      for (const key of issue.keys) {
        const path = [ctx.section, ...inner, key];
        const near = closest(key, known);
        const secret = isSecretPath(path, ctx.secrets) ||
          (near !== undefined && isSecretPath([ctx.section, ...inner, near], ctx.secrets));
        const value = showValue(valueAt(input, [...inner, key]), secret, path, ctx.secrets);
        problems.push({
          message: `${formatPath(path)}: unknown key (value ${value}, ${showOrigin(ctx.merged, path)})`,
          hint: near !== undefined
            ? `did you mean "${near}"?`
            : `known keys of ${formatPath([ctx.section, ...inner])}: ${known.join(", ")}`,
        });
      }
      continue;
    }
    const path = [ctx.section, ...inner];
    const value = valueAt(input, inner);
    const secret = isSecretPath(path, ctx.secrets);
    if (value === undefined && issue.code === "invalid_type") {
      if (ctx.unreadable?.has(path.join("."))) continue;
      const names = ctx.envNames.get(inner.join(".")) ?? [];
      problems.push({
        message: `${formatPath(path)}: required value is missing (expected ${issue.expected})`,
        hint: `set ${formatPath(inner)} in the [${ctx.section}] section of the config file` +
          (names.length ? `, or ${names.join(" / ")} in the environment` : "") +
          `, or --set ${formatPath(path)}=...`,
      });
      continue;
    }
    const where = showOrigin(ctx.merged, path);
    const shown = showValue(value, secret, path, ctx.secrets);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      // A rule about a whole object (e.g. "name at least one key"): its keys carry their own origins.
      const reason = issue.message.replace(/^Invalid input: /, "");
      problems.push({ message: `${formatPath(path)}: ${reason} (${where})` });
      continue;
    }
    if (issue.code === "invalid_type") {
      problems.push({
        message: `${formatPath(path)}: expected ${expectedOf(issue.expected)}, got ${shown} (${where})`,
      });
    } else if (issue.code === "invalid_value") {
      const allowed = issue.values.map(String);
      const near = typeof value === "string" && !secret ? closest(value, allowed) : undefined;
      problems.push({
        message: `${formatPath(path)}: expected one of ${allowed.join(", ")}; got ${shown} (${where})`,
        hint: near !== undefined ? `did you mean "${near}"?` : undefined,
      });
    } else {
      const reason = reasonOf(issue);
      const values = enumValues(schemaAt(ctx.schema, inner));
      problems.push({
        message: `${formatPath(path)}: ${reason}; got ${shown} (${where})`,
        hint: values.length ? `expected one of ${values.join(", ")}` : undefined,
      });
    }
  }
  return problems;
}

/** A type the schema expects, as the other messages name it (`int` is the schema library's word for integer). */
function expectedOf(expected: string): string {
  return expected === "int" ? "integer" : expected;
}

/** What a rule of the schema says, in the project's words rather than the schema library's. */
function reasonOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "too_big" || issue.code === "too_small") {
    const big = issue.code === "too_big";
    const bound = String(big ? issue.maximum : issue.minimum);
    const inclusive = issue.inclusive !== false;
    const relation = big ? (inclusive ? "at most" : "less than") : (inclusive ? "at least" : "greater than");
    if (issue.origin === "string") return `must be ${relation} ${bound} characters long`;
    if (issue.origin === "array" || issue.origin === "set") return `must have ${relation} ${bound} entries`;
    return `must be ${relation} ${bound}`;
  }
  if (issue.code === "not_multiple_of") return `must be a multiple of ${String(issue.divisor)}`;
  return issue.message.replace(/^Invalid input: /, "");
}
