/**
 * End-to-end tests of the HDFS sink: the real CLI (`main.ts run`) moves records from a file, Kafka or Redis into
 * the kit's HDFS; the files are then listed and fetched with plain WebHDFS calls (LISTSTATUS, OPEN) written here,
 * independent of the sink's client, and decoded to check every row, the layout and that no temporary file is left.
 * @module
 */
import assert from "node:assert/strict";
import { decodeParquet } from "../src/parquet/writer.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";
import { fileToSinkByDate } from "./helpers/file_to_sink.ts";
import { kafkaToSinkTwoRuns } from "./helpers/kafka_to_sink.ts";
import { redisToSinkOneShot } from "./helpers/redis_to_sink.ts";
import type { ReadBack, SinkContents } from "./helpers/sink_e2e.ts";
import { kafkaToSinkWithOutage } from "./helpers/sink_outage.ts";
import { hdfsTree, webhdfs } from "./helpers/raw_stores.ts";

/** Fetches (OPEN) and decodes every Parquet data file below `base` (journals and dead letters aside). */
async function readParquetFiles(base: string): Promise<SinkContents> {
  const paths = (await hdfsTree(base)).map((p) => p.slice(base.length + 1));
  const files: ReadBack[] = [];
  for (const path of paths) {
    if (!path.endsWith(".parquet") || path.startsWith("_fsds/") || path.startsWith("_dead_letter/")) continue;
    const response = await webhdfs(`${base}/${path}`, "OPEN");
    assert(response.ok, `OPEN ${path}: ${response.status}`);
    const table = decodeParquet(new Uint8Array(await response.arrayBuffer()));
    files.push({ path, rows: table.toArray().map((row) => row.toJSON() as Record<string, unknown>) });
  }
  for (const path of paths) assert(!path.endsWith(".fsds-tmp"), `temporary file left behind: ${path}`);
  return { files, paths };
}

/** The `sink` section pointing at the kit's HDFS under `base`. */
function hdfsSink(base: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { url, user } = endpoints().hdfs;
  return { type: "hdfs", url, user, base_path: base, ...extra };
}

function freshBase(name: string): string {
  return `${endpoints().hdfs.home}/e2e/${name}-${crypto.randomUUID().slice(0, 8)}`;
}

async function removeTree(base: string): Promise<void> {
  const { url, user } = endpoints().hdfs;
  await fetch(`${url}/webhdfs/v1${base}?op=DELETE&recursive=true&user.name=${user}`, { method: "DELETE" })
    .then((r) => r.body?.cancel()).catch(() => {});
}

/** Runs `body` with a fresh base folder, removed afterwards. */
async function withBase(name: string, body: (base: string) => Promise<void>): Promise<void> {
  const base = freshBase(name);
  try {
    await body(base);
  } finally {
    await removeTree(base);
  }
}

await ensureRunning(["hdfs"]);

Deno.test("file -> HDFS end to end: every row read back via OPEN, once, in Hive date folders", async () => {
  await withBase("file", async (base) => {
    await fileToSinkByDate({
      name: "hdfs",
      sink: (extra) => hdfsSink(base, extra),
      read: () => readParquetFiles(base),
      rerun: true, // HDFS RENAME must replace the files of the first run, not duplicate them
    });
  });
});

Deno.test("kafka -> HDFS end to end: two one-shot runs write every message once", async () => {
  await withBase("kafka", async (base) => {
    await kafkaToSinkTwoRuns({
      name: "hdfs",
      sink: hdfsSink(base, { partition_by: ["kind"] }),
      read: () => readParquetFiles(base),
    });
  });
});

Deno.test("redis -> HDFS end to end: a stream and a list drained one-shot, every entry once", async () => {
  await withBase("redis", async (base) => {
    await redisToSinkOneShot({
      name: "hdfs",
      sink: hdfsSink(base, { partition_by: ["origin"] }),
      read: () => readParquetFiles(base),
    });
  });
});

Deno.test("kafka -> HDFS with HDFS stopped mid-run: nothing acknowledged past what is durable, all rows once after", async () => {
  await withBase("kafka-outage", async (base) => {
    await kafkaToSinkWithOutage({
      service: "hdfs",
      sink: hdfsSink(base, { max_retries: 1, timeout_ms: 10_000 }),
      total: 10_000,
      readIds: async () => (await readParquetFiles(base)).files.flatMap((f) => f.rows.map((r) => Number(r.id))),
    });
  });
});
