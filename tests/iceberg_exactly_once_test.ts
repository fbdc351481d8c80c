/**
 * End-to-end tests of exactly-once delivery into Iceberg tables: the real CLI is killed with SIGKILL at random
 * moments (after a random number of snapshots, plus a random delay, so kills land before, during and after commits),
 * restarted, and finally run until caught up; the table must then hold every record once, which pyiceberg and
 * ClickHouse count. Redis -> local folder, and Kafka -> S3 (MinIO). Kills rarely land in the short window between a
 * commit and its acknowledgement, so each test also rewinds the source (the stream's consumer group, the Kafka
 * group's offsets) to the start: a run must then acknowledge what the table already holds without writing it again.
 * Each runs twice: the table on the storage alone, and committed through the kit's Iceberg REST catalog (read back
 * through the catalog by pyiceberg's own REST client).
 * @module
 */
import assert, { equal } from "node:assert/strict";
import { addEntries, adminClient, uniqueKey } from "./redis_helpers.ts";
import { listKeysOf } from "../src/sources/redis/lists.ts";
import { runCli } from "./helpers/cli.ts";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { withKafkaTopic } from "./helpers/kafka_topic.ts";
import { availableReaders } from "./readers/mod.ts";
import {
  countWithClickHouse,
  latestMetadataFile,
  type PyIcebergTable,
  readWithPyIceberg,
  readWithPyIcebergRest,
} from "./readers/iceberg.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";
import { withMinioLock } from "./s3_test_lock.ts";
import "../src/plugins.ts";
import { findSink } from "../src/core/registry.ts";
import { outputPaths } from "../src/pipeline/layout.ts";
import { TableStore } from "../src/table/iceberg/table_store.ts";
import { tableCatalog } from "../src/table/iceberg/mod.ts";
import { Logger } from "../src/telemetry/log.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const available = await availableReaders();

/** Starts the CLI on `config` (a JSON file), stderr discarded. */
function cli(configPath: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "run", "--config", configPath],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/**
 * Kills `child` with SIGKILL once `versions()` reaches `atLeast`, then `jitterMs` later; sooner when no new version
 * came for 15 s (from the start or the last new one: everything is read, and a run that has caught up commits
 * nothing more; this used to wait out the 60 s limit, up to three times a test) or after 60 s.
 */
async function killAfter(child: Deno.ChildProcess, versions: () => Promise<number>, atLeast: number, jitterMs: number) {
  const start = Date.now();
  let seen = await versions();
  let changedAt = start;
  for (;;) {
    const now = Date.now();
    const current = await versions();
    if (current !== seen) [seen, changedAt] = [current, now];
    if (current >= atLeast || now - start > 60_000 || now - changedAt > 15_000) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, jitterMs));
  child.kill("SIGKILL");
  await child.status;
}

function random(below: number): number {
  return Math.floor(Math.random() * below);
}

/** Where the tests' tables are committed: on the storage alone, or through the kit's REST catalog. */
type CatalogMode = "storage" | "rest";
const CATALOG_MODES: readonly CatalogMode[] = ["storage", "rest"];

/** The sink keys of a catalog mode; a namespace of its own per test, as the kit's catalog outlives test runs. */
function catalogKeys(mode: CatalogMode): Record<string, string> {
  if (mode === "storage") return {};
  const namespace = `kill_${crypto.randomUUID().slice(0, 8)}`;
  return { catalog: "rest", catalog_uri: endpoints().iceberg.uri, catalog_namespace: namespace };
}

/**
 * The newest metadata version of a local table (0 before the first commit): `vN.metadata.json` of Hadoop tables, or
 * `NNNNN-<uuid>.metadata.json` (N from 0) of those a catalog writes.
 */
