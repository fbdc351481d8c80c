import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { testPaths } from "../_common/test_paths.ts";
import { configSchema as hdfsSinkSchema } from "./config.ts";
import { hdfsSinkPlugin } from "./mod.ts";
import { createHdfsSink, HdfsSink } from "./sink.ts";
import { WebHdfsClient } from "./webhdfs_client.ts";

const minimal = { type: "hdfs", url: "http://nn:9870", base_path: "/data/raw" };

Deno.test("hdfs schema fills defaults from the common sink fields and its own", () => {
  const config = hdfsSinkSchema.parse(minimal);
  assertEquals(config.url, ["http://nn:9870"]);
  assertEquals(config.compression, "snappy");
  assertEquals(config.partition_by, []);
  assertEquals([config.timeout_ms, config.max_retries, config.cleanup_temp_files], [60_000, 5, true]);
  assertEquals(config.user, undefined);
});

Deno.test("hdfs schema takes one URL, a comma list or a list of NameNode URLs", () => {
  assertEquals(hdfsSinkSchema.parse({ ...minimal, url: "http://nn1:9870, http://nn2:9870/" }).url, [
    "http://nn1:9870",
    "http://nn2:9870",
  ]);
  assertEquals(hdfsSinkSchema.parse({ ...minimal, url: ["http://nn1:9870", "webhdfs://nn2:9870"] }).url, [
    "http://nn1:9870",
    "http://nn2:9870",
  ]);
  assert.equal(hdfsSinkSchema.safeParse({ ...minimal, url: "" }).success, false);
  assert.equal(hdfsSinkSchema.safeParse({ ...minimal, url: "hdfs://nn:8020" }).success, false);
});

Deno.test("hdfs schema rejects a relative base_path, a bad permission and unknown keys", () => {
  const relative = hdfsSinkSchema.safeParse({ ...minimal, base_path: "data/raw" });
  assert.equal(relative.success, false);
  assert.match(JSON.stringify(relative.error?.issues), /absolute HDFS path/);
  assert.equal(hdfsSinkSchema.safeParse({ ...minimal, base_path: "/data/../etc" }).success, false);
  assert.equal(hdfsSinkSchema.safeParse({ ...minimal, permission: "rw-r--r--" }).success, false);
  assert.equal(hdfsSinkSchema.safeParse({ ...minimal, permission: "0640" }).success, true);
  assert.equal(hdfsSinkSchema.safeParse({ ...minimal, replicaton: 2 }).success, false);
  assert.equal(hdfsSinkSchema.safeParse({ type: "hdfs", url: "http://nn:9870" }).success, false);
});

Deno.test("hdfs plugin binds the seed's env vars and marks the token secret", () => {
  assertEquals(hdfsSinkPlugin.env.map((e) => `${e.env}->${e.key}:${e.kind}`), [
    "HDFS_URL->url:list",
    "HDFS_BASE_PATH->base_path:string",
    "HDFS_USER->user:string",
    "HDFS_DELEGATION_TOKEN->delegation_token:string",
  ]);
  assertEquals(hdfsSinkPlugin.secrets, ["delegation_token"]);
});

Deno.test("HdfsSink.describe() gives a webhdfs URL under base_path without the token", () => {
  const sink = createHdfsSink(
    hdfsSinkSchema.parse({ ...minimal, url: "http://nn1:9870,http://nn2:9870", delegation_token: "tok-123" }),
    { paths: testPaths() },
  );
  assertEquals(
    sink.describe("date=2024-01-01/orders+0001.parquet"),
    "webhdfs://nn1:9870/data/raw/date=2024-01-01/orders+0001.parquet",
  );
  assertEquals(sink.describe(""), "webhdfs://nn1:9870/data/raw");
  assert.ok(!sink.describe("x").includes("tok-123"));
  assert.throws(() => sink.describe("../escape"), RangeError);
});

/** A NameNode in safe mode for RENAME (and for DELETE while `deleteRefused`), fine otherwise. */
function safeModeNameNode(state: { deleteRefused: boolean; deleted: string[] }): typeof fetch {
  const safeMode = () =>
    Response.json({
      RemoteException: { exception: "SafeModeException", message: "Name node is in safe mode." },
    }, { status: 403 });
  return (input) => {
    const url = new URL(String(input));
    const op = url.searchParams.get("op");
    const path = decodeURIComponent(url.pathname.replace("/webhdfs/v1", ""));
    if (url.host === "dn:9864") return Promise.resolve(new Response(null, { status: 201 }));
    if (op === "CREATE") {
      return Promise.resolve(
        new Response(null, { status: 307, headers: { location: `http://dn:9864${url.pathname}` } }),
      );
    }
    if (op === "RENAME") return Promise.resolve(safeMode());
    if (op === "DELETE") {
      if (state.deleteRefused) return Promise.resolve(safeMode());
      state.deleted.push(path);
      return Promise.resolve(Response.json({ boolean: true }));
    }
    return Promise.resolve(new Response("unexpected", { status: 500 }));
  };
}

Deno.test("HdfsSink keeps the temporary file of a failed write until a delete goes through, at the latest close()", async () => {
  const state = { deleteRefused: true, deleted: [] as string[] };
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], maxRetries: 0, fetch: safeModeNameNode(state) });
  const sink = new HdfsSink(client, "/data", { paths: testPaths() });
  await assert.rejects(() => sink.write("t/a.parquet", new Uint8Array([1])), /Cannot write "\/data\/t\/a\.parquet"/);
  assert.equal(sink.pendingTempFiles, 1, "the delete failed too (safe mode), so the file is kept in mind");
  state.deleteRefused = false;
  await assert.rejects(() => sink.write("t/b.parquet", new Uint8Array([2])));
  assert.equal(sink.pendingTempFiles, 0, "a failed write that HDFS answers deletes its own and earlier temporaries");
  assert.equal(state.deleted.length, 2);
  assert.ok(
    state.deleted.every((path) => /^\/data\/t\/\.[ab]\.parquet\..+\.fsds-tmp$/.test(path)),
    String(state.deleted),
  );

  state.deleteRefused = true;
  await assert.rejects(() => sink.write("t/c.parquet", new Uint8Array([3])));
  state.deleteRefused = false;
  await sink.close();
  assert.equal(sink.pendingTempFiles, 0, "close() deletes what is left");
  assert.match(state.deleted.at(-1) ?? "", /^\/data\/t\/\.c\.parquet\..+\.fsds-tmp$/);
});
