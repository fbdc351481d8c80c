/**
 * The `kafka` source plugin (Kafka and Redpanda): consumer groups, offsets committed only after the files holding
 * the records are durable, one-shot (`--until-caught-up`) and continuous runs, topic patterns, SASL and TLS.
 *
 * Streams are topic-partitions named `<topic>+<partition>`; positions are offsets zero-padded to 20 digits, so
 * output files are named `<topic>+<partition>+<first offset>.parquet` and never collide between instances of one
 * group. Tombstones (null values) are counted and handed over with `value: null`: flagged `skip` (the pipeline
 * acknowledges them in order without a row) or, with `tombstones: keep`, unflagged (a row with a null payload). Keys
 * that are not valid UTF-8 are written as `base64:<base64>`.
 *
 * The configuration is in `config.ts`, the consumer in `source.ts`, `check` and `preview` in `check.ts` and
 * `peek.ts` (same client, never joining the group).
 * @module
 */
import type { SourcePlugin } from "../../core/plugin.ts";
import { type Config, configSchema, ENV, SECRETS, TYPE } from "./config.ts";

/** The `source.type: kafka` plugin, registered in `src/plugins.ts`. */
export const kafkaSourcePlugin: SourcePlugin<Config> = {
  type: TYPE,
  summary: "Kafka / Redpanda topics through a consumer group; offsets committed after durable writes",
  schema: configSchema,
  env: ENV,
  secrets: SECRETS,
  // The client library and the source load only when used (about 55 MiB of a process that never reads Kafka).
  create: async (config, context) => new (await import("./source.ts")).KafkaSource(config, context),
  check: async (config, context) => await (await import("./check.ts")).checkKafka(config, context),
  peek: async (config, context) => await (await import("./peek.ts")).peekKafka(config, context),
};
