/**
 * End-to-end tests of the S3 sink: the real CLI (`main.ts run`) moves records from a file, Kafka or Redis into the
 * kit's MinIO; the objects are then downloaded and decoded independently to check every row and the layout.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { GetObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { decodeParquet } from "../src/parquet/writer.ts";
import { availableReaders, queryClickHouse, readWithDuckDB } from "./readers/mod.ts";
import { s3OutageTest, s3Test } from "./s3_test_lock.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";
import { fileToSinkByDate } from "./helpers/file_to_sink.ts";
import { kafkaToSinkTwoRuns } from "./helpers/kafka_to_sink.ts";
import { withKafkaTopic } from "./helpers/kafka_topic.ts";
import { redisToSinkOneShot } from "./helpers/redis_to_sink.ts";
import { type ReadBack, runCliWithConfig, type SinkContents } from "./helpers/sink_e2e.ts";
import { committedTotal, kafkaToSinkWithOutage } from "./helpers/sink_outage.ts";
import { rawS3Client, s3KeysUnder } from "./helpers/raw_stores.ts";

/**
 * Downloads and decodes every Parquet object below `prefix` (journals and dead letters aside); `keys` are the full
 * object keys, `paths` the same below the prefix.
 */
async function readParquetObjects(prefix: string): Promise<SinkContents & { keys: string[] }> {
  const client = rawS3Client();
  try {
    const keys = await s3KeysUnder(client, prefix);
    const files: ReadBack[] = [];
    for (const key of keys) {
      if (!key.endsWith(".parquet") || key.includes("/_fsds/") || key.includes("/_dead_letter/")) continue;
      const object = await client.send(new GetObjectCommand({ Bucket: endpoints().s3.bucket, Key: key }));
      const table = decodeParquet(await object.Body!.transformToByteArray());
      const rows = table.toArray().map((row) => row.toJSON() as Record<string, unknown>);
      files.push({ path: key.slice(prefix.length + 1), rows });
    }
    for (const key of keys) {
      // MinIO lists multipart uploads by exact object name only, so ask per key.
      const uploads = await client.send(
        new ListMultipartUploadsCommand({ Bucket: endpoints().s3.bucket, Prefix: key }),
      );
      assertEquals((uploads.Uploads ?? []).filter((u) => u.Key === key), [], `no multipart upload left for ${key}`);
    }
    return { files, keys, paths: keys.map((key) => key.slice(prefix.length + 1)) };
  } finally {
    client.destroy();
  }
}

/** The `sink` section pointing at the kit's MinIO under `prefix`. */
const s3Sink = kitS3Sink;

/** Runs the real CLI with a JSON (valid YAML) config file; returns its exit code and output. */
function runCli(config: Record<string, unknown>, flags: string[] = []): Promise<{ code: number; log: string }> {
  return runCliWithConfig(config, flags, { tempPrefix: "fsds-s3-e2e-", timeoutMs: 180_000 });
}

function freshPrefix(name: string): string {
  return `e2e/${name}-${crypto.randomUUID().slice(0, 8)}`;
}

await ensureRunning(["s3"]);

s3Test("file -> S3 end to end: every row lands once, in Hive date folders with clean keys", async () => {
  const prefix = freshPrefix("file");
  const { log, contents } = await fileToSinkByDate({
    name: "s3",
    sink: (extra) => s3Sink(prefix, extra),
    read: () => readParquetObjects(prefix),
  });
  equal(log.includes(endpoints().s3.secretAccessKey), false, "the secret never reaches the log");
  for (const key of contents.keys) {
    assert(!key.includes("//") && !key.startsWith("/"), `clean key ${key}`);
  }
});

s3Test("kafka -> S3 end to end: two one-shot runs write every message once", async () => {
  const prefix = freshPrefix("kafka");
  await kafkaToSinkTwoRuns({
    name: "s3",
    sink: s3Sink(prefix, { partition_by: ["kind"] }),
    read: () => readParquetObjects(prefix),
  });
});

s3Test("redis -> S3 end to end: a stream and a list drained one-shot, every entry once", async () => {
  const prefix = freshPrefix("redis");
  await redisToSinkOneShot({
    name: "s3",
    sink: s3Sink(prefix, { partition_by: ["origin"] }),
    read: () => readParquetObjects(prefix),
  });
});

