/**
 * The `s3` sink plugin: Parquet files, journals and dead letters as objects under `bucket/prefix/`, on AWS or any
 * S3-compatible store (MinIO, Ceph, R2) through `endpoint_url` and path-style addressing.
 *
 * - Atomic: a file up to `part_size_mb` goes up with one PutObject; a larger one as a multipart upload that becomes
 *   visible only when completed. A failed multipart upload is aborted, in the background until the store answers
 *   again if need be, so no orphaned parts remain.
 * - Streamed writes (`open()`, `upload.ts`): parts of `part_size_mb` go up as they fill, `upload_concurrency` at
 *   once; the object appears on commit (one PutObject for a file under one part); aborted like any failed upload.
 *   Each request is retried by the SDK; the whole upload is not (its bytes are gone), the caller writes it again.
 * - Retries: every request is retried by the SDK on throttling, 5xx and connection errors (`max_retries`, backoff
 *   with jitter); a failed multipart upload is retried as a whole up to twice more, after its abort.
 * - `connect()` proves, before anything is consumed: credentials resolve, the bucket exists and may be read
 *   (HeadBucket), and objects may be written and deleted under the prefix (a tiny marker is written at the layout's
 *   probe path and deleted again; write and delete are both needed, the journal recovery deletes files). Then
 *   multipart uploads of the tool's own files older than an hour under the prefix (a crashed run's leftovers) are
 *   aborted. This needs a store that lists multipart uploads by prefix (AWS S3 does); MinIO lists them by exact key
 *   only, so there it finds nothing and MinIO's own expiry of stale uploads (24 h by default) or a lifecycle rule
 *   does the job.
 * - Secrets (secret key, session token) and request signatures never appear in logs or error messages; the access
 *   key id does, to say which key was refused.
 * - `fs-data-sink check` runs the same steps one by one (`check.ts`), without the cleanups.
 * @module
 */
import type { SinkPlugin } from "../../core/plugin.ts";
import { type Config, configSchema, ENV, SECRETS, TYPE } from "./config.ts";

/** The `sink.type: s3` plugin, registered in `src/plugins.ts`. */
export const s3SinkPlugin: SinkPlugin<Config> = {
  type: TYPE,
  summary: "Parquet files on Amazon S3 or an S3-compatible store (MinIO, Ceph, R2)",
  schema: configSchema,
  env: ENV,
  secrets: SECRETS,
  // The AWS SDK and the sink load only when used (about 20 MiB of a process writing elsewhere).
  create: async (config, context) =>
    new (await import("./sink.ts")).S3Sink(config, { log: context.log, paths: context.paths }),
  check: async (config, context) => await (await import("./check.ts")).checkS3Sink(config, context),
};
