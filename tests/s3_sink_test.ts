/**
 * Integration tests of the S3 sink against the service kit's real MinIO. Each test works under its own prefix.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Buffer } from "node:buffer";
import { ConfigError } from "../src/core/errors.ts";
import { Journal } from "../src/pipeline/journal.ts";
import { outputPaths } from "../src/pipeline/layout.ts";
import { S3Sink } from "../src/sinks/s3/sink.ts";
import { configSchema as s3SinkSchema } from "../src/sinks/s3/config.ts";
import type { BeforeSendHook } from "../src/sinks/s3/store.ts";
import { configureLogging, Logger } from "../src/telemetry/log.ts";
import { s3OutageTest, s3Test } from "./s3_test_lock.ts";
import { endpoints, ensureRunning, startService, stopService } from "./services/endpoints.ts";

const MiB = 1024 * 1024;
const logLines: string[] = [];
configureLogging({ level: "DEBUG", writer: (line) => logLines.push(line) });

function kit() {
  return endpoints().s3;
}

function freshPrefix(name: string): string {
  return `it/${name}-${crypto.randomUUID().slice(0, 8)}`;
}

function sinkFor(
  prefix: string,
  overrides: Record<string, unknown> = {},
  beforeSend?: BeforeSendHook,
  staleUploadMs?: number,
): S3Sink {
  const s3 = kit();
  const config = s3SinkSchema.parse({
    type: "s3",
    bucket: s3.bucket,
    prefix,
    endpoint_url: s3.endpoint,
    aws_access_key_id: s3.accessKeyId,
    aws_secret_access_key: s3.secretAccessKey,
    region_name: s3.region,
    part_size_mb: 5,
    ...overrides,
  });
  return new S3Sink(config, {
    log: new Logger("test.s3"),
    paths: outputPaths,
    beforeSend,
    uploadRetryDelayMs: { base: 50, max: 200 },
    staleUploadMs,
  });
}

/** An SDK client of its own, to look at the bucket independently of the sink. */
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
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: kit().bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) keys.push(item.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Multipart uploads in progress for exactly `key` (MinIO lists them by exact object name only, not by folder). */
async function pendingUploads(client: S3Client, key: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: kit().bucket, Prefix: key }));
  return (page.Uploads ?? []).filter((u) => u.Key === key).map((u) => `${u.Key} ${u.UploadId}`);
}

/** Whether the server still knows a multipart upload (ListParts answers NoSuchUpload once it is aborted). */
async function uploadExists(client: S3Client, key: string, uploadId: string): Promise<boolean> {
  try {
    await client.send(new ListPartsCommand({ Bucket: kit().bucket, Key: key, UploadId: uploadId }));
    return true;
  } catch (error) {
    if ((error as Error).name === "NoSuchUpload") return false;
    throw error;
  }
}

async function objectExists(client: S3Client, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: kit().bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw error;
  }
}

function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(data.subarray(offset, offset + 65536));
  return data;
}

const text = (s: string) => new TextEncoder().encode(s);

await ensureRunning(["s3"]);

s3Test("s3 sink round trip: write, read, list, overwrite and delete under the prefix", async () => {
  const prefix = freshPrefix("roundtrip");
  const sink = sinkFor(`/${prefix}/`);
  const client = rawClient();
  try {
    await sink.connect();
    await sink.write("date=2024-01-01/hour=07/orders+00000000000000000001.parquet", text("parquet-bytes"));
    await sink.write("_fsds/journal/orders+0.json", text('{"first":"1"}'));
    await sink.write("_fsds/journal/orders+1.json", text('{"first":"2"}'));
    await sink.write("_fsds/journal2/x.json", text("sibling"));

    assertEquals(await rawKeys(client, `${prefix}/`), [
      `${prefix}/_fsds/journal/orders+0.json`,
      `${prefix}/_fsds/journal/orders+1.json`,
      `${prefix}/_fsds/journal2/x.json`,
      `${prefix}/date=2024-01-01/hour=07/orders+00000000000000000001.parquet`,
    ]);
    equal(new TextDecoder().decode((await sink.read("_fsds/journal/orders+0.json"))!), '{"first":"1"}');
    equal(await sink.read("_fsds/journal/missing.json"), null);

    const journal = (await sink.list("_fsds/journal/")).sort((a, b) => a.path.localeCompare(b.path));
    assertEquals(journal, [
      { path: "_fsds/journal/orders+0.json", size: 13 },
      { path: "_fsds/journal/orders+1.json", size: 13 },
    ]);
    assertEquals((await sink.list("date=2024-01-01")).map((e) => e.path), [
      "date=2024-01-01/hour=07/orders+00000000000000000001.parquet",
    ]);
    assertEquals(await sink.list("no/such/folder/"), []);
    assertEquals(await sink.stat("_fsds/journal/orders+1.json"), { path: "_fsds/journal/orders+1.json", size: 13 });
    equal(await sink.stat("_fsds/journal/missing.json"), null);

    await sink.write("_fsds/journal/orders+0.json", text('{"first":"3"}'));
    equal(new TextDecoder().decode((await sink.read("_fsds/journal/orders+0.json"))!), '{"first":"3"}');

    await sink.delete("_fsds/journal/orders+0.json");
    await sink.delete("_fsds/journal/orders+0.json");
    assertEquals((await sink.list("_fsds/journal")).map((e) => e.path), ["_fsds/journal/orders+1.json"]);
    equal(sink.describe("a/b.parquet"), `s3://${kit().bucket}/${prefix}/a/b.parquet`);
    equal(sink.describe("../b.parquet"), `s3://${kit().bucket}/${prefix}/../b.parquet`, "describe() never throws");
    await assert.rejects(() => sink.write("../b.parquet", text("x")), RangeError);
    assertEquals(await rawKeys(client, `${prefix}/_fsds/probe/`), [], "the connect probe is deleted");
  } finally {
    await sink.close();
    client.destroy();
  }
});

