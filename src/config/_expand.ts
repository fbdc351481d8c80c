/**
 * `${VAR}` expansion inside parsed values (strings, and strings inside arrays and objects), turning failures into
 * problems that name the file:line and the variable.
 * @module
 */
import type { Problem } from "./layer.ts";
import { expandVars } from "./interpolate.ts";
import { formatPath } from "./origin.ts";

/** Result of expanding one value. */
export type ExpandResult =
  | { readonly kind: "ok"; readonly value: unknown; readonly changed: boolean }
  | { readonly kind: "problem"; readonly problem: Problem };

/** Expands every string inside `value`; `where` (file:line) and `path` name the place in a problem. */
export function expandValue(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
  path: readonly string[],
): ExpandResult {
  let problem: Problem | undefined;
  let changed = false;
  const visit = (v: unknown): unknown => {
    if (problem) return v;
    if (typeof v === "string") {
      const result = expandVars(v, env);
      if (result.kind === "ok") {
        changed ||= result.changed;
        return result.text;
      }
      problem = result.kind === "unset"
        ? {
          message: `${formatPath(path)}: environment variable "${result.variable}" is not set (from ${where})`,
          hint: `set ${result.variable}, or give a default: \${${result.variable}:-value}`,
          path,
        }
        : {
          message: `${formatPath(path)}: malformed reference ${JSON.stringify(result.reference)} (from ${where})`,
          hint: "write ${NAME} or ${NAME:-default}; $${ stands for a literal ${",
          path,
        };
      return v;
    }
    if (Array.isArray(v)) return v.map(visit);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, visit(item)]));
    }
    return v;
  };
  const out = visit(value);
  return problem ? { kind: "problem", problem } : { kind: "ok", value: out, changed };
}
