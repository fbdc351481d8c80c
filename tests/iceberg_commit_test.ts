/**
 * Integration tests of Iceberg commits on the three sinks with a conditional write (local, S3 on the kit's MinIO,
 * HDFS on the kit's NameNode): two writers (two delivery logs with their own caches, as two instances of one
 * consumer group are) commit batches of their own streams to one table at the same time; every commit must land
 * (the table holds every row once, one snapshot per batch, and both streams' last positions). Read back by pyiceberg
 * (local, S3) and, for HDFS, from the metadata the NameNode holds.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { Int64, Table, Utf8, vectorFromArray } from "apache-arrow";
import "../src/plugins.ts";
import { findSink } from "../src/core/registry.ts";
import type { Sink } from "../src/core/sink.ts";
import { outputPaths } from "../src/pipeline/layout.ts";
import { encodeParquet } from "../src/parquet/writer.ts";
import { IcebergLog } from "../src/table/iceberg/mod.ts";
import { TableStore } from "../src/table/iceberg/table_store.ts";
import { currentSnapshot } from "../src/table/iceberg/metadata.ts";
import { Logger } from "../src/telemetry/log.ts";
import { availableReaders } from "./readers/mod.ts";
import { readWithPyIceberg } from "./readers/iceberg.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";
import { withMinioLock } from "./s3_test_lock.ts";

const log = new Logger("test.iceberg");
const available = await availableReaders();
const WRITERS = 2;
const BATCHES = 12;
const ROWS = 10;

function makeSink(section: Record<string, unknown>): Promise<Sink> {
  const plugin = findSink(section.type as string)!;
  return plugin.create(plugin.schema.parse(section), { log, paths: outputPaths });
}

function writerLog(sink: Sink): IcebergLog {
  return new IcebergLog(sink, {
    log,
    tableOf: () => "race/",
    partitionBy: [],
    encode: (table) => encodeParquet(table, { compression: "snappy", rowGroupSize: 1000 }),
  });
}

/** A batch's rows; with `newColumns`, each batch also brings a column of its own (`w<writer>_<batch>`). */
function batchTable(writer: number, batch: number, newColumns: boolean): Table {
  const ids = Array.from({ length: ROWS }, (_, i) => BigInt((writer * BATCHES + batch) * ROWS + i));
  return new Table({
    id: vectorFromArray(ids, new Int64()),
    writer: vectorFromArray(ids.map(() => `w${writer}`), new Utf8()),
    ...(newColumns ? { [`w${writer}_${batch}`]: vectorFromArray(ids, new Int64()) } : {}),
  });
}

/** One writer: its own sink client and delivery log, committing its stream's batches one after another. */
async function runWriter(section: Record<string, unknown>, writer: number, newColumns: boolean): Promise<void> {
  const sink = await makeSink(section);
  await sink.connect();
  const delivery = writerLog(sink);
  const stream = `s${writer}`;
  const compare = (a: string, b: string) => Number(a) - Number(b);
  await delivery.recover(stream, { dataset: "race", first: "0", compare });
  try {
    for (let batch = 0; batch < BATCHES; batch++) {
      const tableFile = delivery.tableFile("race");
      const table = tableFile.prepare(batchTable(writer, batch, newColumns));
      const path = delivery.dataPath("race", "", `${stream}+${batch}.parquet`);
      const data = encodeParquet(table, { compression: "snappy", rowGroupSize: 1000 });
      await sink.write(path, data);
      const last = String((batch + 1) * ROWS - 1);
      await delivery.commit({
        stream,
        dataset: "race",
        first: String(batch * ROWS),
        last,
        files: [{ path, bytes: data.length, rows: ROWS, tableFile }],
      });
    }
  } finally {
    await sink.close();
  }
}