s3Test("s3 sink connect() removes probe objects a run left mid-probe, once they are old, and no others", async () => {
  const prefix = freshPrefix("probes");
  const client = rawClient();
  const s3 = kit();
  const writer = sinkFor(prefix);
  const put = (key: string) => writer.write(key, text(""));
  try {
    await put(`${outputPaths.probeFolder}old`);
    await put("_fsds/journal/s.json");
    await new Promise((resolve) => setTimeout(resolve, 2500)); // LastModified has whole seconds
    await put(`${outputPaths.probeFolder}new`);
    const sink = new S3Sink(
      s3SinkSchema.parse({
        type: "s3",
        bucket: s3.bucket,
        prefix,
        endpoint_url: s3.endpoint,
        aws_access_key_id: s3.accessKeyId,
        aws_secret_access_key: s3.secretAccessKey,
        region_name: s3.region,
      }),
      { log: new Logger("test.s3"), paths: outputPaths, staleProbeMs: 1500 },
    );
    await sink.connect();
    await sink.close();
    assertEquals(await rawKeys(client, `${prefix}/`), [
      `${prefix}/_fsds/journal/s.json`,
      `${prefix}/${outputPaths.probeFolder}new`,
    ]);
  } finally {
    for (const key of await rawKeys(client, `${prefix}/`)) await writer.delete(key.slice(prefix.length + 1));
    await writer.close();
    client.destroy();
  }
});

s3Test("s3 sink list() follows pagination past 1000 keys", async () => {
  const prefix = freshPrefix("paging");
  const sink = sinkFor(prefix);
  try {
    await sink.connect();
    const names = Array.from({ length: 1005 }, (_, i) => `p=1/f${String(i).padStart(5, "0")}.json`);
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(names.slice(i, i + 32).map((name) => sink.write(name, text("{}"))));
    }
    const listed = (await sink.list("p=1")).map((e) => e.path).sort();
    assertEquals(listed, names);
  } finally {
    await sink.close();
  }
});

s3Test("s3 sink uploads a 12 MiB file as a multipart upload and reads it back byte-equal", async () => {
  const prefix = freshPrefix("multipart");
  const commands: string[] = [];
  const sink = sinkFor(prefix, { part_size_mb: 5 }, (command) => void commands.push(command));
  const client = rawClient();
  try {
    await sink.connect();
    const data = randomBytes(12 * MiB);
    await sink.write("date=2024-01-01/big+00000000000000000000.parquet", data);
    equal(commands.filter((c) => c === "UploadPartCommand").length, 3, "12 MiB in 5 MiB parts is 3 parts");
    equal(commands.filter((c) => c === "CompleteMultipartUploadCommand").length, 1);
    const back = await sink.read("date=2024-01-01/big+00000000000000000000.parquet");
    equal(back?.byteLength, data.byteLength);
    equal(Buffer.compare(back!, data), 0);
    assertEquals(await pendingUploads(client, `${prefix}/date=2024-01-01/big+00000000000000000000.parquet`), []);
  } finally {
    await sink.close();
    client.destroy();
  }
});

