/**
 * End-to-end test of two instances of one Kafka consumer group writing one Iceberg table on S3 (MinIO) at the same
 * time: each commits the batches of the partitions it owns, racing the other through `If-None-Match: *`; the table
 * must end with every record once (pyiceberg) and the positions of every partition. Runs twice: racing on the storage,
 * and racing through the kit's Iceberg REST catalog (whose 409 answers take the place of refused creates).
 * @module
 */
import assert, { equal } from "node:assert/strict";
import "../src/plugins.ts";
import { findSink } from "../src/core/registry.ts";
import { outputPaths } from "../src/pipeline/layout.ts";
import { currentSnapshot } from "../src/table/iceberg/metadata.ts";
import { TableStore } from "../src/table/iceberg/table_store.ts";
import { Logger } from "../src/telemetry/log.ts";
import { withKafkaTopic } from "./helpers/kafka_topic.ts";
import { availableReaders } from "./readers/mod.ts";
import { readWithPyIceberg, readWithPyIcebergRest } from "./readers/iceberg.ts";
import { tableCatalog } from "../src/table/iceberg/mod.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";
import { withMinioLock } from "./s3_test_lock.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const available = await availableReaders();

for (const rest of [false, true]) {
  Deno.test({
    name: `two instances of one consumer group share one S3 Iceberg table${rest ? " in a REST catalog" : ""}: every ` +
      "record once, no commit lost",
    ignore: !available.pyiceberg,
    async fn() {
      await ensureRunning(rest ? ["kafka", "iceberg"] : ["kafka"]);
      // A namespace of its own: the kit's catalog outlives test runs.
      const namespace = `group_${crypto.randomUUID().slice(0, 8)}`;
      const catalogKeys = rest
        ? { catalog: "rest", catalog_uri: endpoints().iceberg.uri, catalog_namespace: namespace }
        : {};
      // Inside the shared lock: a test holding it exclusively may have stopped MinIO on purpose.
      await withMinioLock("shared", async () => {
        await ensureRunning(["s3"]);
        await withKafkaTopic("fsds-iceberg-group", 4, async ({ topic, producer }) => {
          const n = 8000;
          const prefix = `it/iceberg-group-${crypto.randomUUID().slice(0, 8)}`;
          const sinkSection = kitS3Sink(prefix, { table_format: "iceberg", table: "shared", ...catalogKeys });
          const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-group-" });
          const configPath = `${dir}/config.json`;
          await Deno.writeTextFile(
            configPath,
            JSON.stringify({
              source: {
                type: "kafka",
                bootstrap_servers: endpoints().kafka.brokers,
                topics: [topic],
                group_id: topic,
                batch_size: 250,
                extra_config: { "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000 },
              },
              sink: sinkSection,
              telemetry: { log_level: "INFO" },
              pipeline: { batch_timeout_seconds: 0.5 },
            }),
          );
          const start = () =>
            new Deno.Command(Deno.execPath(), {
              args: ["run", "--allow-all", MAIN, "run", "--config", configPath],
              stdout: "null",
              stderr: "piped",
            }).spawn();
          const plugin = findSink("s3")!;
          const sink = await plugin.create(plugin.schema.parse(sinkSection), {
            log: new Logger("test"),
            paths: outputPaths,
          });
          await sink.connect();
          const catalog = tableCatalog(
            plugin.schema.parse(sinkSection) as Parameters<typeof tableCatalog>[0],
            new Logger("test.catalog"),
          );
          const store = new TableStore(sink, "shared/", { catalog, name: "shared" });
          const instances = [start(), start()];
          const logs = instances.map((child) => new Response(child.stderr).text());
          try {
            // Produced while both run, so both own partitions with records to write.
            await new Promise((r) => setTimeout(r, 4000));
            for (let i = 0; i < n; i += 500) {
              const messages = Array.from({ length: 500 }, (_, j) => ({
                partition: (i + j) % 4,
                value: JSON.stringify({ id: i + j }),
              }));
              await producer.send({ topic, messages });
              await new Promise((r) => setTimeout(r, 100));
            }
            const deadline = Date.now() + 90_000;
            const total = async () => {
              const latest = await store.latest();
              return Number((latest && currentSnapshot(latest.metadata)?.summary["total-records"]) ?? 0);
            };
            while (await total() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
          } finally {
            for (const child of instances) child.kill("SIGTERM");
            await Promise.all(instances.map((child) => child.status));
          }
          try {
            const texts = await Promise.all(logs);
            for (const [i, text] of texts.entries()) {
              assert(/Wrote batch/.test(text), `instance ${i} wrote batches:\n${text.slice(-2000)}`);
            }
            const latest = (await store.latest())!;
            const positions = JSON.parse(currentSnapshot(latest.metadata)!.summary["fsds.positions"]!);
            equal(Object.keys(positions).length, 4, "every partition's position is in the table");
            const s3 = endpoints().s3;
            const access = { endpoint: s3.endpoint, accessKey: s3.accessKeyId, secretKey: s3.secretAccessKey };
            const read = rest
              ? await readWithPyIcebergRest(endpoints().iceberg.uri, `${namespace}.shared`, {
                idColumn: "id",
                s3: access,
              })
              : await readWithPyIceberg(store.uriOf(latest.path), { idColumn: "id", s3: access });
            equal(read.distinct_ids, n, "every record is in the table");
            equal(read.rows, n, "no record is in the table twice");
            equal(read.snapshots, latest.version, "one snapshot per committed version: no commit lost");
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