async function race(
  section: Record<string, unknown>,
  newColumns = false,
): Promise<{ sink: Sink; metadataUri: string }> {
  const writers = await Promise.allSettled(
    Array.from({ length: WRITERS }, (_, w) => runWriter(section, w, newColumns)),
  );
  for (const writer of writers) if (writer.status === "rejected") throw writer.reason;
  const sink = await makeSink(section);
  await sink.connect();
  const store = new TableStore(sink, "race/");
  const latest = await store.latest();
  assert(latest, "the table exists");
  equal(latest.version, WRITERS * BATCHES, "one metadata version per commit");
  equal(latest.metadata.snapshots.length, WRITERS * BATCHES, "no commit lost");
  const summary = currentSnapshot(latest.metadata)!.summary;
  equal(summary["total-records"], String(WRITERS * BATCHES * ROWS));
  assertEquals(JSON.parse(summary["fsds.positions"]!), {
    s0: String(BATCHES * ROWS - 1),
    s1: String(BATCHES * ROWS - 1),
  });
  return { sink, metadataUri: store.uriOf(latest.path) };
}

Deno.test({
  name: "two writers committing to one local table at once lose no commit",
  ignore: !available.pyiceberg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-race-" });
    try {
      const { sink, metadataUri } = await race({ type: "local", path: dir });
      await sink.close();
      const table = await readWithPyIceberg(metadataUri.replace(/^file:\/\//, ""), { idColumn: "id" });
      equal(table.rows, WRITERS * BATCHES * ROWS);
      equal(table.distinct_ids, WRITERS * BATCHES * ROWS);
      equal(table.files, WRITERS * BATCHES);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two writers adding different columns to one table at once: taken field ids are rewritten, every value readable",
  ignore: !available.pyiceberg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-race-columns-" });
    try {
      const { sink, metadataUri } = await race({ type: "local", path: dir }, true);
      await sink.close();
      const table = await readWithPyIceberg(metadataUri.replace(/^file:\/\//, ""), { idColumn: "id" });
      equal(table.rows, WRITERS * BATCHES * ROWS);
      const ids = table.columns.map((c) => c.id);
      equal(new Set(ids).size, ids.length, "field ids are unique");
      // Every batch's own column holds that batch's ids, under whichever id the commit gave it.
      for (let w = 0; w < WRITERS; w++) {
        for (let b = 0; b < BATCHES; b++) {
          const values = table.values![`w${w}_${b}`]!.filter((v) => v !== null);
          const first = (w * BATCHES + b) * ROWS;
          assertEquals(values, Array.from({ length: ROWS }, (_, i) => first + i), `column w${w}_${b}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "two writers committing to one S3 (MinIO) table at once lose no commit (If-None-Match: *)",
  ignore: !available.pyiceberg,
  async fn() {
    // Inside the shared lock: a test holding it exclusively may have stopped MinIO on purpose.
    await withMinioLock("shared", async () => {
      await ensureRunning(["s3"]);
      const prefix = `it/iceberg-race-${crypto.randomUUID().slice(0, 8)}`;
      const { sink, metadataUri } = await race(kitS3Sink(prefix));
      try {
        const s3 = endpoints().s3;
        const table = await readWithPyIceberg(metadataUri, {
          idColumn: "id",
          s3: { endpoint: s3.endpoint, accessKey: s3.accessKeyId, secretKey: s3.secretAccessKey },
        });
        equal(table.rows, WRITERS * BATCHES * ROWS);
        equal(table.distinct_ids, WRITERS * BATCHES * ROWS);
      } finally {
        for (const entry of await sink.list("")) await sink.delete(entry.path);
        await sink.close();
      }
    });
  },
});

Deno.test("two writers committing to one HDFS table at once lose no commit (RENAME without overwrite)", async () => {
  await ensureRunning(["hdfs"]);
  const hdfs = endpoints().hdfs;
  const base = `${hdfs.home}/iceberg-race-${crypto.randomUUID().slice(0, 8)}`;
  const { sink } = await race({ type: "hdfs", url: hdfs.url, user: hdfs.user, base_path: base });
  try {
    // Every data file named by the current snapshot exists and the rows add up.
    const files = (await sink.list("race/data/")).filter((e) => e.path.endsWith(".parquet"));
    equal(files.length, WRITERS * BATCHES);
  } finally {
    for (const entry of await sink.list("")) await sink.delete(entry.path);
    await sink.close();
  }
});
