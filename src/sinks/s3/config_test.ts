import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { configSchema as s3SinkSchema, ENV as S3_ENV, s3ClientSettings, SECRETS as S3_SECRETS } from "./config.ts";

Deno.test("s3 sink schema fills defaults and keeps the seed's keys", () => {
  const config = s3SinkSchema.parse({
    type: "s3",
    bucket: "my-bucket",
    prefix: "data/raw",
    region_name: "eu-west-1",
    compression: "zstd",
    partition_by: ["date", "hour"],
  });
  equal(config.bucket, "my-bucket");
  equal(config.compression, "zstd");
  assertEquals(config.partition_by, ["date", "hour"]);
  equal(config.part_size_mb, 8);
  equal(config.upload_concurrency, 4);
  equal(config.max_retries, 4);
  equal(config.force_path_style, undefined);
});

Deno.test("s3 sink schema rejects unknown keys, a missing bucket and too small parts", () => {
  assert.throws(() => s3SinkSchema.parse({ type: "s3", bucket: "b", buckett: "x" }));
  assert.throws(() => s3SinkSchema.parse({ type: "s3" }));
  assert.throws(() => s3SinkSchema.parse({ type: "s3", bucket: "b", part_size_mb: 4 }));
  assert.throws(() => s3SinkSchema.parse({ type: "s3", bucket: "b", server_side_encryption: "DES" }));
});

Deno.test("s3 sink schema explains cross-field mistakes", () => {
  const issues = (input: Record<string, unknown>) => {
    const result = s3SinkSchema.safeParse({ type: "s3", bucket: "b", ...input });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  assertEquals(issues({ bucket: "s3://b/data" }), [
    'bucket: bucket "s3://b/data" must be a bare bucket name; put the folder part into prefix',
  ]);
  assertEquals(issues({ aws_access_key_id: "AKIA1" }), [
    "aws_secret_access_key: aws_secret_access_key is required when aws_access_key_id is set",
  ]);
  assertEquals(issues({ sse_kms_key_id: "k" }), [
    "sse_kms_key_id: sse_kms_key_id needs server_side_encryption: aws:kms",
  ]);
  assertEquals(issues({ server_side_encryption: "aws:kms", sse_kms_key_id: "k" }), []);
  assertEquals(issues({ endpoint_url: "minio:9000" }), [
    'endpoint_url: endpoint_url "minio:9000" must start with http:// or https://',
  ]);
  const withCredentials = issues({ endpoint_url: "http://user:hunter22@minio:9000" });
  equal(withCredentials.length, 1);
  equal(withCredentials.join().includes("hunter22"), false);
  assertEquals(issues({ prefix: "a/../b" }).length, 1);
});

Deno.test("s3ClientSettings() uses path style for custom endpoints and the default chain without keys", () => {
  const minio = s3ClientSettings(s3SinkSchema.parse({
    type: "s3",
    bucket: "b",
    prefix: "/raw/",
    endpoint_url: "http://127.0.0.1:9000/",
    aws_access_key_id: "id",
    aws_secret_access_key: "secret",
    part_size_mb: 5,
  }));
  equal(minio.forcePathStyle, true);
  equal(minio.endpoint, "http://127.0.0.1:9000");
  equal(minio.prefix, "raw");
  equal(minio.partSizeBytes, 5 * 1024 * 1024);
  assertEquals(minio.credentials, { accessKeyId: "id", secretAccessKey: "secret" });

  const aws = s3ClientSettings(s3SinkSchema.parse({ type: "s3", bucket: "b" }));
  equal(aws.forcePathStyle, false);
  equal(aws.credentials, undefined);
  equal(aws.region, "us-east-1");

  const virtualHosted = s3ClientSettings(
    s3SinkSchema.parse({ type: "s3", bucket: "b", endpoint_url: "https://x.r2.example", force_path_style: false }),
  );
  equal(virtualHosted.forcePathStyle, false);
});

Deno.test("s3 sink binds the seed's environment variables and masks its secrets", () => {
  const byEnv = Object.fromEntries(S3_ENV.map((b) => [b.env, b.key]));
  assertEquals(byEnv, {
    S3_BUCKET: "bucket",
    S3_PREFIX: "prefix",
    AWS_ACCESS_KEY_ID: "aws_access_key_id",
    AWS_SECRET_ACCESS_KEY: "aws_secret_access_key",
    AWS_SESSION_TOKEN: "aws_session_token",
    AWS_REGION: "region_name",
    S3_ENDPOINT_URL: "endpoint_url",
  });
  assertEquals([...S3_SECRETS], ["aws_secret_access_key", "aws_session_token"]);
});