s3OutageTest(
  "kafka -> S3 with MinIO stopped mid-run: nothing acknowledged past what is durable, all rows once after",
  async () => {
    const prefix = freshPrefix("kafka-outage");
    await kafkaToSinkWithOutage({
      service: "s3",
      sink: s3Sink(prefix, { max_retries: 1 }),
      total: 20_000,
      readIds: async () => (await readParquetObjects(prefix)).files.flatMap((f) => f.rows.map((r) => Number(r.id))),
    });
  },
);

s3Test("kafka -> S3 with a wrong secret: exit code 2 naming the key id, nothing consumed", async () => {
  await withKafkaTopic("fsds-s3-badcred", 1, async ({ topic, admin, producer }) => {
    await producer.send({ topic, messages: [{ value: '{"id":1}' }, { value: '{"id":2}' }] });
    const run = await runCli({
      source: { type: "kafka", bootstrap_servers: endpoints().kafka.brokers, topics: [topic], group_id: topic },
      sink: s3Sink(freshPrefix("badcred"), { aws_secret_access_key: "wrong-secret-e2e-1f2e" }),
    }, ["--until-caught-up"]);
    equal(run.code, 2, run.log);
    assert(run.log.includes(`access denied for access key id "${endpoints().s3.accessKeyId}"`), run.log);
    equal(run.log.includes("wrong-secret-e2e-1f2e"), false, "the secret is never printed");
    equal(await committedTotal(admin, topic, topic), 0, "nothing consumed or acknowledged");
  });
});

s3Test(
  "ClickHouse reads the S3 output in place with s3() and Hive partitions; DuckDB reads the same layout",
  async () => {
    const prefix = freshPrefix("clickhouse");
    const dir = await Deno.makeTempDir({ prefix: "fsds-s3-e2e-ch-" });
    const days = ["2024-05-01", "2024-05-02"];
    const lines = Array.from(
      { length: 1500 },
      (_, id) => JSON.stringify({ id, ts: `${days[id % 3 === 0 ? 0 : 1]}T08:00:00Z`, city: id % 2 ? "Paris" : "Oslo" }),
    );
    await Deno.writeTextFile(`${dir}/in.ndjson`, lines.join("\n") + "\n");
    try {
      const run = await runCli({
        source: { type: "file", path: `${dir}/in.ndjson`, batch_size: 400 },
        sink: s3Sink(prefix, { partition_by: ["date"], timestamp_field: "ts" }),
      });
      equal(run.code, 0, run.log);
      const expected = [{ date: "2024-05-01", n: 500 }, { date: "2024-05-02", n: 1000 }];

      // DuckDB over a local copy of the objects, keys unchanged, hive_partitioning on.
      const { keys } = await readParquetObjects(prefix);
      const client = rawS3Client();
      try {
        for (const key of keys.filter((k) => k.endsWith(".parquet"))) {
          const object = await client.send(new GetObjectCommand({ Bucket: endpoints().s3.bucket, Key: key }));
          const local = `${dir}/copy/${key}`;
          await Deno.mkdir(local.slice(0, local.lastIndexOf("/")), { recursive: true });
          await Deno.writeFile(local, await object.Body!.transformToByteArray());
        }
      } finally {
        client.destroy();
      }
      const duck = await readWithDuckDB(`${dir}/copy/${prefix}/**/*.parquet`, {
        hivePartitioning: true,
        sql:
          "SELECT CAST(date AS VARCHAR) AS date, count(*) AS n, count(DISTINCT id) AS d FROM data GROUP BY 1 ORDER BY 1",
      });
      assertEquals(duck.rows, expected.map((e) => ({ ...e, d: e.n })));

      // ClickHouse straight from MinIO, as a user would query the bucket.
      assert((await availableReaders()).clickhouse, "the ClickHouse reader (chdb) is installed by tests/readers");
      const s3 = endpoints().s3;
      const url = `${s3.endpoint}/${s3.bucket}/${prefix}/**/*.parquet`;
      const source = `s3('${url}', '${s3.accessKeyId}', '${s3.secretAccessKey}', 'Parquet')`;
      const total = await queryClickHouse(`SELECT count() AS n, uniqExact(id) AS d FROM ${source}`);
      assertEquals(total.rows, [{ n: 1500, d: 1500 }]);
      const perDay = await queryClickHouse(
        `SELECT toString(date) AS date, count() AS n FROM ${source} GROUP BY date ORDER BY date ` +
          "SETTINGS use_hive_partitioning = 1",
      );
      assertEquals(perDay.rows, expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
