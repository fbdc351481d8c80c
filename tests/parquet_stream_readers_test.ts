/**
 * Parquet files streamed row group by row group (`writeParquetFile`: the `ParquetStreamWriter` into `sink.open()`)
 * to each sink of the kit, read back by independent readers: DuckDB and pyarrow see the same columns, types, rows,
 * row groups and statistics as in the file `encodeParquet` writes whole for the same table, and the files that
 * reached MinIO and HDFS in several parts are byte for byte that file.
 * @module
 */
import assert, { deepStrictEqual as assertEquals, equal } from "node:assert/strict";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Table,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { outputPaths } from "../src/pipeline/layout.ts";
import { writeParquetFile } from "../src/pipeline/streamed_file.ts";
import { encodeParquet } from "../src/parquet/writer.ts";
import type { ParquetStreamOptions } from "../src/parquet/stream_writer.ts";
import { HdfsSink } from "../src/sinks/hdfs/sink.ts";
import { WebHdfsClient } from "../src/sinks/hdfs/webhdfs_client.ts";
import { LocalSink } from "../src/sinks/local.ts";
import { configSchema as s3SinkSchema } from "../src/sinks/s3/config.ts";
import { S3Sink } from "../src/sinks/s3/sink.ts";
import { configureLogging, Logger } from "../src/telemetry/log.ts";
import { readParquetMetadata, readWithDuckDB, readWithPyArrow } from "./readers/mod.ts";
import { s3Test } from "./s3_test_lock.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";

configureLogging({ writer: () => {} });

/** `rows` rows from row `from` on, of the types the batch builder makes, with nulls. */
function typedSlice(from: number, rows: number): Table {
  const at = (f: (n: number) => unknown) => Array.from({ length: rows }, (_, i) => f(from + i));
  return new Table({
    id: vectorFromArray(at((n) => BigInt(n) * 1_000_003n), new Int64()),
    symbol: vectorFromArray(at((n) => (n % 11 === 0 ? null : `SYM${n % 5}`)), new Utf8()),
    price: vectorFromArray(at((n) => (n * 7919) % 100_003 / 100), new Float64()),
    ok: vectorFromArray(at((n) => n % 3 === 0), new Bool()),
    at: vectorFromArray(at((n) => 1_760_697_000_000 + n), new TimestampMicrosecond("UTC")),
    tags: vectorFromArray(
      at((n) => (n % 7 === 0 ? null : [n % 4, n % 9])),
      new List(new Field("item", new Int32(), true)),
    ),
  });
}

/** Three plain numeric columns: about 24 bytes a row uncompressed, to make files of several parts. */
function bulkSlice(from: number, rows: number): Table {
  const column = (f: (n: number) => number) =>
    vectorFromArray(Float64Array.from({ length: rows }, (_, i) => f(from + i)));
  return new Table({
    a: column((n) => n),
    b: column((n) => Math.sin(n)),
    c: column((n) => (n * 2654435761) % 4294967296),
  });
}

function slices(make: (from: number, rows: number) => Table, total: number, size: number): Table[] {
  const out: Table[] = [];
  for (let from = 0; from < total; from += size) out.push(make(from, Math.min(size, total - from)));
  return out;
}

function wholeOf(parts: readonly Table[]): Table {
  return parts.slice(1).reduce((all, part) => all.concat(part), parts[0]!);
}

const TYPED: ParquetStreamOptions = { compression: "zstd", rowGroupSize: 2_000, dictionary: "auto" };
const BULK: ParquetStreamOptions = { compression: "none", rowGroupSize: 50_000 };
const BULK_ROWS = 500_000;

