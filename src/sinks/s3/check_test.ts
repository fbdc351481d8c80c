import { deepEqual as assertEquals } from "node:assert/strict";
import { Logger } from "../../telemetry/log.ts";
import { testPaths } from "../_common/test_paths.ts";
import { bucketFailure, checkS3Sink } from "./check.ts";
import { configSchema, s3ClientSettings } from "./config.ts";
import { S3Store } from "./store.ts";

const config = configSchema.parse({
  type: "s3",
  bucket: "b",
  prefix: "raw",
  aws_access_key_id: "k",
  aws_secret_access_key: "s",
});
const context = { log: new Logger("test"), timeoutMs: 1000, paths: testPaths() };

function sdkError(name: string, status?: number, code?: string): Error {
  return Object.assign(new Error(name), { name, ...(code ? { code } : {}), $metadata: { httpStatusCode: status } });
}

/** A store double that records its calls and fails the ones named in `failing`. */
class FakeStore extends S3Store {
  readonly calls: string[] = [];
  constructor(readonly failing: Record<string, Error> = {}) {
    super(s3ClientSettings(config));
  }
  #call(name: string, detail = ""): Promise<void> {
    this.calls.push(`${name}${detail}`);
    const error = this.failing[name];
    return error ? Promise.reject(error) : Promise.resolve();
  }
  override resolveCredentials() {
    return this.#call("credentials");
  }
  override headBucket() {
    return this.#call("head");
  }
  override listOne() {
    return this.#call("list");
  }
  override put(key: string) {
    return this.#call("put", ` ${key}`);
  }
  override delete(key: string) {
    return this.#call("delete", ` ${key}`);
  }
}

Deno.test("checkS3Sink() proves credentials, bucket and a probe written and deleted under the prefix", async () => {
  const store = new FakeStore();
  const results = await checkS3Sink(config, context, { store });
  assertEquals(results.map((r) => [r.kind, r.name]), [
    ["ok", "s3 credentials"],
    ["ok", 's3 bucket "b"'],
    ["ok", "s3 write probe"],
  ]);
  assertEquals(store.calls.map((c) => c.replace(/[0-9a-f-]{36}/, "<uuid>")), [
    "credentials",
    "head",
    "put raw/probe/<uuid>",
    "delete raw/probe/<uuid>",
  ]);
});

Deno.test("checkS3Sink() stops at a missing bucket and names a refused probe write as a configuration fault", async () => {
  const missing = await checkS3Sink(config, context, { store: new FakeStore({ head: sdkError("NotFound", 404) }) });
  assertEquals(missing.map((r) => r.kind), ["ok", "misconfigured", "skipped"]);
  const denied = await checkS3Sink(config, context, { store: new FakeStore({ put: sdkError("AccessDenied", 403) }) });
  assertEquals(denied.at(-1)?.kind, "misconfigured");
  const broken = await checkS3Sink(config, context, {
    store: new FakeStore({ delete: sdkError("InternalError", 500) }),
  });
  assertEquals(broken.at(-1)?.kind, "failed");
});

Deno.test("bucketFailure() tells configuration faults from failures", () => {
  const kind = (error: Error) => bucketFailure("s3 bucket", error, "d", "http://x", "us-east-1").kind;
  assertEquals(
    [
      kind(sdkError("NoSuchBucket", 404)),
      kind(sdkError("InvalidAccessKeyId", 403)),
      kind(sdkError("Error", undefined, "ECONNREFUSED")),
      kind(sdkError("PermanentRedirect", 301)),
      kind(sdkError("InternalError", 500)),
      kind(sdkError("Error", undefined, "ETIMEDOUT")),
    ],
    ["misconfigured", "misconfigured", "misconfigured", "misconfigured", "failed", "failed"],
  );
});
