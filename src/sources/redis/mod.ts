/**
 * The `redis` source plugin: Redis streams read through a consumer group and Redis lists consumed as reliable
 * queues, in one source. Entries and items are acknowledged in Redis only once their files are durable, a restart
 * re-delivers the rest under the same stream names and positions, and a dead instance's work is taken over under its
 * lease. The configuration is in `config.ts`, the source in `source.ts`, `check` and `preview` in `check.ts` and
 * `peek.ts`.
 * @module
 */
import type { SourcePlugin } from "../../core/plugin.ts";
import { type Config, configSchema, ENV, SECRETS, TYPE } from "./config.ts";

/** The `source.type: redis` plugin, registered in `src/plugins.ts`. */
export const redisSourcePlugin: SourcePlugin<Config> = {
  type: TYPE,
  summary: "Redis streams (consumer groups) and lists (reliable queues)",
  schema: configSchema,
  env: ENV,
  secrets: SECRETS,
  // The client and the source load only when used.
  create: async (config, context) => new (await import("./source.ts")).RedisSource(config, context),
  check: async (config, context) => await (await import("./check.ts")).checkRedis(config, context),
  peek: async (config, context) => await (await import("./peek.ts")).peekRedis(config, context),
};
