/**
 * Integration tests of the S3 sink's streamed write (`S3Sink.open()`, `src/sinks/s3/upload.ts`) against the kit's
 * MinIO: parts go up as they fill while the object stays invisible, the object appears whole on commit, and an
 * aborted or failed upload leaves neither an object nor a multipart upload. The bucket is looked at with an SDK
 * client of its own.
 * @module
 */
import assert, { deepEqual as assertEquals, equal, rejects } from "node:assert/strict";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { outputPaths } from "../src/pipeline/layout.ts";
import { S3Sink } from "../src/sinks/s3/sink.ts";
import { configSchema as s3SinkSchema } from "../src/sinks/s3/config.ts";
import type { BeforeSendHook } from "../src/sinks/s3/store.ts";
import { configureLogging, Logger } from "../src/telemetry/log.ts";
import { s3Test } from "./s3_test_lock.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";

const MiB = 1024 * 1024;
configureLogging({ writer: () => {} });

const kit = () => endpoints().s3;

/** A sink with 5 MiB parts; `concurrency` 1 makes each full part answered before `write` resolves. */
function sinkFor(prefix: string, concurrency: number, beforeSend?: BeforeSendHook): S3Sink {
  const config = s3SinkSchema.parse(
    kitS3Sink(prefix, { part_size_mb: 5, upload_concurrency: concurrency, max_retries: 0 }),
  );
  return new S3Sink(config, { log: new Logger("test.s3"), paths: outputPaths, beforeSend });
}

function rawClient(): S3Client {
  const s3 = kit();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

async function rawKeys(client: S3Client, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: kit().bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((item) => item.Key!).sort();
}

async function headStatus(client: S3Client, key: string): Promise<number> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: kit().bucket, Key: key }));
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

/** Multipart uploads in progress for exactly `key`, with their uploaded part numbers. */
async function uploadsOf(client: S3Client, key: string): Promise<{ id: string; parts: number[] }[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: kit().bucket, Prefix: key }));
  const out: { id: string; parts: number[] }[] = [];
  for (const upload of (page.Uploads ?? []).filter((u) => u.Key === key)) {
    const parts = await client.send(
      new ListPartsCommand({ Bucket: kit().bucket, Key: key, UploadId: upload.UploadId! }),
    );
    out.push({ id: upload.UploadId!, parts: (parts.Parts ?? []).map((p) => p.PartNumber!) });
  }
  return out;
}

async function rawGet(client: S3Client, key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: kit().bucket, Key: key }));
  return await response.Body!.transformToByteArray();
}

/** `size` pseudo-random bytes (incompressible enough, and cheap). */
function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `data` cut into chunks of uneven sizes, none aligned on a part. */
function cuts(data: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = [700_001, 3 * MiB + 17, 1, 1_234_567][i % 4]!;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

await ensureRunning(["s3"]);

s3Test("s3 sink open(): parts go up as they fill, the object appears whole only on commit", async () => {
  const prefix = `it/stream-${crypto.randomUUID().slice(0, 8)}`;
  const key = `${prefix}/d=1/big.parquet`;
  const sink = sinkFor(prefix, 1);
  const client = rawClient();
  try {
    await sink.write("d=1/big.parquet", new Uint8Array([1, 2, 3])); // an older version, replaced on commit
    const data = bytes(13 * MiB + 123, 7);
    const upload = await sink.open("d=1/big.parquet");
    for (const chunk of cuts(data)) await upload.write(chunk);
    // Two full parts of 5 MiB were sent while writing; the rest waits for commit.
    const during = await uploadsOf(client, key);
    equal(during.length, 1);
    assertEquals(during[0]!.parts, [1, 2]);
    assertEquals(await rawGet(client, key), new Uint8Array([1, 2, 3]), "the old object is untouched until commit");
    assertEquals(await upload.commit(), { path: "d=1/big.parquet", size: data.length });
    assertEquals(await rawGet(client, key), data);
    assertEquals(await uploadsOf(client, key), []);
    assertEquals(await rawKeys(client, `${prefix}/`), [key]);
  } finally {
    await sink.close();
    client.destroy();
  }
});

s3Test("s3 sink open(): a file under one part goes up as one PutObject on commit, nothing before", async () => {
  const prefix = `it/stream-small-${crypto.randomUUID().slice(0, 8)}`;
  const key = `${prefix}/small.parquet`;
  const commands: string[] = [];
  const sink = sinkFor(prefix, 2, (command) => void commands.push(command));
  const client = rawClient();
  try {
    const data = bytes(3 * MiB, 3);
    const upload = await sink.open("small.parquet");
    for (const chunk of cuts(data)) await upload.write(chunk);
    equal(await headStatus(client, key), 404);
    assertEquals(commands, []);
    await upload.commit();
    assertEquals(commands, ["PutObjectCommand"]);
    assertEquals(await rawGet(client, key), data);
  } finally {
    await sink.close();
    client.destroy();
  }
});

s3Test("s3 sink open(): abort() after parts were sent leaves no object and no multipart upload", async () => {
  const prefix = `it/stream-abort-${crypto.randomUUID().slice(0, 8)}`;
  const key = `${prefix}/gone.parquet`;
  const sink = sinkFor(prefix, 1);
  const client = rawClient();
  try {
    const upload = await sink.open("gone.parquet");
    for (const chunk of cuts(bytes(11 * MiB, 5))) await upload.write(chunk);
    equal((await uploadsOf(client, key))[0]?.parts.length, 2);
    await upload.abort();
    await upload.abort();
    assertEquals(await uploadsOf(client, key), []);
    equal(await headStatus(client, key), 404);
    assertEquals(await rawKeys(client, `${prefix}/`), []);
    await rejects(upload.commit(), /the upload is aborted/);
  } finally {
    await sink.close();
    client.destroy();
  }
});

s3Test("s3 sink open(): a part S3 refuses fails the stream, naming the object, and leaves no trace", async () => {
  const prefix = `it/stream-fail-${crypto.randomUUID().slice(0, 8)}`;
  const key = `${prefix}/refused.parquet`;
  const sink = sinkFor(prefix, 2, (command, input) => {
    if (command === "UploadPartCommand" && input.PartNumber === 2) throw new Error("injected: part 2 refused");
  });
  const client = rawClient();
  try {
    const upload = await sink.open("refused.parquet");
    await rejects(async () => {
      for (const chunk of cuts(bytes(16 * MiB, 9))) await upload.write(chunk);
      await upload.commit();
    }, (error: Error) => {
      assert(error.message.startsWith(`Cannot write "s3://${kit().bucket}/${key}": `), error.message);
      assert(error.message.includes("part 2 refused"), error.message);
      return true;
    });
    assertEquals(await uploadsOf(client, key), []);
    equal(await headStatus(client, key), 404);
  } finally {
    await sink.close();
    client.destroy();
  }
});