s3OutageTest(
  "s3 sink: MinIO stopped mid multipart upload -> write rejects, no object, no orphaned upload, then succeeds",
  async () => {
    const prefix = freshPrefix("outage");
    const path = "date=2024-01-01/orders+00000000000000000100.parquet";
    const key = `${prefix}/${path}`;
    let stopped = false;
    const uploadIds = new Set<string>();
    const sink = sinkFor(prefix, { max_retries: 1 }, async (command, input) => {
      if (command === "UploadPartCommand") uploadIds.add(String(input.UploadId));
      if (!stopped && command === "UploadPartCommand" && input.PartNumber === 2) {
        stopped = true;
        await stopService("s3");
      }
    });
    const client = rawClient();
    const data = randomBytes(16 * MiB);
    const firstLog = logLines.length;
    try {
      await sink.connect();
      let failure: unknown;
      try {
        await sink.write(path, data);
      } catch (error) {
        failure = error;
      } finally {
        await startService("s3");
      }
      equal(stopped, true, "the server was stopped during the upload");
      assert(failure instanceof Error, "the write rejected");
      assert(failure.message.startsWith(`Cannot write "s3://${kit().bucket}/${key}": `), failure.message);
      equal(failure.message.includes(kit().secretAccessKey), false);
      equal(uploadIds.size, 1, "one multipart upload was started before the outage");
      const [uploadId] = [...uploadIds] as [string];

      equal(await objectExists(client, key), false, "no partial object under the final key");
      // The abort failed while MinIO was down; the sink retries it in the background once the server answers.
      let alive = await uploadExists(client, key, uploadId);
      for (let i = 0; i < 120 && alive; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        alive = await uploadExists(client, key, uploadId);
      }
      equal(alive, false, "the failed multipart upload was aborted");
      assertEquals(await pendingUploads(client, key), [], "no orphaned multipart upload for the key");
      assert(logLines.slice(firstLog).some((line) => line.includes("cannot abort failed multipart upload yet")));

      await sink.write(path, data);
      const back = await sink.read(path);
      equal(Buffer.compare(back!, data), 0);
      assertEquals(await pendingUploads(client, key), []);
      const leaked = logLines.slice(firstLog).filter((line) => line.includes(kit().secretAccessKey));
      assertEquals(leaked, []);
    } finally {
      await sink.close();
      client.destroy();
    }
  },
);

s3Test("s3 sink connect() with an unknown key id fails clearly, naming the key id but not the secret", async () => {
  const sink = sinkFor(freshPrefix("badkey"), {
    aws_access_key_id: "fsds-no-such-key",
    aws_secret_access_key: "not-the-secret-8f3a",
    max_retries: 0,
  });
  try {
    await assert.rejects(() => sink.connect(), (error: unknown) => {
      assert(error instanceof ConfigError, String(error));
      assert(error.message.includes('access denied for access key id "fsds-no-such-key"'), error.message);
      assert(error.message.includes("InvalidAccessKeyId"), error.message);
      assert(error.message.includes(`bucket "${kit().bucket}"`), error.message);
      equal(error.message.includes("not-the-secret-8f3a"), false);
      equal((error.hint ?? "").includes("not-the-secret-8f3a"), false);
      return true;
    });
  } finally {
    await sink.close();
  }
});

s3Test("s3 sink connect() with a wrong secret fails clearly without printing it", async () => {
  const sink = sinkFor(freshPrefix("badsecret"), { aws_secret_access_key: "wrong-secret-77c1", max_retries: 0 });
  try {
    await assert.rejects(() => sink.connect(), (error: unknown) => {
      assert(error instanceof ConfigError, String(error));
      assert(error.message.includes(`access key id "${kit().accessKeyId}"`), error.message);
      assert(error.message.includes("SignatureDoesNotMatch"), error.message);
      equal(error.message.includes("wrong-secret-77c1"), false);
      return true;
    });
  } finally {
    await sink.close();
  }
});

s3Test("s3 sink connect() names a missing bucket", async () => {
  const bucket = `fsds-missing-${crypto.randomUUID().slice(0, 8)}`;
  const sink = sinkFor("x", { bucket, max_retries: 0 });
  try {
    await assert.rejects(() => sink.connect(), (error: unknown) => {
      assert(error instanceof ConfigError, String(error));
      equal(error.message, `Cannot use S3 bucket "${bucket}" at ${kit().endpoint}: the bucket does not exist`);
      return true;
    });
  } finally {
    await sink.close();
  }
});

s3Test("s3 sink connect() names an endpoint that does not answer", async () => {
  const endpoint = "http://127.0.0.1:9";
  const sink = sinkFor("x", { endpoint_url: endpoint, max_retries: 0 });
  try {
    await assert.rejects(() => sink.connect(), (error: unknown) => {
      assert(error instanceof Error);
      assert(
        error.message.startsWith(`Cannot reach S3 endpoint "${endpoint}" for bucket "${kit().bucket}": `),
        error.message,
      );
      assert(error.message.includes("ECONNREFUSED"), error.message);
      return true;
    });
  } finally {
    await sink.close();
  }
});

