/**
 * The `kafka` source plugin (Kafka and Redpanda): consumer groups, offsets committed only after the files holding
 * the records are durable, one-shot (`--until-caught-up`) and continuous runs, topic patterns, SASL and TLS.
 *
 * Streams are topic-partitions named `<topic>+<partition>`; positions are offsets zero-padded to 20 digits, so
 * output files are named `<topic>+<partition>+<first offset>.parquet` and never collide between instances of one
 * group. Tombstones (null values) are counted and handed over with `value: null`: flagged `skip` (the pipeline
 * acknowledges them in order without a row) or, with `tombstones: keep`, unflagged (a row with a null payload). Keys that are not valid UTF-8 are written as `base64:<base64>`.
 * @module
 */
import type { SourcePlugin } from "../../core/plugin.ts";
import type { Source, SourceContext } from "../../core/source.ts";
import { KAFKA_TYPE, kafkaEnv, kafkaSecrets, type KafkaSourceConfig, kafkaSourceSchema } from "./config.ts";
import { KafkaSource } from "./source.ts";

export { KafkaSource } from "./source.ts";
export type { KafkaSourceConfig } from "./config.ts";

/** Builds a Kafka source from a validated section; no I/O until `connect()`. */
export function createKafkaSource(config: KafkaSourceConfig, context: SourceContext): Source {
  return new KafkaSource(config, context);
}

/** The `source.type: kafka` plugin. */
export const kafkaSourcePlugin: SourcePlugin<KafkaSourceConfig> = {
  type: KAFKA_TYPE,
  summary: "Kafka / Redpanda topics through a consumer group; offsets committed after durable writes",
  schema: kafkaSourceSchema,
  env: kafkaEnv,
  secrets: kafkaSecrets,
  create: createKafkaSource,
};
