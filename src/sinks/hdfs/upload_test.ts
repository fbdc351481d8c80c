/**
 * Unit tests of the streamed HDFS write's bookkeeping with an in-memory HDFS double (the client's methods
 * overridden): a CONCAT whose answer was lost, temporary files HDFS would not delete. The behaviour against a real
 * NameNode is covered by `tests/hdfs_stream_upload_test.ts`.
 */
import { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { testPaths } from "../_common/test_paths.ts";
import { HdfsSink } from "./sink.ts";
import { type CreateOptions, type FileStatus, WebHdfsClient } from "./webhdfs_client.ts";
import { WebHdfsError } from "./webhdfs_errors.ts";

/** Files in a Map; `lostConcatAnswers` CONCATs go through but answer as a retry that finds its source gone would. */
class MemoryHdfs extends WebHdfsClient {
  readonly files = new Map<string, Uint8Array>();
  lostConcatAnswers = 0;
  failDeletes = false;
  readonly touched: string[] = [];
  constructor() {
    super({ urls: ["http://nn:9870"] });
  }
  override create(path: string, data: Uint8Array, _options?: CreateOptions): Promise<void> {
    this.files.set(path, data.slice());
    return Promise.resolve();
  }
  override concat(target: string, sources: readonly string[]): Promise<void> {
    const parts = [this.files.get(target)!, ...sources.map((s) => this.files.get(s)!)];
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, part) => (joined.set(part, offset), offset + part.length), 0);
    this.files.set(target, joined);
    for (const source of sources) this.files.delete(source);
    if (this.lostConcatAnswers-- > 0) {
      return Promise.reject(
        new WebHdfsError("not_found", `File does not exist: ${sources[0]}`, { op: "CONCAT", path: target }),
      );
    }
    return Promise.resolve();
  }
  override getFileStatus(path: string): Promise<FileStatus | null> {
    const data = this.files.get(path);
    if (!data) return Promise.resolve(null);
    const status = { pathSuffix: "", type: "FILE", length: data.length, modificationTime: 0 } as const;
    return Promise.resolve({ ...status, owner: "", permission: "644", replication: 1, blockSize: 0 });
  }
  override rename(source: string, destination: string): Promise<boolean> {
    this.files.set(destination, this.files.get(source)!);
    this.files.delete(source);
    return Promise.resolve(true);
  }
  override setTimes(path: string): Promise<void> {
    this.touched.push(path);
    return Promise.resolve();
  }
  override delete(path: string): Promise<boolean> {
    if (this.failDeletes) {
      return Promise.reject(new WebHdfsError("unreachable", "connection refused", { op: "DELETE", path }));
    }
    return Promise.resolve(this.files.delete(path));
  }
}

function bytes(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 13 + seed) & 0xff);
}

Deno.test("hdfs upload: a CONCAT that went through but lost its answer is taken when the length says so", async () => {
  const hdfs = new MemoryHdfs();
  const sink = new HdfsSink(hdfs, "/base", { paths: testPaths(), streamPartBytes: 1000 });
  const data = bytes(3_500, 1);
  hdfs.lostConcatAnswers = 2;
  const upload = await sink.open("d/a.parquet");
  for (let offset = 0; offset < data.length; offset += 700) await upload.write(data.subarray(offset, offset + 700));
  await upload.commit();
  assertEquals([...hdfs.files.keys()], ["/base/d/a.parquet"]);
  assertEquals(hdfs.files.get("/base/d/a.parquet"), data);
});

Deno.test("hdfs upload: parts are copied, so the caller may reuse its chunk once write() resolves", async () => {
  const hdfs = new MemoryHdfs();
  const sink = new HdfsSink(hdfs, "/base", { paths: testPaths(), streamPartBytes: 1000 });
  const upload = await sink.open("a.parquet");
  const chunk = new Uint8Array(600);
  const expected: number[] = [];
  for (let i = 0; i < 5; i++) {
    chunk.fill(i + 1);
    expected.push(...chunk);
    await upload.write(chunk);
  }
  await upload.commit();
  assertEquals([...hdfs.files.get("/base/a.parquet")!], expected);
});

Deno.test("hdfs upload: temporary files HDFS will not delete on abort are left to the sink's close()", async () => {
  const hdfs = new MemoryHdfs();
  const sink = new HdfsSink(hdfs, "/base", { paths: testPaths(), streamPartBytes: 1000 });
  const upload = await sink.open("a.parquet");
  await upload.write(bytes(2_500, 2));
  hdfs.failDeletes = true;
  await upload.abort();
  assertEquals(sink.pendingTempFiles, 1);
  hdfs.failDeletes = false;
  await sink.close();
  assertEquals(sink.pendingTempFiles, 0);
  assertEquals([...hdfs.files.keys()], []);
  await rejects(upload.write(bytes(1, 0)), /the upload is aborted/);
});

Deno.test("hdfs upload: a slow stream keeps its temporary file young for other instances' cleanup", async () => {
  const hdfs = new MemoryHdfs();
  const sink = new HdfsSink(hdfs, "/base", { paths: testPaths(), streamPartBytes: 1000, graceMs: 2_000 });
  const upload = await sink.open("a.parquet");
  await upload.write(bytes(1_000, 3)); // the temporary file exists now
  await upload.write(bytes(10, 4));
  assertEquals(hdfs.touched, []); // just created
  await new Promise((resolve) => setTimeout(resolve, 600)); // past a quarter of the grace, no part landed
  await upload.write(bytes(10, 5));
  const temps = [...hdfs.files.keys()];
  await upload.commit();
  assertEquals(hdfs.touched, temps);
});
