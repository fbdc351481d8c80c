/**
 * Schema of the `pipeline` section: batching, rotation, error policy and flattening.
 * @module
 */
import { z } from "zod";

/** What happens to a record that cannot be decoded. */
export const ERROR_POLICIES = ["log", "raise", "ignore", "dead_letter"] as const;
/** An error policy. */
export type ErrorPolicy = typeof ERROR_POLICIES[number];

/** Flattening of nested payloads into columns. */
export const flattenSchema = z.object({
  separator: z.string().min(1).default("_").describe("Joins parent and child keys: {a:{b:1}} -> a_b"),
  max_depth: z.number().int().min(0).default(8).describe("Objects nested deeper than this stay JSON strings"),
  hoist_key: z.string().nullable().default("data").describe(
    "An object under this key is lifted to the top level (the collector's `data`); null turns it off",
  ),
  lists: z.enum(["json", "list"]).default("json").describe("Lists become JSON strings, or Arrow lists with `list`"),
  value_column: z.string().min(1).default("value").describe(
    'Column holding a payload that is not an object (42, "text", [1,2])',
  ),
}).strict();

/**
 * The default of `pipeline.workers` on a machine of `cores` cores: none up to 2 cores, else one thread fewer than the
 * cores, since the main thread keeps the source's client, the control and the sink's I/O busy. On the 2-core bench
 * machine 0, 1 and 2 workers drain a Kafka topic within noise of each other, while one worker costs about 45% more
 * CPU per record and 100 MiB more peak RSS (its own heap, Arrow and WebAssembly; see README, Performance).
 */
export function defaultWorkers(cores = navigator.hardwareConcurrency || 1): number {
  return cores <= 2 ? 0 : cores - 1;
}

/** Schema of `pipeline.compaction`: compaction of Iceberg tables inside a running service. */
export const compactionSchema = z.object({
  interval_seconds: z.number().positive().nullable().default(null).describe(
    "Iceberg tables: compact and expire the tables this run writes every N seconds (off by default; see compact)",
  ),
  older_than_seconds: z.number().min(0).default(3600).describe(
    "Compaction: leave files committed more recently than this alone (orphans: at least an hour)",
  ),
  target_file_bytes: z.number().int().positive().default(256 * 1024 * 1024).describe(
    "Compaction: size of the files written",
  ),
  retain_seconds: z.number().min(0).default(86_400).describe("Compaction: expire snapshots older than this"),
}).strict();

/** Schema of the `pipeline` section. */
export const pipelineSectionSchema = z.object({
  max_batches: z.number().int().positive().nullable().default(null).describe(
    "Stop after this many batches (files cut) have been written; null: unlimited",
  ),
  max_messages: z.number().int().positive().nullable().default(null).describe(
    "Stop after this many messages have been read; null: unlimited",
  ),
  batch_timeout_seconds: z.number().positive().default(30).describe(
    "An open file older than this is written even if not full, so idle streams are flushed",
  ),
  flush_interval_seconds: z.number().positive().optional().describe("Alias of batch_timeout_seconds (older configs)"),
  flush_interval_batches: z.number().int().positive().optional().describe(
    "Older configs: records per file = source.batch_size x this",
  ),
  max_file_bytes: z.number().int().positive().default(128 * 1024 * 1024).describe(
    "A file is cut when its rows reach this many bytes (estimated as in memory; rows already streamed count)",
  ),
  memory_budget_bytes: z.number().int().positive().default(512 * 1024 * 1024).describe(
    "Rows held for open files together stay under this; the oldest is written first when over",
  ),
  error_handling: z.enum(ERROR_POLICIES).default("log").describe(
    "Undecodable records: log (skip and log), raise (stop, exit 1), ignore (skip silently, counted), dead_letter",
  ),
  write_concurrency: z.number().int().positive().default(8).describe(
    "Batches of different streams written at the same time (a stream's own batches stay in order)",
  ),
  workers: z.number().int().min(0).max(64).optional().describe(
    "Threads that decode, build Arrow columns and encode Parquet (streams spread over them); 0: all on the main " +
      "thread. Default: 0 on up to 2 cores, else the number of cores minus one",
  ),
  write_retry_seconds: z.number().min(0).default(300).describe(
    "Keep retrying a batch the sink cannot take for this long (nothing is acknowledged meanwhile), then fail",
  ),
  until_caught_up: z.boolean().default(false).describe(
    "One-shot run: read each stream up to its end at start, write, acknowledge, exit 0",
  ),
  flatten: flattenSchema.prefault({}),
  compaction: compactionSchema.prefault({}),
}).strict();

/** The validated `pipeline` section. */
export type PipelineSection = z.infer<typeof pipelineSectionSchema>;
/** The validated `pipeline.compaction` options. */
export type CompactionSection = z.infer<typeof compactionSchema>;
/** The validated `pipeline.flatten` options. */
export type FlattenSection = z.infer<typeof flattenSchema>;
