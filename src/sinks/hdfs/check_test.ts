import { deepEqual as assertEquals } from "node:assert/strict";
import { Logger } from "../../telemetry/log.ts";
import { testPaths } from "../_common/test_paths.ts";
import { checkHdfsSink, hdfsFailure } from "./check.ts";
import { configSchema } from "./config.ts";
import { WebHdfsClient } from "./webhdfs_client.ts";
import { WebHdfsError } from "./webhdfs_errors.ts";

const config = configSchema.parse({ type: "hdfs", url: "http://nn:9870", base_path: "/data/raw", user: "etl" });
const context = { log: new Logger("test"), timeoutMs: 1000, paths: testPaths() };
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A NameNode and DataNode double: answers GETFILESTATUS with `base`, and records the operations in order. */
function namenode(base: unknown, denyCreate = false): { client: WebHdfsClient; ops: string[] } {
  const ops: string[] = [];
  const fetch = (input: string | URL | Request) => {
    const url = new URL(String(input));
    const op = url.searchParams.get("op")!;
    if (url.host === "dn:9864") return Promise.resolve(new Response(null, { status: 201 }));
    ops.push(`${op} ${decodeURIComponent(url.pathname.replace("/webhdfs/v1", ""))}`);
    if (op === "GETFILESTATUS") return Promise.resolve(base === null ? json({}, 404) : json({ FileStatus: base }));
    if (op === "CREATE") {
      if (denyCreate) {
        return Promise.resolve(json({
          RemoteException: { exception: "AccessControlException", message: "Permission denied: user=etl" },
        }, 403));
      }
      return Promise.resolve(new Response(null, { status: 307, headers: { location: "http://dn:9864/x?op=CREATE" } }));
    }
    return Promise.resolve(json({ boolean: true }));
  };
  return { client: new WebHdfsClient({ urls: ["http://nn:9870"], user: "etl", maxRetries: 0, fetch }), ops };
}

const folder = { type: "DIRECTORY", owner: "etl", permission: "755", length: 0, modificationTime: 0, pathSuffix: "" };

Deno.test("checkHdfsSink() looks at base_path, then creates a temporary probe, renames it into place and deletes it", async () => {
  const { client, ops } = namenode(folder);
  const results = await checkHdfsSink(config, context, { client });
  assertEquals(results.map((r) => [r.kind, r.name]), [["ok", "hdfs namenode"], ["ok", "hdfs write probe"]]);
  const shapes = ops.map((op) => op.replace(/[0-9a-f-]{36}/, "<uuid>").replace(/\.<uuid>\.[^/]+\.fsds-tmp$/, ".tmp"));
  assertEquals(shapes, [
    "GETFILESTATUS /data/raw",
    "CREATE /data/raw/probe/.tmp",
    "RENAME /data/raw/probe/.tmp",
    "DELETE /data/raw/probe/<uuid>",
  ]);
});

Deno.test("checkHdfsSink() names a refused write and a base_path that is a file as configuration faults", async () => {
  const denied = await checkHdfsSink(config, context, { client: namenode(null, true).client });
  assertEquals(denied.map((r) => r.kind), ["ok", "misconfigured"]);
  const file = await checkHdfsSink(config, context, { client: namenode({ ...folder, type: "FILE" }).client });
  assertEquals(file.map((r) => r.kind), ["misconfigured", "skipped"]);
});

Deno.test("hdfsFailure() tells a wrong address or permission from safe mode and timeouts", () => {
  const error = (kind: ConstructorParameters<typeof WebHdfsError>[0], message: string) =>
    hdfsFailure("hdfs namenode", new WebHdfsError(kind, message, { op: "GETFILESTATUS", path: "/" })).kind;
  assertEquals([
    error("unreachable", "http://nn:1 is unreachable: tcp connect error: Connection refused (os error 111)"),
    error("unreachable", "http://nn:9870 is unreachable: timed out"),
    error("permission", "permission denied"),
    error("retriable", "SafeModeException"),
  ], ["misconfigured", "failed", "misconfigured", "failed"]);
});
