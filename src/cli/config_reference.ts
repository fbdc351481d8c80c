/**
 * The configuration reference as Markdown, generated from the schemas themselves (keys, types, defaults, docs) and
 * the environment bindings, so the README cannot drift from the code. `deno task docs` rewrites the README block;
 * a test checks that it is current.
 * @module
 */
import { z } from "zod";
import { pipelineSectionSchema } from "../config/pipeline_section.ts";
import { GLOBAL_ENV_VARS } from "../config/env_vars.ts";
import type { EnvBinding } from "../core/plugin.ts";
import { listSinks, listSources } from "../core/registry.ts";
import { telemetrySectionSchema } from "../telemetry/config.ts";

/** Marker lines around the generated block in the README. */
export const BEGIN_MARKER = "<!-- BEGIN GENERATED CONFIG REFERENCE (deno task docs) -->";
/** Marker line closing the generated block. */
export const END_MARKER = "<!-- END GENERATED CONFIG REFERENCE -->";

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  required?: string[];
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => String(v)).join(" | ");
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(" | ");
  if (schema.type === "array") return `list of ${schema.items ? typeOf(schema.items) : "any"}`;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type === "object" && !schema.properties) return "map";
  return schema.type ?? "any";
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function rows(schema: JsonSchema, prefix: string, env: Map<string, string[]>, out: string[]): void {
  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    const prop = raw.allOf?.length === 1 ? { ...raw.allOf[0], ...raw } : raw;
    if (key === "type" && prop.const !== undefined) continue;
    const path = prefix + key;
    if (prop.type === "object" && prop.properties) {
      rows(prop, `${path}.`, env, out);
      continue;
    }
    const required = schema.required?.includes(key) && prop.default === undefined;
    const def = prop.default === undefined ? (required ? "**required**" : "") : `\`${JSON.stringify(prop.default)}\``;
    const vars = (env.get(path) ?? []).map((v) => `\`${v}\``).join(", ");
    out.push(`| \`${path}\` | ${cell(typeOf(prop))} | ${def} | ${vars} | ${cell(prop.description ?? "")} |`);
  }
}

function table(title: string, schema: z.ZodType, env: Map<string, string[]>, intro = ""): string {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out = [`#### ${title}`, ""];
  if (intro) out.push(intro, "");
  out.push("| key | type | default | env | meaning |", "| --- | --- | --- | --- | --- |");
  rows(json, "", env, out);
  return out.join("\n");
}

function envMap(section: string, bindings: readonly EnvBinding[] = []): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const add = (key: string, name: string) => map.set(key, [...(map.get(key) ?? []), name]);
  for (const g of GLOBAL_ENV_VARS) if (g.path[0] === section) add(g.path.slice(1).join("."), g.env);
  for (const b of bindings) add(b.key, b.env);
  return map;
}

/** The whole generated reference (without markers). Plugins must be registered first. */
export function configReference(): string {
  const parts: string[] = [];
  for (const plugin of listSources()) {
    parts.push(table(`source.type: ${plugin.type}`, plugin.schema, envMap("source", plugin.env), plugin.summary));
  }
  for (const plugin of listSinks()) {
    parts.push(table(`sink.type: ${plugin.type}`, plugin.schema, envMap("sink", plugin.env), plugin.summary));
  }
  parts.push(table("pipeline", pipelineSectionSchema, envMap("pipeline")));
  parts.push(table("telemetry", telemetrySectionSchema, envMap("telemetry")));
  return parts.join("\n\n");
}

/** Replaces the generated block of a README text; throws when the markers are missing. */
export function replaceReference(readme: string, reference: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`Cannot update README: markers "${BEGIN_MARKER}" not found`);
  return readme.slice(0, begin + BEGIN_MARKER.length) + "\n\n" + reference + "\n\n" + readme.slice(end);
}
