/**
 * End-to-end test of `fs-data-sink compact` on a local Iceberg table: many small files (one per batch and region)
 * become one per region in a `replace` snapshot, old snapshots expire, their files and an orphan data file are
 * deleted; pyiceberg and ClickHouse read the same rows before and after.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { availableReaders } from "./readers/mod.ts";
import { countWithClickHouse, latestMetadataFile, readWithPyIceberg } from "./readers/iceberg.ts";
import { addEntries, adminClient, uniqueKey } from "./redis_helpers.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";

const available = await availableReaders();

async function dataFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(`${dir}/${entry.name}`);
      else if (entry.name.endsWith(".parquet")) found.push(`${dir}/${entry.name}`);
    }
  };
  await walk(folder);
  return found;
}

Deno.test({
  name: "compact rewrites small files into one per partition, expires snapshots and orphans, rows unchanged",
  ignore: !available.pyiceberg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-compact-" });
    try {
      const lines = Array.from(
        { length: 3000 },
        (_, id) => JSON.stringify({ id, region: ["eu", "us"][id % 2], v: id * 2 }),
      );
      await Deno.writeTextFile(`${dir}/in.ndjson`, lines.join("\n") + "\n");
      const config = {
        source: { type: "file", path: `${dir}/in.ndjson`, batch_size: 200 },
        sink: { type: "local", path: `${dir}/out`, table_format: "iceberg", table: "t", partition_by: ["region"] },
        telemetry: { log_level: "WARNING" },
      };
      const run = await runCliWithConfig(config);
      equal(run.code, 0, run.log);
      const table = `${dir}/out/t`;
      const before = await readWithPyIceberg(await latestMetadataFile(table), { idColumn: "id" });
      equal(before.rows, 3000);
      equal(before.files, 30, "15 batches x 2 regions");
      // A data file of a commit that never happened (an old one: past the grace).
      const orphan = `${table}/data/region=eu/in.ndjson+000000000001.20200101T000000Z-deadbeef.parquet`;
      await Deno.copyFile((await dataFiles(`${table}/data/region=eu`))[0]!, orphan);

      const compact = await runCli(["compact", "--older-than", "0s", "--retain", "0s"], { config });
      equal(compact.code, 0, compact.stderr + compact.stdout);
      assert(/30 -> 2 data files/.test(compact.stdout), compact.stdout);

      const after = await readWithPyIceberg(await latestMetadataFile(table), { idColumn: "id" });
      equal(after.operation, "replace");
      equal(after.files, 2, "one file per region");
      equal(after.rows, 3000);
      equal(after.distinct_ids, 3000);
      assertEquals(after.values, before.values, "the same rows");
      equal(after.snapshots, 1, "older snapshots expired");
      equal(after.summary["fsds.positions"], before.summary["fsds.positions"], "stream positions kept");
      assertEquals((await dataFiles(`${table}/data`)).length, 2, "rewritten files and the orphan deleted");
      if (available.clickhouse) {
        assertEquals(await countWithClickHouse(table, { idColumn: "id" }), { rows: 3000, distinct_ids: 3000 });
      }

      // A later run appends on top of the compacted table.
      const more = lines.map((_, i) => JSON.stringify({ id: 3000 + i, region: "eu", v: 0 }));
      await Deno.writeTextFile(`${dir}/in.ndjson`, more.join("\n") + "\n");
      equal((await runCliWithConfig(config)).code, 0);
      const appended = await readWithPyIceberg(await latestMetadataFile(table), { idColumn: "id" });
      equal(appended.rows, 6000);
      equal(appended.distinct_ids, 6000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "pipeline.compaction compacts the tables of a running service while it appends; every entry once",
  ignore: !available.pyiceberg,
  async fn() {
    await ensureRunning(["redis"]);
    const admin = await adminClient();
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-service-compact-" });
    const stream = uniqueKey("ice-compact");
    try {
      const { host, port } = endpoints().redis;
      const configPath = `${dir}/config.json`;
      await Deno.writeTextFile(
        configPath,
        JSON.stringify({
          source: { type: "redis", host, port, stream_keys: [stream], payload_field: "data", batch_size: 100 },
          sink: { type: "local", path: `${dir}/out`, table_format: "iceberg", table: "t" },
          telemetry: { log_level: "WARNING" },
          pipeline: {
            batch_timeout_seconds: 0.2,
            // Snapshots are kept a minute: the test reads the table while the service compacts it.
            compaction: { interval_seconds: 1, older_than_seconds: 0, retain_seconds: 60 },
          },
        }),
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname, "run", "--config", configPath],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const total = 3000;
      for (let i = 0; i < total; i += 300) {
        await addEntries(admin, stream, 300, (j) => ({ data: JSON.stringify({ id: i + j }) }));
        await new Promise((r) => setTimeout(r, 400));
      }
      const table = `${dir}/out/t`;
      const replaced = async () => {
        for await (const entry of Deno.readDir(`${table}/metadata`)) {
          if (!entry.name.endsWith(".metadata.json")) continue;
          const metadata = JSON.parse(await Deno.readTextFile(`${table}/metadata/${entry.name}`));
          if (metadata.snapshots.some((s: { summary: { operation: string } }) => s.summary.operation === "replace")) {
            return true;
          }
        }
        return false;
      };
      const deadline = Date.now() + 30_000;
      let read = await readWithPyIceberg(await latestMetadataFile(table), { idColumn: "id" });
      while ((read.rows < total || !await replaced()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        read = await readWithPyIceberg(await latestMetadataFile(table), { idColumn: "id" });
      }
      child.kill("SIGTERM");
      const status = await child.status;
      const stderr = new TextDecoder().decode(
        (await child.output().catch(() => ({ stderr: new Uint8Array() }))).stderr,
      );
      equal(status.code, 0, stderr);
      assert(await replaced(), "a replace snapshot was committed while the service ran");
      const final = await readWithPyIceberg(await latestMetadataFile(table), { idColumn: "id" });
      equal(final.rows, total);
      equal(final.distinct_ids, total);
    } finally {
      await admin.call("DEL", stream);
      admin.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
