/**
 * The `hdfs` sink plugin over WebHDFS (REST on `fetch`, no HDFS client library). Each file is created under a hidden
 * temporary name in its target folder, then renamed into place with overwrite semantics, so readers see either
 * nothing or the whole file and a repeated write replaces the earlier one. `connect()` creates `base_path`, writes
 * and deletes a probe file, and removes temporary files a crashed run left behind; `fs-data-sink check` probes the
 * same way without the cleanup (`check.ts`). A streamed write (`open()`, `upload.ts`) builds the temporary file from
 * parts CREATEd beside it and CONCATenated onto it as they fill (no APPEND), then renames it the same way.
 *
 * Several NameNode URLs make an HA pair (see `webhdfs_client.ts`). Authentication: simple (`user`) or a delegation
 * token; Kerberos/SPNEGO is not supported yet.
 * @module
 */
import type { SinkPlugin } from "../../core/plugin.ts";
import { type Config, configSchema, ENV, SECRETS, TYPE } from "./config.ts";

/** The `sink.type: hdfs` plugin, registered in `src/plugins.ts`. */
export const hdfsSinkPlugin: SinkPlugin<Config> = {
  type: TYPE,
  summary: "Parquet files on HDFS over WebHDFS (temp name, then rename; NameNode HA failover)",
  schema: configSchema,
  env: ENV,
  secrets: SECRETS,
  // The sink loads only when used.
  create: async (config, context) =>
    (await import("./sink.ts")).createHdfsSink(config, { log: context.log, paths: context.paths }),
  check: async (config, context) => await (await import("./check.ts")).checkHdfsSink(config, context),
};
