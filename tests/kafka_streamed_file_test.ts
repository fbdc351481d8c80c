/**
 * A large file streamed while its rows arrive, end to end: kcat (librdkafka) fills a one-partition topic with lz4
 * batches; the real CLI drains it one-shot into the kit's MinIO as one batch, whose file passes the streaming
 * threshold, so its row groups go up as multipart parts before the batch is cut; a new column late in the topic
 * starts a second file of the folder. The files are fetched with the AWS SDK and read by DuckDB and pyarrow: every
 * offset once, the new column where it was sent, full row groups.
 * @module
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { stringify } from "yaml";
import { runOnce } from "./helpers/kafka_cli.ts";
import { kcatProduce } from "./helpers/kcat.ts";
import { brokers, committedOffsets, createTopic, deleteTopics, uniqueName } from "./kafka_helpers.ts";
import { readParquetMetadata, readWithDuckDB } from "./readers/mod.ts";
import { withMinioLock } from "./s3_test_lock.ts";
import { rawS3Client, s3KeysUnder } from "./helpers/raw_stores.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const RECORDS = 100_000;
/** Records from this one on carry a column the earlier ones lack. */
const LATE = 80_000;
const ROW_GROUP = 10_000;

function lines(): string[] {
  const note = "n".repeat(180);
  return Array.from({ length: RECORDS }, (_, id) => {
    const record: Record<string, unknown> = { id, symbol: `SYM${id % 13}`, price: id / 100, note: `${id}:${note}` };
    if (id >= LATE) record.late = `late-${id}`;
    return `k${id % 5}:${JSON.stringify(record)}`;
  });
}

Deno.test(
  "a file past the streaming threshold streams into MinIO while its rows arrive; DuckDB reads every record once",
  opts,
  async () => {
    await ensureRunning(["kafka", "s3"]);
    await withMinioLock("shared", async () => {
      const dir = await Deno.makeTempDir({ prefix: "fsds-streamed-file-" });
      const topic = await createTopic("streamed-file", 1);
      const group = uniqueName("streamed-file");
      const prefix = `streamed-file/${crypto.randomUUID().slice(0, 8)}`;
      const s3 = endpoints().s3;
      const client = rawS3Client();
      try {
        await kcatProduce(topic, lines(), "lz4");
        const file = `${dir}/config.yaml`;
        await Deno.writeTextFile(
          file,
          stringify({
            source: {
              type: "kafka",
              bootstrap_servers: brokers(),
              topics: [topic],
              group_id: group,
              batch_size: RECORDS * 2,
            },
            sink: kitS3Sink(prefix, { part_size_mb: 5, row_group_size: ROW_GROUP, compression: "zstd" }),
            telemetry: { log_level: "INFO", enabled: false },
            pipeline: { batch_timeout_seconds: 600 },
          }),
        );
        const run = await runOnce(file);
        assert.equal(run.code, 0, run.stderr);
        const batches = run.stderr.split("\n").filter((line) => line.includes("Wrote batch"));
        assert.equal(batches.length, 1, `one batch: ${batches.join("\n")}`);

        const keys = (await s3KeysUnder(client, prefix)).filter((key) => key.endsWith(".parquet"));
        const stem = `${prefix}/${topic}+0+${"0".repeat(20)}`;
        assertEquals(keys, [`${stem}.1.parquet`, `${stem}.parquet`]);
        const local: string[] = [];
        for (const key of keys) {
          const response = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
          const path = `${dir}/${key.split("/").pop()}`;
          await Deno.writeFile(path, await response.Body!.transformToByteArray());
          local.push(path);
        }
        const counts = await readWithDuckDB(local, {
          sql: "SELECT count(*) AS n, count(DISTINCT kafka_offset) AS offsets, min(id) AS lo, max(id) AS hi, " +
            "count(late) AS late, count(*) FILTER (WHERE late IS NOT NULL AND id < " + LATE + ") AS early_late, " +
            "count(*) FILTER (WHERE note <> id::VARCHAR || ':' || repeat('n', 180)) AS bad_notes FROM data",
        });
        assertEquals(counts.rows, [{
          n: RECORDS,
          offsets: RECORDS,
          lo: 0,
          hi: RECORDS - 1,
          late: RECORDS - LATE,
          early_late: 0,
          bad_notes: 0,
        }]);
        const [second, first] = await Promise.all(local.map((path) => readParquetMetadata(path)));
        const groups = (m: typeof first) => m!.row_groups.map((g) => g.num_rows);
        const total = first!.num_rows + second!.num_rows;
        assertEquals(total, RECORDS);
        assert.ok(first!.num_rows < LATE, `the first file holds rows before the new column only: ${first!.num_rows}`);
        for (const meta of [first!, second!]) {
          const sizes = groups(meta);
          assert.ok(sizes.slice(0, -1).every((n) => n === ROW_GROUP), `full row groups: ${sizes}`);
        }
        assert.ok(groups(first!).length >= 4, `several row groups streamed: ${groups(first!)}`);
        assertEquals(await committedOffsets(group, topic), { 0: RECORDS });
      } finally {
        client.destroy();
        await deleteTopics(topic);
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
);
