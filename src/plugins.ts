/**
 * Registers every source and sink plugin with static imports, so `deno compile` bundles all of them.
 * Add one line per plugin.
 * @module
 */
import { registerSink, registerSource } from "./core/registry.ts";
import { fileSourcePlugin } from "./sources/file.ts";
import { localSinkPlugin } from "./sinks/local.ts";
import { hdfsSinkPlugin } from "./sinks/hdfs/mod.ts";
import { s3SinkPlugin } from "./sinks/s3/mod.ts";
import { redisSourcePlugin } from "./sources/redis/mod.ts";
import { kafkaSourcePlugin } from "./sources/kafka/mod.ts";

registerSource(fileSourcePlugin);
registerSink(localSinkPlugin);
registerSink(hdfsSinkPlugin);
registerSink(s3SinkPlugin);
registerSource(redisSourcePlugin);
registerSource(kafkaSourcePlugin);
