/**
 * Unit tests of the streamed S3 write's part bookkeeping with a store double (parts answered out of order, after
 * random delays): the object is the bytes written, whatever the caller does with its chunks afterwards, and part
 * buffers are reused, never overwritten while in flight. MinIO itself is covered by `tests/s3_stream_upload_test.ts`.
 */
import { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { configureLogging, Logger } from "../../telemetry/log.ts";
import { configSchema as s3SinkSchema, s3ClientSettings } from "./config.ts";
import { UploadJanitor } from "./janitor.ts";
import { S3Store } from "./store.ts";
import { S3StreamUpload } from "./upload.ts";

configureLogging({ writer: () => {} });

/** Parts kept by number; each UploadPart answers after a random delay, so they complete out of order. */
class PartStore extends S3Store {
  readonly parts = new Map<number, Uint8Array>();
  objects = new Map<string, Uint8Array>();
  aborted: string[] = [];
  constructor() {
    super(
      s3ClientSettings(
        s3SinkSchema.parse({ type: "s3", bucket: "b", aws_access_key_id: "k", aws_secret_access_key: "s" }),
      ),
    );
  }
  override createUpload(): Promise<string> {
    return Promise.resolve("u1");
  }
  override async uploadPart(_key: string, _id: string, partNumber: number, data: Uint8Array): Promise<string> {
    const copy = data.slice(); // what the SDK would have sent, read at once
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    if (!data.every((byte, i) => byte === copy[i])) throw new Error(`part ${partNumber} changed while in flight`);
    this.parts.set(partNumber, copy);
    return `"etag-${partNumber}"`;
  }
  override completeUpload(key: string, _id: string, etags: readonly string[]): Promise<void> {
    const parts = etags.map((_, i) => this.parts.get(i + 1)!);
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, part) => (whole.set(part, offset), offset + part.length), 0);
    this.objects.set(key, whole);
    return Promise.resolve();
  }
  override abortUpload(key: string, uploadId: string): Promise<void> {
    this.aborted.push(`${key} ${uploadId}`);
    return Promise.resolve();
  }
}

function uploadTo(store: PartStore, concurrency: number): S3StreamUpload {
  const log = new Logger("test");
  return new S3StreamUpload("a.parquet", "p/a.parquet", {
    store,
    janitor: new UploadJanitor(store, { log, locate: (key) => `s3://b/${key}` }),
    partSize: 1000,
    concurrency,
    location: "s3://b/p/a.parquet",
    describe: (error) => (error as Error).message,
    done: () => {},
  });
}

Deno.test("s3 upload: parts in flight out of order, reused buffers and a reused caller chunk give the bytes written", async () => {
  for (const concurrency of [1, 3]) {
    const store = new PartStore();
    const upload = uploadTo(store, concurrency);
    const chunk = new Uint8Array(777);
    const expected: number[] = [];
    for (let i = 0; i < 20; i++) {
      chunk.fill(i * 7 + 1);
      expected.push(...chunk);
      await upload.write(chunk);
    }
    assertEquals(await upload.commit(), { path: "a.parquet", size: expected.length });
    assertEquals([...store.objects.get("p/a.parquet")!], expected, `concurrency ${concurrency}`);
    assertEquals(store.parts.size, Math.ceil(expected.length / 1000));
  }
});

Deno.test("s3 upload: a lost part fails the stream at a later write, and the upload is aborted", async () => {
  const store = new PartStore();
  const original = store.uploadPart.bind(store);
  store.uploadPart = (key, id, partNumber, data) =>
    partNumber === 2 ? Promise.reject(new Error("part 2 lost")) : original(key, id, partNumber, data);
  const upload = uploadTo(store, 2);
  await rejects(async () => {
    for (let i = 0; i < 10; i++) await upload.write(new Uint8Array(1000));
  }, /Cannot write "s3:\/\/b\/p\/a\.parquet": part 2 lost/);
  assertEquals(store.aborted, ["p/a.parquet u1"]);
  assertEquals(store.objects.size, 0);
});
