/**
 * Small source and sink plugins for the configuration tests, registered when imported. Their schemas are strict
 * and carry secrets, env bindings, lists, numbers, booleans and a nested object, like the real plugins.
 * @module
 */
import { z } from "zod";
import { commonSinkFields, commonSourceFields } from "../core/plugin.ts";
import type { CommonSinkConfig, CommonSourceConfig, SinkPlugin, SourcePlugin } from "../core/plugin.ts";
import { registerSink, registerSource } from "../core/registry.ts";
import type { CheckResult } from "../core/check.ts";

const testSourceSchema = z.object({
  type: z.literal("test-src"),
  ...commonSourceFields,
  topics: z.array(z.string().min(1)).min(1),
  brokers: z.array(z.string()).default(["localhost:9092"]),
  api_key: z.string().optional(),
  sasl: z.object({
    mechanism: z.enum(["plain", "scram-sha-256"]),
    username: z.string(),
    password: z.string(),
  }).strict().optional(),
  poll_ms: z.number().int().positive().default(100),
  enabled: z.boolean().default(true),
  ratio: z.number().nullable().default(null),
  label: z.string().default("none"),
  extra_config: z.record(z.string(), z.unknown()).default({}),
}).strict().superRefine((value, ctx) => {
  if (value.label === "forbidden") ctx.addIssue({ code: "custom", message: 'label "forbidden" is reserved' });
});

function notUsed(): never {
  throw new Error("test plugin: create() is not used by configuration tests");
}

function noCheck(): Promise<CheckResult[]> {
  return Promise.resolve([{ kind: "skipped", name: "test plugin", reason: "configuration tests probe nothing" }]);
}

/** Source `test-src`: `topics` required; `api_key` secret; env TEST_TOPICS, TEST_API_KEY, TEST_POLL_MS. */
export const testSourcePlugin: SourcePlugin<CommonSourceConfig> = {
  type: "test-src",
  summary: "Test source for configuration tests",
  schema: testSourceSchema as unknown as z.ZodType<CommonSourceConfig>,
  env: [
    { env: "TEST_TOPICS", key: "topics", kind: "list" },
    { env: "TEST_API_KEY", key: "api_key", kind: "string" },
    { env: "TEST_POLL_MS", key: "poll_ms", kind: "int" },
    { env: "TEST_SASL_PASSWORD", key: "sasl.password", kind: "string" },
  ],
  secrets: ["api_key"],
  create: notUsed,
  check: noCheck,
  peek: notUsed,
};

const testSinkSchema = z.object({
  type: z.literal("test-sink"),
  ...commonSinkFields,
  bucket: z.string().min(1),
  access_key: z.string().optional(),
}).strict();

/** Sink `test-sink`: `bucket` required; `access_key` secret; env TEST_BUCKET. */
export const testSinkPlugin: SinkPlugin<CommonSinkConfig> = {
  type: "test-sink",
  summary: "Test sink for configuration tests",
  schema: testSinkSchema as unknown as z.ZodType<CommonSinkConfig>,
  env: [{ env: "TEST_BUCKET", key: "bucket", kind: "string" }],
  secrets: ["access_key"],
  create: notUsed,
  check: noCheck,
};

const testLocalSchema = z.object({ type: z.literal("local"), ...commonSinkFields, path: z.string().min(1) }).strict();

/** A stand-in for the `local` sink (only its schema), so `OUTPUT_DIR` can be tested without the real plugin. */
export const testLocalSinkPlugin: SinkPlugin<CommonSinkConfig> = {
  type: "local",
  summary: "Test stand-in of the local sink",
  schema: testLocalSchema as unknown as z.ZodType<CommonSinkConfig>,
  env: [],
  secrets: [],
  create: notUsed,
  check: noCheck,
};

registerSource(testSourcePlugin);
registerSink(testSinkPlugin);
registerSink(testLocalSinkPlugin);