s3Test("s3 sink sends storage class and encryption, and connect() reports a store that refuses them", async () => {
  const seen: Record<string, unknown>[] = [];
  const record: BeforeSendHook = (command, input) => {
    if (command === "PutObjectCommand" || command === "CreateMultipartUploadCommand") seen.push({ command, ...input });
  };
  const standard = sinkFor(freshPrefix("class"), { storage_class: "STANDARD" }, record);
  try {
    await standard.connect();
    await standard.write("big.parquet", randomBytes(6 * MiB));
    assertEquals(seen.map((s) => [s.command, s.StorageClass]), [
      ["PutObjectCommand", "STANDARD"], // the connect probe
      ["CreateMultipartUploadCommand", "STANDARD"],
    ]);
  } finally {
    await standard.close();
  }

  // The kit's MinIO has no KMS, so it refuses SSE: the probe at connect says so before anything is consumed.
  seen.length = 0;
  const encrypted = sinkFor(freshPrefix("sse"), { server_side_encryption: "AES256" }, record);
  try {
    await assert.rejects(() => encrypted.connect(), (error: unknown) => {
      assert(error instanceof Error);
      assert(error.message.startsWith(`Cannot write the probe object "s3://${kit().bucket}/it/sse-`), error.message);
      assert(error.message.includes("NotImplemented (HTTP 501)"), error.message);
      return true;
    });
    assertEquals(seen.map((s) => s.ServerSideEncryption), ["AES256"]);
  } finally {
    await encrypted.close();
  }
});

/** Runs `fn` with some environment variables replaced (undefined: removed), restoring them afterwards. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, Deno.env.get(name)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

/** No profile files, and never the instance metadata service (it is not on loopback). */
const NO_OTHER_CREDENTIALS = {
  AWS_PROFILE: undefined,
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/fsds-credentials",
  AWS_CONFIG_FILE: "/nonexistent/fsds-config",
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_EC2_METADATA_DISABLED: "true",
};

s3Test("s3 sink without explicit keys uses the default credential chain (environment)", async () => {
  const s3 = kit();
  await withEnv({
    ...NO_OTHER_CREDENTIALS,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  }, async () => {
    const sink = sinkFor(freshPrefix("chain"), { aws_access_key_id: undefined, aws_secret_access_key: undefined });
    try {
      await sink.connect();
      await sink.write("a.json", text("{}"));
      assertEquals(await sink.read("a.json"), text("{}"));
    } finally {
      await sink.close();
    }
  });
});

s3Test("s3 sink without any credentials fails at connect with a hint", async () => {
  await withEnv({
    ...NO_OTHER_CREDENTIALS,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
  }, async () => {
    const sink = sinkFor(freshPrefix("nocreds"), { aws_access_key_id: undefined, aws_secret_access_key: undefined });
    try {
      await assert.rejects(() => sink.connect(), (error: unknown) => {
        assert(error instanceof ConfigError, String(error));
        equal(error.message, `Cannot connect to S3 bucket "${kit().bucket}": no AWS credentials found`);
        assert(error.hint?.includes("AWS_ACCESS_KEY_ID"));
        return true;
      });
    } finally {
      await sink.close();
    }
  });
});

s3Test("journal on S3: a durable batch is recognised with HEADs, an interrupted one is cleaned up", async () => {
  const prefix = freshPrefix("journal");
  const sink = sinkFor(prefix);
  const commands: string[] = [];
  const watched = sinkFor(prefix, {}, (command) => void commands.push(command));
  const compare = (a: string, b: string) => a.localeCompare(b);
  try {
    await sink.connect();
    const files = ["date=2024-01-01/orders+3+000100.parquet", "date=2024-01-02/orders+3+000100.parquet"];
    await new Journal(sink, new Logger("test.journal")).begin({
      stream: "orders+3",
      first: "000100",
      last: "000199",
      files,
    });
    for (const file of files) await sink.write(file, text("rows"));
    // Many other files in the same partition folder must not matter: existence is checked per file.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => sink.write(`date=2024-01-01/other+${i}.parquet`, text("x"))),
    );

    const journal = new Journal(watched, new Logger("test.journal"));
    assertEquals(await journal.recover("orders+3", "000150", compare), {
      kind: "durable",
      through: "000199",
      generation: "",
    });
    equal(commands.filter((c) => c === "ListObjectsV2Command").length, 0, "no listing, only HEADs");
    equal(commands.filter((c) => c === "HeadObjectCommand").length, 2);

    await sink.delete(files[1]!);
    assertEquals(await journal.recover("orders+3", "000100", compare), {
      kind: "discarded",
      files: [files[0]],
      generation: "",
    });
    equal(await sink.stat(files[0]!), null, "the partial batch's file is deleted before the range is re-read");
    assertEquals(await journal.recover("orders+3", "000200", compare), { kind: "none", generation: "" });
  } finally {
    await sink.close();
    await watched.close();
  }
});
