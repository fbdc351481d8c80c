import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { configureLogging, Logger } from "../../telemetry/log.ts";
import { type JanitorStore, UploadJanitor } from "./janitor.ts";
import type { S3PendingUpload } from "./store.ts";

configureLogging({ writer: () => {} });

/** An in-memory bucket of multipart uploads that can be switched off like a stopped server. */
class FakeUploads implements JanitorStore {
  down = false;
  uploads: S3PendingUpload[] = [];
  abortUpload(key: string, uploadId: string): Promise<void> {
    if (this.down) return Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    this.uploads = this.uploads.filter((u) => !(u.key === key && u.uploadId === uploadId));
    return Promise.resolve();
  }
  listUploads(prefix: string): Promise<S3PendingUpload[]> {
    if (this.down) return Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    return Promise.resolve(this.uploads.filter((u) => u.key.startsWith(prefix)));
  }
}

function janitor(store: FakeUploads, busy = new Set<string>()): UploadJanitor {
  return new UploadJanitor(store, {
    log: new Logger("test"),
    locate: (key) => `s3://b/${key}`,
    isBusy: (key) => busy.has(key),
    baseDelayMs: 1,
    maxDelayMs: 5,
  });
}

Deno.test("janitor aborts a failed upload at once when the store answers", async () => {
  const store = new FakeUploads();
  store.uploads = [{ key: "p/a.parquet", uploadId: "u1" }, { key: "p/b.parquet", uploadId: "u2" }];
  const j = janitor(store);
  await j.abort("p/a.parquet", "u1");
  equal(j.size, 0);
  assertEquals(store.uploads.map((u) => u.uploadId), ["u2"]);
  await j.close();
});

Deno.test("janitor keeps an abort that failed and finishes it once the store is back", async () => {
  const store = new FakeUploads();
  store.uploads = [{ key: "p/a.parquet", uploadId: "u1" }];
  store.down = true;
  const j = janitor(store);
  await j.abort("p/a.parquet", "u1");
  equal(j.size, 1);
  store.down = false;
  for (let i = 0; i < 200 && j.size > 0; i++) await new Promise((r) => setTimeout(r, 5));
  equal(j.size, 0);
  assertEquals(store.uploads, []);
  await j.close();
});

Deno.test("janitor without an upload id aborts every upload of exactly that key, once the key is idle", async () => {
  const store = new FakeUploads();
  store.uploads = [
    { key: "p/a.parquet", uploadId: "u1" },
    { key: "p/a.parquet", uploadId: "u2" },
    { key: "p/a.parquet.other", uploadId: "u3" },
  ];
  const busy = new Set(["p/a.parquet"]);
  const j = janitor(store, busy);
  await j.abort("p/a.parquet", undefined);
  await j.sweep();
  equal(store.uploads.length, 3, "a busy key is left alone");
  busy.clear();
  await j.sweep();
  assertEquals(store.uploads.map((u) => u.uploadId), ["u3"]);
  equal(j.size, 0);
  await j.close();
});

Deno.test("janitor close() makes a last try and stops retrying", async () => {
  const store = new FakeUploads();
  store.uploads = [{ key: "k", uploadId: "u1" }];
  store.down = true;
  const lines: string[] = [];
  configureLogging({ writer: (line) => lines.push(line) });
  const j = janitor(store);
  await j.abort("k", "u1");
  await j.close();
  configureLogging({ writer: () => {} });
  equal(j.size, 1);
  equal(lines.some((l) => l.includes("multipart upload left behind") && l.includes("u1")), true);
});
