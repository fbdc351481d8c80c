/**
 * Registers every source and sink plugin with static imports, so `deno compile` bundles all of them. Each plugin's
 * implementation (clients, SDKs) loads in its `create`, `check` or `peek` through an `import()` of a literal path,
 * which `deno compile` bundles too: a run holds the code of the two plugins it uses, not of all six.
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
