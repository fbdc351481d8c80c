/**
 * Reads the shape of a zod schema (zod 4 `_zod.def`): what a key expects, and which keys an object knows. Used to
 * coerce text (INI values, environment variables, flags) to the type the schema wants and to suggest near keys.
 * @module
 */
import type { z } from "zod";

/** A JSON-ish value kind a schema accepts. `any` means no constraint is known. */
export type ValueKind = "string" | "number" | "boolean" | "null" | "array" | "object" | "any";

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly valueType?: z.ZodType;
  readonly entries?: Record<string, string | number>;
  readonly values?: readonly unknown[];
  readonly getter?: () => z.ZodType;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema without optional/default/nullable wrappers and pipes, possibly several for a union. */
function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return unwrap(def.innerType);
  if (def.type === "pipe" && def.in) {
    // z.preprocess(fn, schema) is a pipe from a transform: what it finally expects is the output schema.
    return defOf(def.in).type === "transform" && def.out ? unwrap(def.out) : unwrap(def.in);
  }
  if (def.type === "lazy" && def.getter) return unwrap(def.getter());
  if (def.type === "union" && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

/** True when the schema (or a wrapper of it) accepts null. */
function acceptsNull(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === "nullable" || def.type === "null") return true;
  if (WRAPPERS.has(def.type) && def.innerType) return acceptsNull(def.innerType);
  if (def.type === "pipe" && def.in) return acceptsNull(def.in);
  if (def.type === "union" && def.options) return def.options.some(acceptsNull);
  return false;
}

/** The kinds of value a schema accepts. */
export function acceptedKinds(schema: z.ZodType): Set<ValueKind> {
  const kinds = new Set<ValueKind>();
  if (acceptsNull(schema)) kinds.add("null");
  for (const inner of unwrap(schema)) {
    const def = defOf(inner);
    switch (def.type) {
      case "string":
        kinds.add("string");
        break;
      case "number":
      case "int":
      case "bigint":
        kinds.add("number");
        break;
      case "boolean":
        kinds.add("boolean");
        break;
      case "null":
        kinds.add("null");
        break;
      case "array":
      case "tuple":
        kinds.add("array");
        break;
      case "object":
      case "record":
      case "map":
        kinds.add("object");
        break;
      case "enum":
        for (const v of Object.values(def.entries ?? {})) kinds.add(typeof v === "number" ? "number" : "string");
        break;
      case "literal":
        for (const v of def.values ?? []) {
          kinds.add(
            v === null ? "null" : typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "string",
          );
        }
        break;
      default:
        kinds.add("any");
    }
  }
  return kinds;
}

/** The element schema of an array schema, if the schema is one. */
export function elementSchema(schema: z.ZodType): z.ZodType | undefined {
  for (const inner of unwrap(schema)) {
    const def = defOf(inner);
    if (def.type === "array" && def.element) return def.element;
  }
  return undefined;
}

/** The schema of `path` inside `schema`, following object keys (and record values); undefined when unknown. */
export function schemaAt(schema: z.ZodType, path: readonly (string | number)[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const part of path) {
    if (!current) return undefined;
    let next: z.ZodType | undefined;
    for (const inner of unwrap(current)) {
      const def = defOf(inner);
      if (def.type === "object") next = def.shape?.[String(part)] ?? def.catchall;
      else if (def.type === "record") next = def.valueType;
      else if (def.type === "array" && typeof part === "number") next = def.element;
      if (next) break;
    }
    current = next;
  }
  return current;
}

/** The keys an object schema knows (empty when it is not an object). */
export function objectKeys(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const keys: string[] = [];
  for (const inner of unwrap(schema)) {
    const def = defOf(inner);
    if (def.type === "object") keys.push(...Object.keys(def.shape ?? {}));
  }
  return keys;
}

/** The allowed values of an enum schema (empty when it is not an enum). */
export function enumValues(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const values: string[] = [];
  for (const inner of unwrap(schema)) {
    const def = defOf(inner);
    if (def.type === "enum") values.push(...Object.values(def.entries ?? {}).map(String));
  }
  return values;
}
