import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { configureLogging, Logger } from "../../telemetry/log.ts";
import { S3Sink } from "./sink.ts";
import { testPaths } from "../_common/test_paths.ts";
import { configSchema as s3SinkSchema, s3ClientSettings } from "./config.ts";
import { type S3PendingUpload, S3Store } from "./store.ts";

configureLogging({ writer: () => {} });

const HOUR = 60 * 60 * 1000;

/** A store double: objects in a Map, multipart uploads in a list; no network. */
class MemoryStore extends S3Store {
  readonly objects = new Map<string, Uint8Array>();
  uploads: S3PendingUpload[] = [];
  override resolveCredentials(): Promise<void> {
    return Promise.resolve();
  }
  override headBucket(): Promise<void> {
    return Promise.resolve();
  }
  override put(key: string, data: Uint8Array): Promise<void> {
    this.objects.set(key, data);
    return Promise.resolve();
  }
  override delete(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }
  override listUploads(prefix: string): Promise<S3PendingUpload[]> {
    return Promise.resolve(this.uploads.filter((u) => u.key.startsWith(prefix)));
  }
  override abortUpload(key: string, uploadId: string): Promise<void> {
    this.uploads = this.uploads.filter((u) => !(u.key === key && u.uploadId === uploadId));
    return Promise.resolve();
  }
}

Deno.test("S3Sink.connect() aborts this sink's stale uploads under its prefix and leaves the rest", async () => {
  const config = s3SinkSchema.parse({
    type: "s3",
    bucket: "b",
    prefix: "raw",
    aws_access_key_id: "k",
    aws_secret_access_key: "s",
  });
  const store = new MemoryStore(s3ClientSettings(config));
  const old = new Date(Date.now() - 2 * HOUR);
  const young = new Date();
  store.uploads = [
    { key: "raw/date=2024-01-01/a+1.parquet", uploadId: "stale-parquet", initiated: old },
    { key: "raw/_fsds/journal/a.json", uploadId: "stale-journal", initiated: old },
    { key: "raw/date=2024-01-01/b+1.parquet", uploadId: "live", initiated: young },
    { key: "raw/backup.tar", uploadId: "someone-elses", initiated: old },
    { key: "raw/c.parquet", uploadId: "no-date" },
    { key: "rawdata/d.parquet", uploadId: "outside", initiated: old },
  ];
  const sink = new S3Sink(config, { log: new Logger("test"), paths: testPaths(["backup.tar"]), store });
  await sink.connect();
  await sink.close();
  assertEquals(store.uploads.map((u) => u.uploadId), ["live", "someone-elses", "no-date", "outside"]);
  equal(store.objects.size, 0, "the connect probe is deleted");
});