Deno.test("a streamed Parquet file reads in DuckDB and pyarrow as the file encodeParquet writes whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds-stream-readers-" });
  try {
    const sink = new LocalSink(dir, { paths: outputPaths });
    const parts = slices(typedSlice, 21_999, 1_999);
    const result = await writeParquetFile(sink, "d=1/streamed.parquet", parts, TYPED);
    equal(result.rows, 21_999);
    await Deno.writeFile(`${dir}/whole.parquet`, encodeParquet(wholeOf(parts), TYPED));
    const streamed = `${dir}/d=1/streamed.parquet`;
    const whole = `${dir}/whole.parquet`;

    const duck = await readWithDuckDB(streamed);
    equal(duck.rows.length, 21_999);
    assertEquals(duck, await readWithDuckDB(whole));
    const arrow = await readWithPyArrow(streamed);
    assertEquals(arrow.columns.map((c) => `${c.name}: ${c.type}`), [
      "id: int64",
      "symbol: string",
      "price: double",
      "ok: bool",
      "at: timestamp[us, tz=UTC]",
      "tags: list<item: int32>",
    ]);
    assertEquals(arrow, await readWithPyArrow(whole));
    const meta = await readParquetMetadata(streamed);
    equal(meta.row_groups.length, 11);
    assert(meta.row_groups.every((g) => g.columns.every((c) => c.has_statistics || c.path.startsWith("tags"))));
    assertEquals(meta, await readParquetMetadata(whole));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

await ensureRunning(["s3", "hdfs"]);

s3Test(
  "a Parquet file streamed to MinIO in several parts is the file encodeParquet writes; DuckDB counts its rows",
  async () => {
    const s3 = endpoints().s3;
    const prefix = `it/stream-parquet-${crypto.randomUUID().slice(0, 8)}`;
    const sink = new S3Sink(
      s3SinkSchema.parse(kitS3Sink(prefix, { part_size_mb: 5 })),
      { log: new Logger("test.s3"), paths: outputPaths },
    );
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const dir = await Deno.makeTempDir({ prefix: "fsds-stream-s3-" });
    try {
      const parts = slices(bulkSlice, BULK_ROWS, 30_000);
      const result = await writeParquetFile(sink, "bulk.parquet", parts, BULK);
      assert(result.bytes > 10 * 1024 * 1024, `${result.bytes} bytes: not several 5 MiB parts`);
      const response = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/bulk.parquet` }));
      const got = await response.Body!.transformToByteArray();
      assert(response.ETag?.includes("-"), `ETag ${response.ETag}: not a multipart object`);
      assertEquals(got, encodeParquet(wholeOf(parts), BULK));
      await Deno.writeFile(`${dir}/bulk.parquet`, got);
      const count = await readWithDuckDB(`${dir}/bulk.parquet`, { sql: "SELECT count(*)::INTEGER AS n FROM data" });
      assertEquals(count.rows, [{ n: BULK_ROWS }]);
    } finally {
      await sink.close();
      client.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a Parquet file streamed to HDFS in several parts is the file encodeParquet writes; pyarrow reads its footer", async () => {
  const hdfs = endpoints().hdfs;
  const base = `${hdfs.home}/it-stream-parquet-${crypto.randomUUID().slice(0, 8)}`;
  const client = new WebHdfsClient({ urls: [hdfs.url], user: hdfs.user });
  const sink = new HdfsSink(client, base, { paths: outputPaths, streamPartBytes: 1024 * 1024 });
  const dir = await Deno.makeTempDir({ prefix: "fsds-stream-hdfs-" });
  try {
    const parts = slices(bulkSlice, BULK_ROWS / 5, 7_000);
    const result = await writeParquetFile(sink, "d=1/bulk.parquet", parts, BULK);
    assert(result.bytes > 2 * 1024 * 1024, `${result.bytes} bytes: not several 1 MiB parts`);
    const url = `${hdfs.url}/webhdfs/v1${base}/d=1/bulk.parquet?op=OPEN&user.name=${hdfs.user}`;
    const got = new Uint8Array(await (await fetch(url, { signal: AbortSignal.timeout(30_000) })).arrayBuffer());
    assertEquals(got, encodeParquet(wholeOf(parts), BULK));
    await Deno.writeFile(`${dir}/bulk.parquet`, got);
    const meta = await readParquetMetadata(`${dir}/bulk.parquet`);
    assertEquals([meta.num_rows, meta.row_groups.length], [BULK_ROWS / 5, 2]);
  } finally {
    await client.delete(base, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
