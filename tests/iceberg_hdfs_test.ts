/**
 * End-to-end test of Iceberg tables on HDFS: the real CLI writes a table over WebHDFS, ClickHouse (chdb's
 * `icebergHDFS`, a Hadoop RPC client: no code of this project) counts its rows and distinct ids, then `compact`
 * merges its small files and the count stays the same.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { availableReaders } from "./readers/mod.ts";
import { countWithClickHouse } from "./readers/iceberg.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";
import { hdfsRpcPort } from "./services/hdfs.ts";
import { WebHdfsClient } from "../src/sinks/hdfs/webhdfs_client.ts";

const available = await availableReaders();

Deno.test({
  name: "a file run writes an Iceberg table to HDFS that ClickHouse counts, before and after compact",
  ignore: !available.clickhouse,
  async fn() {
    await ensureRunning(["hdfs"]);
    const hdfs = endpoints().hdfs;
    const base = `${hdfs.home}/iceberg-e2e-${crypto.randomUUID().slice(0, 8)}`;
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-hdfs-" });
    try {
      const lines = Array.from({ length: 1200 }, (_, id) => JSON.stringify({ id, region: ["eu", "us"][id % 2] }));
      await Deno.writeTextFile(`${dir}/in.ndjson`, lines.join("\n") + "\n");
      const config = {
        source: { type: "file", path: `${dir}/in.ndjson`, batch_size: 300 },
        sink: {
          type: "hdfs",
          url: hdfs.url,
          user: hdfs.user,
          base_path: base,
          rpc_port: hdfsRpcPort(),
          table_format: "iceberg",
          table: "t",
          partition_by: ["region"],
        },
        telemetry: { log_level: "WARNING" },
      };
      const run = await runCliWithConfig(config);
      equal(run.code, 0, run.log);
      const location = `hdfs://${new URL(hdfs.url).hostname}:${hdfsRpcPort()}${base}/t/`;
      assertEquals(await countWithClickHouse(location, { idColumn: "id" }), { rows: 1200, distinct_ids: 1200 });
      const compact = await runCli(["compact", "--older-than", "0s"], { config });
      equal(compact.code, 0, compact.stderr + compact.stdout);
      assert(/8 -> 2 data files/.test(compact.stdout), compact.stdout);
      assertEquals(await countWithClickHouse(location, { idColumn: "id" }), { rows: 1200, distinct_ids: 1200 });
    } finally {
      await new WebHdfsClient({ urls: [hdfs.url], user: hdfs.user }).delete(base, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
