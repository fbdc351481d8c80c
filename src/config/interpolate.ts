/**
 * `${VAR}` and `${VAR:-default}` references in configuration values. `$${` stands for a literal `${`.
 * @module
 */

/** What expanding one value produced. */
export type Expansion =
  /** The expanded text; `changed` says whether any reference was replaced. */
  | { readonly kind: "ok"; readonly text: string; readonly changed: boolean }
  /** A variable without default is not set. */
  | { readonly kind: "unset"; readonly variable: string }
  /** A `${` without its closing brace, or a bad variable name. */
  | { readonly kind: "malformed"; readonly reference: string };

const REFERENCE_RE = /\$\$\{|\$\{([^}]*)(\}|$)/g;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands references in `text` from `env`. `${VAR:-default}` takes the default when `VAR` is unset or empty, as
 * in a POSIX shell; `${VAR}` with `VAR` unset is an error (an empty value is kept).
 */
export function expandVars(text: string, env: Readonly<Record<string, string | undefined>>): Expansion {
  if (!text.includes("${")) return { kind: "ok", text, changed: false };
  let failure: Expansion | undefined;
  const out = text.replace(REFERENCE_RE, (match: string, body: string | undefined, close: string | undefined) => {
    if (match === "$${") return "${";
    if (failure) return match;
    if (close !== "}" || body === undefined) {
      failure = { kind: "malformed", reference: match };
      return match;
    }
    const sep = body.indexOf(":-");
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME_RE.test(name)) {
      failure = { kind: "malformed", reference: match };
      return match;
    }
    const value = env[name];
    if (sep >= 0) return value === undefined || value === "" ? body.slice(sep + 2) : value;
    if (value === undefined) {
      failure = { kind: "unset", variable: name };
      return match;
    }
    return value;
  });
  return failure ?? { kind: "ok", text: out, changed: true };
}
