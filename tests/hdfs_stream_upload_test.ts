/**
 * Integration tests of the HDFS sink's streamed write (`HdfsSink.open()`, `src/sinks/hdfs/upload.ts`) against the
 * kit's HDFS: parts CREATEd and CONCATenated onto a hidden temporary file as they fill while the target stays
 * unchanged, the file whole after commit, nothing left after abort or a failure. HDFS is looked at with plain
 * WebHDFS requests (LISTSTATUS, GETFILESTATUS, OPEN), not the sink's client.
 * @module
 */
import assert, { deepEqual as assertEquals, equal, rejects } from "node:assert/strict";
import { outputPaths } from "../src/pipeline/layout.ts";
import { HdfsSink } from "../src/sinks/hdfs/sink.ts";
import { WebHdfsClient } from "../src/sinks/hdfs/webhdfs_client.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";

const MiB = 1024 * 1024;
const ep = () => endpoints().hdfs;

function client(): WebHdfsClient {
  return new WebHdfsClient({ urls: [ep().url], user: ep().user, maxRetries: 1 });
}

/** A sink with 1 MiB parts under a fresh folder. */
function freshSink(label: string): { sink: HdfsSink; base: string } {
  const base = `${ep().home}/it-stream-${label}-${crypto.randomUUID().slice(0, 8)}`;
  return { base, sink: new HdfsSink(client(), base, { paths: outputPaths, streamPartBytes: MiB }) };
}

function webhdfs(path: string, op: string): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `${ep().url}/webhdfs/v1${encoded}?op=${op}&user.name=${encodeURIComponent(ep().user)}`;
}

/** Every file below `folder` with its length, hidden ones included, from plain LISTSTATUS requests. */
async function listRaw(folder: string): Promise<Record<string, number>> {
  const response = await fetch(webhdfs(folder, "LISTSTATUS"), { signal: AbortSignal.timeout(30_000) });
  if (response.status === 404) {
    await response.body?.cancel();
    return {};
  }
  assert.ok(response.ok, `LISTSTATUS ${folder}: ${response.status}`);
  const out: Record<string, number> = {};
  type Entry = { pathSuffix: string; type: string; length: number };
  for (const entry of (await response.json()).FileStatuses.FileStatus as Entry[]) {
    const full = `${folder}/${entry.pathSuffix}`;
    if (entry.type === "DIRECTORY") Object.assign(out, await listRaw(full));
    else out[full] = entry.length;
  }
  return out;
}

/** GETFILESTATUS's HTTP status. */
async function statStatus(path: string): Promise<number> {
  const response = await fetch(webhdfs(path, "GETFILESTATUS"), { signal: AbortSignal.timeout(30_000) });
  await response.body?.cancel();
  return response.status;
}

/** OPEN through the redirect to the DataNode. */
async function rawOpen(path: string): Promise<Uint8Array> {
  const response = await fetch(webhdfs(path, "OPEN"), { signal: AbortSignal.timeout(30_000) });
  assert.ok(response.ok, `OPEN ${path}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function bytes(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7 + (i >> 12)) & 0xff);
}

/** `data` cut into chunks of uneven sizes, none aligned on a part. */
function cuts(data: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = [300_001, 700_000, 1, 555_555][i % 4]!;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function cleanup(base: string): Promise<void> {
  await client().delete(base, { recursive: true }).catch(() => {});
}

const temps = (files: Record<string, number>) => Object.keys(files).filter((path) => path.endsWith(".fsds-tmp"));

await ensureRunning(["hdfs"]);

Deno.test("hdfs sink open(): parts land in one hidden temporary file as they fill; the file appears on commit", async () => {
  const { sink, base } = freshSink("parts");
  const target = `${base}/d=1/big.parquet`;
  try {
    await sink.write("d=1/big.parquet", new Uint8Array([1, 2, 3])); // an older version, replaced on commit
    const data = bytes(3.5 * MiB, 1);
    const upload = await sink.open("d=1/big.parquet");
    for (const chunk of cuts(data)) await upload.write(chunk);
    const during = await listRaw(`${base}/d=1`);
    const building = temps(during).map((path) => during[path]!).sort((a, b) => b - a);
    // Parts 1 and 2 are concatenated (part 3 waited for them); part 3 may still be on its way.
    assert(building[0]! >= 2 * MiB && building[0]! % MiB === 0, `temporary files: ${JSON.stringify(during)}`);
    assert(building.length <= 2, `more than one part in flight: ${JSON.stringify(during)}`);
    equal(during[target], 3, "the old file is untouched until commit");
    assertEquals((await sink.list("d=1/")).map((e) => e.size), [3]);
    assertEquals(await upload.commit(), { path: "d=1/big.parquet", size: data.length });
    assertEquals(await listRaw(`${base}/d=1`), { [target]: data.length });
    assertEquals(await rawOpen(target), data);
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink open(): abort() deletes the temporary files and leaves an existing file as it was", async () => {
  const { sink, base } = freshSink("abort");
  try {
    await sink.write("old.parquet", new Uint8Array([7]));
    const fresh = await sink.open("new.parquet");
    for (const chunk of cuts(bytes(2.5 * MiB, 2))) await fresh.write(chunk);
    const over = await sink.open("old.parquet");
    await over.write(bytes(1.5 * MiB, 3));
    await fresh.abort();
    await over.abort();
    await over.abort();
    assertEquals(await listRaw(base), { [`${base}/old.parquet`]: 1 });
    equal(await statStatus(`${base}/new.parquet`), 404);
    await rejects(fresh.commit(), /the upload is aborted/);
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink open(): an empty file and a folder with a ',' (no CONCAT there: kept whole) commit too", async () => {
  const { sink, base } = freshSink("edges");
  try {
    const empty = await sink.open("empty.parquet");
    assertEquals(await empty.commit(), { path: "empty.parquet", size: 0 });
    const data = bytes(2.5 * MiB, 4);
    const comma = await sink.open("k=a,b/x.parquet");
    for (const chunk of cuts(data)) await comma.write(chunk);
    equal(temps(await listRaw(`${base}/k=a,b`)).length, 0, "nothing is sent before commit");
    await comma.commit();
    assertEquals(await listRaw(base), { [`${base}/empty.parquet`]: 0, [`${base}/k=a,b/x.parquet`]: data.length });
    assertEquals(await rawOpen(`${base}/k=a,b/x.parquet`), data);
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink open(): a part HDFS refuses fails the stream, naming the target, and leaves no temporary file", async () => {
  const { sink, base } = freshSink("refused");
  try {
    await sink.write("file", new Uint8Array([1])); // a file where the stream wants a folder
    const upload = await sink.open("file/x.parquet");
    await rejects(async () => {
      for (const chunk of cuts(bytes(2.5 * MiB, 5))) await upload.write(chunk);
      await upload.commit();
    }, (error: Error) => {
      assert(error.message.startsWith(`Cannot write "${base}/file/x.parquet": `), error.message);
      return true;
    });
    assertEquals(await listRaw(base), { [`${base}/file`]: 1 });
  } finally {
    await cleanup(base);
  }
});