async function localVersions(table: string): Promise<number> {
  let best = 0;
  try {
    for await (const entry of Deno.readDir(`${table}/metadata`)) {
      const match = /^(?:v(\d+)|(\d{5})-[0-9a-f-]{36})\.metadata\.json$/.exec(entry.name);
      if (match) best = Math.max(best, match[1] ? Number(match[1]) : Number(match[2]) + 1);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return best;
}

for (const mode of CATALOG_MODES) {
  Deno.test({
    name:
      `redis -> local Iceberg table (${mode === "rest" ? "REST catalog" : "no catalog"}): every entry exactly once ` +
      "across kill -9 at random moments",
    ignore: !available.pyiceberg,
    async fn() {
      await ensureRunning(mode === "rest" ? ["redis", "iceberg"] : ["redis"]);
      const catalog = catalogKeys(mode);
      const readTable = (table: string): Promise<PyIcebergTable> =>
        mode === "rest"
          ? readWithPyIcebergRest(catalog.catalog_uri!, `${catalog.catalog_namespace}.events`, { idColumn: "id" })
          : latestMetadataFile(table).then((file) => readWithPyIceberg(file, { idColumn: "id" }));
      const n = 6000;
      const admin = await adminClient();
      const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-kill-" });
      const stream = uniqueKey("ice-s");
      const list = uniqueKey("ice-l");
      try {
        await addEntries(admin, stream, n, (i) => ({ data: JSON.stringify({ id: i, src: "s" }) }));
        for (let i = 0; i < n; i += 1000) {
          await admin.call(
            "RPUSH",
            list,
            ...Array.from({ length: 1000 }, (_, j) => JSON.stringify({ id: n + i + j, src: "l" })),
          );
        }
        const { host, port } = endpoints().redis;
        const config = (pipeline: Record<string, unknown>) => ({
          source: {
            type: "redis",
            host,
            port,
            stream_keys: [stream],
            list_keys: [list],
            payload_field: "data",
            consumer_name: "k",
            batch_size: 300,
          },
          sink: {
            type: "local",
            path: `${dir}/out`,
            table_format: "iceberg",
            table: "events",
            partition_by: ["src", "date"],
            ...catalog,
          },
          telemetry: { log_level: "WARNING" },
          pipeline,
        });
        const continuous = `${dir}/continuous.json`;
        await Deno.writeTextFile(continuous, JSON.stringify(config({ batch_timeout_seconds: 1 })));
        const table = `${dir}/out/events`;
        let target = 0;
        for (let kill = 0; kill < 4; kill++) {
          target = (await localVersions(table)) + 1 + random(4);
          await killAfter(cli(continuous), () => localVersions(table), target, random(150));
        }
        assert(await localVersions(table) >= 4, "the killed runs committed snapshots");
        const final = await runCliWithConfig(config({ until_caught_up: true }), []);
        equal(final.code, 0, final.log);
        const read = await readTable(table);
        equal(read.distinct_ids, 2 * n, "every entry is in the table");
        equal(read.rows, 2 * n, "no entry is in the table twice");
        // The day partitions come from the stream ids' time: a metadata column in ms, written in µs.
        equal(read.columns.find((c) => c.name === "redis_timestamp")?.type, "timestamptz");
        // Committed but not acknowledged, as if killed right after a commit: the table's positions decide.
        await admin.call("XGROUP", "SETID", stream, "fs-data-sink", "0", "ENTRIESREAD", "0");
        const rewound = await runCliWithConfig(config({ until_caught_up: true }), []);
        equal(rewound.code, 0, rewound.log);
        const again = await readTable(table);
        equal(again.rows, 2 * n, "a rewound stream is not written again");
        if (available.clickhouse) {
          const counted = await countWithClickHouse(table, { idColumn: "id" });
          equal(counted.rows, 2 * n);
          equal(counted.distinct_ids, 2 * n);
        }
      } finally {
        const bookkeeping = Object.values(listKeysOf(list, "fs-data-sink", "k"));
        await admin.call("DEL", stream, list, ...bookkeeping);
        admin.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

for (const mode of CATALOG_MODES) {
  Deno.test({
    name: `kafka -> S3 (MinIO) Iceberg table (${mode === "rest" ? "REST catalog" : "no catalog"}): every record ` +
      "exactly once across kill -9 at random moments, and after compact",
    ignore: !available.pyiceberg,
    async fn() {
      await ensureRunning(mode === "rest" ? ["kafka", "iceberg"] : ["kafka"]);
      const catalog = catalogKeys(mode);
      // Inside the shared lock: a test holding it exclusively may have stopped MinIO on purpose.
      await withMinioLock("shared", async () => {
        await ensureRunning(["s3"]);
        await withKafkaTopic("fsds-iceberg-kill", 3, async ({ topic, producer, admin: kafkaAdmin }) => {
          const n = 9000;
          for (let i = 0; i < n; i += 1000) {
            const messages = Array.from({ length: 1000 }, (_, j) => ({
              key: `k${(i + j) % 7}`,
              value: JSON.stringify({ id: i + j, kind: (i + j) % 2 ? "odd" : "even" }),
            }));
            await producer.send({ topic, messages });
          }
          const prefix = `it/iceberg-kill-${crypto.randomUUID().slice(0, 8)}`;
          const sinkSection = kitS3Sink(prefix, { table_format: "iceberg", partition_by: ["kind"], ...catalog });
          const config = (pipeline: Record<string, unknown>) => ({
            source: {
              type: "kafka",
              bootstrap_servers: endpoints().kafka.brokers,
              topics: [topic],
              group_id: topic,
              batch_size: 400,
              // The killed member stays in the group until its session times out: keep that short.
              extra_config: { "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000 },
            },
            sink: sinkSection,
            telemetry: { log_level: "WARNING" },
            pipeline,
          });
          const plugin = findSink("s3")!;
          const sink = await plugin.create(plugin.schema.parse(sinkSection), {
            log: new Logger("test"),
            paths: outputPaths,
          });
          await sink.connect();
          const sinkConfig = plugin.schema.parse(sinkSection) as Parameters<typeof tableCatalog>[0];
          const store = new TableStore(sink, `${topic}/`, {
            catalog: tableCatalog(sinkConfig, new Logger("test.catalog")),
            name: topic,
          });
          const versions = async () => (await store.latest().catch(() => null))?.version ?? 0;
          const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-kafka-kill-" });
          try {
            const continuous = `${dir}/continuous.json`;
            await Deno.writeTextFile(continuous, JSON.stringify(config({ batch_timeout_seconds: 1 })));
            for (let kill = 0; kill < 3; kill++) {
              const target = (await versions()) + 1 + random(4);
              await killAfter(cli(continuous), versions, target, random(150));
            }
            assert(await versions() >= 3, "the killed runs committed snapshots");
            const final = await runCliWithConfig(config({ until_caught_up: true }), []);
            equal(final.code, 0, final.log);
            const latest = await store.latest();
            const s3 = endpoints().s3;
            const access = { endpoint: s3.endpoint, accessKey: s3.accessKeyId, secretKey: s3.secretAccessKey };
            const readTable = async (): Promise<PyIcebergTable> =>
              mode === "rest"
                ? await readWithPyIcebergRest(
                  catalog.catalog_uri!,
                  `${catalog.catalog_namespace}.${topic.replace(/[^A-Za-z0-9_]/g, "_")}`,
                  {
                    idColumn: "id",
                    s3: access,
                  },
                )
                : await readWithPyIceberg(store.uriOf((await store.latest())!.path), { idColumn: "id", s3: access });
            const read = await readTable();
            equal(read.distinct_ids, n, "every record is in the table");
            equal(read.rows, n, "no record is in the table twice");
            // Committed but not acknowledged, as if killed right after a commit: the table's positions decide.
            await kafkaAdmin.resetOffsets({ groupId: topic, topic, earliest: true });
            const rewound = await runCliWithConfig(config({ until_caught_up: true }), []);
            equal(rewound.code, 0, rewound.log);
            const after = await store.latest();
            equal(after!.version, latest!.version, "offsets reset to the start: nothing written again");
            if (available.clickhouse) {
              const url = `${s3.endpoint}/${s3.bucket}/${prefix}/${topic}/`;
              const counted = await countWithClickHouse(url, { idColumn: "id", s3: access });
              equal(counted.rows, n);
              equal(counted.distinct_ids, n);
            }
            // compact on S3: fewer files in the current snapshot, the same rows.
            const compact = await runCli(["compact", "--older-than", "0s"], { config: config({}) });
            equal(compact.code, 0, compact.stderr + compact.stdout);
            const compacted = await readTable();
            equal(compacted.operation, "replace");
            assert(compacted.files < read.files, `files: ${read.files} -> ${compacted.files}`);
            equal(compacted.rows, n);
            equal(compacted.distinct_ids, n);
            if (available.clickhouse) {
              const url = `${s3.endpoint}/${s3.bucket}/${prefix}/${topic}/`;
              equal((await countWithClickHouse(url, { idColumn: "id", s3: access })).rows, n);
            }
          } finally {
            for (const entry of await sink.list("")) await sink.delete(entry.path);
            await sink.close();
            await Deno.remove(dir, { recursive: true });
          }
        });
      });
    },
  });
}
