/**
 * The `redis` source plugin: Redis streams read through a consumer group and Redis lists consumed as reliable
 * queues, in one source. Entries and items are acknowledged in Redis only once their files are durable, a restart
 * re-delivers the rest under the same stream names and positions, and a dead instance's work is taken over under its
 * lease. The configuration is in `config.ts`, the source in `source.ts`, `check` and `preview` in `check.ts` and
 * `peek.ts`.
 * @module
 */
import type { SourcePlugin } from "../../core/plugin.ts";
import { checkRedis } from "./check.ts";
import { type Config, configSchema, ENV, SECRETS, TYPE } from "./config.ts";
import { peekRedis } from "./peek.ts";
import { RedisSource } from "./source.ts";

/** The `source.type: redis` plugin, registered in `src/plugins.ts`. */
export const redisSourcePlugin: SourcePlugin<Config> = {
  type: TYPE,
  summary: "Redis streams (consumer groups) and lists (reliable queues)",
  schema: configSchema,
  env: ENV,
  secrets: SECRETS,
  create: (config, context) => new RedisSource(config, context),
  check: checkRedis,
  peek: peekRedis,
};
