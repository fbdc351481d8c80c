import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { testPaths } from "../_common/test_paths.ts";
import { configSchema as hdfsSinkSchema } from "./config.ts";
import { hdfsSinkPlugin } from "./mod.ts";
import { createHdfsSink } from "./sink.ts";

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
