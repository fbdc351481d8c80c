/**
 * {@linkcode S3Sink}, the {@linkcode Sink} of the `s3` plugin (its behaviour is described in `mod.ts`): writes,
 * reads and listings through the {@linkcode S3Store} (the one module that imports the AWS SDK), errors read by
 * `errors.ts`, failed multipart uploads handed to the {@linkcode UploadJanitor}. What the tool wrote is told by the
 * pipeline's layout ({@linkcode OwnPaths}), never retyped here.
 * @module
 */
import { ConfigError } from "../../core/errors.ts";
import { retry } from "../../core/retry.ts";
import type { OwnPaths, Sink, SinkEntry, SinkUpload } from "../../core/sink.ts";
import type { Logger } from "../../core/logger.ts";
import { type Config, type S3ClientSettings, s3ClientSettings } from "./config.ts";
import { classifyS3Error, describeS3Error, errorCodeOf, isRetriableS3Error } from "./errors.ts";
import { STALE_PROBE_MS } from "../_common/temp_files.ts";
import { UploadJanitor } from "./janitor.ts";
import { folderKeyPrefix, objectKey, pathOfKey } from "./keys.ts";
import { type BeforeSendHook, S3Store, S3UploadError } from "./store.ts";
import { S3StreamUpload } from "./upload.ts";

/** Whole-upload retries of a failed multipart upload, on top of the SDK's per-request retries. */
const MULTIPART_RETRIES = 2;
/** Age after which a multipart upload found at connect is taken for the leftover of a crashed run. */
const STALE_UPLOAD_MS = 60 * 60 * 1000;

/** Options of {@linkcode S3Sink}. */
export interface S3SinkOptions {
  /** Logger named for the sink. */
  readonly log: Logger;
  /** The tool's own paths (the pipeline's layout): where the connect probe goes, which stale uploads are ours. */
  readonly paths: OwnPaths;
  /** Test seam: awaited before each S3 request is sent. Default none. */
  readonly beforeSend?: BeforeSendHook;
  /** Test seam: the store to use instead of one built from the config. */
  readonly store?: S3Store;
  /** First and largest delay of the whole-upload retries, in ms. Default 1000 and 10000. */
  readonly uploadRetryDelayMs?: { readonly base: number; readonly max: number };
  /**
   * Multipart uploads under the prefix older than this (ms, by the server's start time) are aborted at connect:
   * leftovers of a run that crashed mid-upload. Default one hour, far longer than any live upload of a part.
   */
  readonly staleUploadMs?: number;
  /** Probe objects older than this (ms) are removed at connect: a run died mid-probe. Default five minutes. */
  readonly staleProbeMs?: number;
}

/** A {@linkcode Sink} over one S3 bucket and prefix. */
export class S3Sink implements Sink {
  readonly #settings: S3ClientSettings;
  readonly #store: S3Store;
  readonly #log: Logger;
  readonly #paths: OwnPaths;
  readonly #secrets: readonly (string | undefined)[];
  readonly #janitor: UploadJanitor;
  readonly #busy = new Map<string, number>();
  readonly #retryDelay: { readonly base: number; readonly max: number };
  readonly #staleUploadMs: number;
  readonly #staleProbeMs: number;

  constructor(config: Config, options: S3SinkOptions) {
    this.#settings = s3ClientSettings(config);
    this.#store = options.store ?? new S3Store(this.#settings, { beforeSend: options.beforeSend });
    this.#log = options.log;
    this.#paths = options.paths;
    this.#secrets = [this.#settings.credentials?.secretAccessKey, this.#settings.credentials?.sessionToken];
    this.#retryDelay = options.uploadRetryDelayMs ?? { base: 1000, max: 10_000 };
    this.#staleUploadMs = options.staleUploadMs ?? STALE_UPLOAD_MS;
    this.#staleProbeMs = options.staleProbeMs ?? STALE_PROBE_MS;
    this.#janitor = new UploadJanitor(this.#store, {
      log: this.#log,
      locate: (key) => this.#locate(key),
      isBusy: (key) => this.#busy.has(key),
    });
  }

  async connect(): Promise<void> {
    const bucket = this.#settings.bucket;
    const where = this.#endpointLabel();
    try {
      await this.#store.resolveCredentials();
    } catch (error) {
      throw new ConfigError(`Cannot connect to S3 bucket "${bucket}": no AWS credentials found`, {
        hint: "Set aws_access_key_id and aws_secret_access_key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), " +
          "or a profile, web identity or instance role for the default credential chain",
        cause: new Error(this.#describe(error)),
      });
    }
    try {
      await this.#store.headBucket();
    } catch (error) {
      throw await this.#connectError(error, where);
    }
    const probe = objectKey(this.#settings.prefix, this.#paths.probePath());
    try {
      await this.#store.put(probe, new TextEncoder().encode("fs-data-sink write probe\n"));
    } catch (error) {
      throw await this.#probeError("write", probe, error);
    }
    try {
      await this.#store.delete(probe);
    } catch (error) {
      throw await this.#probeError("delete", probe, error);
    }
    const aborted = await this.#abortStaleUploads();
    const probes = await this.#removeStaleProbes();
    this.#log.info({
      bucket,
      prefix: this.#settings.prefix,
      endpoint: where,
      region: this.#settings.region,
      credentials: this.#settings.credentials ? "explicit" : "default chain",
      stale_uploads_aborted: aborted,
      stale_probes_removed: probes,
    }, "S3 sink connected");
  }

  /** Deletes probe objects older than a few minutes that a run which died mid-probe left; best effort. */
  async #removeStaleProbes(): Promise<number> {
    const where = folderKeyPrefix(this.#settings.prefix, this.#paths.probeFolder);
    const cutoff = Date.now() - this.#staleProbeMs;
    let removed = 0;
    try {
      for (const object of await this.#store.list(where)) {
        if (object.lastModified === undefined || object.lastModified.getTime() >= cutoff) continue;
        await this.#store.delete(object.key);
        removed++;
      }
    } catch (error) {
      this.#log.warn({ path: this.#locate(where), error: this.#describe(error) }, "cannot remove leftover probes");
    }
    return removed;
  }

  /**
   * Aborts multipart uploads of the tool's own files (as `paths` tells) under the prefix that a crashed run left
   * behind (other applications' uploads in a shared bucket are left alone); best effort, never throws.
   */
  async #abortStaleUploads(): Promise<number> {
    const where = folderKeyPrefix(this.#settings.prefix, "");
    let aborted = 0;
    try {
      const cutoff = Date.now() - this.#staleUploadMs;
      for (const upload of await this.#store.listUploads(where)) {
        if (upload.initiated === undefined || upload.initiated.getTime() > cutoff) continue;
        const path = pathOfKey(this.#settings.prefix, upload.key);
        if (path === undefined || !this.#paths.isOwnPath(path)) continue;
        await this.#store.abortUpload(upload.key, upload.uploadId);
        aborted++;
      }
    } catch (error) {
      this.#log.warn(
        { path: this.#locate(where), error: this.#describe(error) },
        "cannot look for stale multipart uploads; add an AbortIncompleteMultipartUpload lifecycle rule instead",
      );
    }
    return aborted;
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const key = objectKey(this.#settings.prefix, path);
    if (this.#janitor.size > 0) void this.#janitor.sweep();
    this.#busy.set(key, (this.#busy.get(key) ?? 0) + 1);
    try {
      if (data.byteLength <= this.#settings.partSizeBytes) {
        await this.#store.put(key, data);
      } else {
        await retry(() => this.#writeMultipart(key, data), {
          maxRetries: Math.min(MULTIPART_RETRIES, this.#settings.maxRetries),
          baseDelayMs: this.#retryDelay.base,
          maxDelayMs: this.#retryDelay.max,
          isRetriable: (error) => isRetriableS3Error(rootOf(error)),
          onRetry: (error, attempt, delayMs) =>
            this.#log.warn(
              { path: this.#locate(key), attempt, delay_ms: delayMs, error: this.#describe(error) },
              "multipart upload failed, retrying",
            ),
        });
      }
      this.#log.debug({ path: this.#locate(key), bytes: data.byteLength }, "object written");
    } catch (error) {
      throw new Error(`Cannot write "${this.#locate(key)}": ${this.#describe(error)}`, {
        cause: new Error(this.#describe(error)),
      });
    } finally {
      const count = (this.#busy.get(key) ?? 1) - 1;
      if (count > 0) this.#busy.set(key, count);
      else this.#busy.delete(key);
    }
  }

  /**
   * A streamed write (`./upload.ts`): parts of `part_size_mb` go up as they fill, the object appears on commit; a
   * file under one part goes as one PutObject on commit. The key stays busy (out of the janitor's reach) until then.
   */
  // deno-lint-ignore require-await
  async open(path: string): Promise<SinkUpload> {
    const key = objectKey(this.#settings.prefix, path);
    if (this.#janitor.size > 0) void this.#janitor.sweep();
    this.#busy.set(key, (this.#busy.get(key) ?? 0) + 1);
    let ended = false;
    return new S3StreamUpload(path, key, {
      store: this.#store,
      janitor: this.#janitor,
      partSize: this.#settings.partSizeBytes,
      concurrency: this.#settings.uploadConcurrency,
      location: this.#locate(key),
      describe: (error) => this.#describe(error),
      done: () => {
        if (ended) return;
        ended = true;
        const count = (this.#busy.get(key) ?? 1) - 1;
        if (count > 0) this.#busy.set(key, count);
        else this.#busy.delete(key);
      },
    });
  }

  async #writeMultipart(key: string, data: Uint8Array): Promise<void> {
    try {
      await this.#store.putMultipart(key, data);
    } catch (error) {
      if (error instanceof S3UploadError) {
        // The key is busy while we abort, so the janitor leaves it alone until this write is over.
        await this.#janitor.abort(key, error.uploadId);
      }
      throw error;
    }
  }

  async read(path: string): Promise<Uint8Array | null> {
    const key = objectKey(this.#settings.prefix, path);
    try {
      return await this.#store.get(key);
    } catch (error) {
      throw new Error(`Cannot read "${this.#locate(key)}": ${this.#describe(error)}`);
    }
  }

  /** One HeadObject: how the journal checks a file after a restart without listing a partition folder. */
  async stat(path: string): Promise<SinkEntry | null> {
    const key = objectKey(this.#settings.prefix, path);
    try {
      const size = await this.#store.head(key);
      return size === null ? null : { path, size };
    } catch (error) {
      throw new Error(`Cannot stat "${this.#locate(key)}": ${this.#describe(error)}`);
    }
  }

  async list(prefix: string): Promise<SinkEntry[]> {
    const listPrefix = folderKeyPrefix(this.#settings.prefix, prefix);
    try {
      const objects = await this.#store.list(listPrefix);
      const entries: SinkEntry[] = [];
      for (const object of objects) {
        const path = pathOfKey(this.#settings.prefix, object.key);
        if (path !== undefined) entries.push({ path, size: object.size });
      }
      return entries;
    } catch (error) {
      throw new Error(`Cannot list "${this.#locate(listPrefix)}": ${this.#describe(error)}`);
    }
  }

  async delete(path: string): Promise<void> {
    const key = objectKey(this.#settings.prefix, path);
    try {
      await this.#store.delete(key);
    } catch (error) {
      throw new Error(`Cannot delete "${this.#locate(key)}": ${this.#describe(error)}`);
    }
  }

  /**
   * One PutObject with `If-None-Match: *`. A retried request whose first try went through finds the object there and
   * answers false: callers that must know (table commits) check what the object says.
   */
  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const key = objectKey(this.#settings.prefix, path);
    try {
      return await this.#store.putIfAbsent(key, data);
    } catch (error) {
      throw new Error(`Cannot create "${this.#locate(key)}": ${this.#describe(error)}`, {
        cause: new Error(this.#describe(error)),
      });
    }
  }

  /** `s3://<bucket>/<prefix>/<path>`. */
  uri(path: string): string {
    return this.#locate([this.#settings.prefix, path].filter(Boolean).join("/").replace(/\/+/g, "/"));
  }

  describe(path: string): string {
    try {
      return this.#locate(objectKey(this.#settings.prefix, path));
    } catch {
      // An invalid path (empty, "..") is still named in the error that rejects it.
      return this.#locate([this.#settings.prefix, path].filter(Boolean).join("/"));
    }
  }

  async close(): Promise<void> {
    await this.#janitor.close();
    this.#store.close();
  }

  #locate(key: string): string {
    return `s3://${this.#settings.bucket}/${key}`;
  }

  #describe(error: unknown): string {
    return describeS3Error(rootOf(error), this.#secrets);
  }

  #endpointLabel(): string {
    return this.#settings.endpoint ?? `https://s3.${this.#settings.region}.amazonaws.com`;
  }

  async #keyIdLabel(): Promise<string> {
    const id = await this.#store.accessKeyId();
    return id === undefined ? "(none)" : `"${id}"`;
  }

  async #connectError(error: unknown, where: string): Promise<Error> {
    const bucket = this.#settings.bucket;
    const kind = classifyS3Error(error);
    if (kind === "not_found") {
      return new ConfigError(`Cannot use S3 bucket "${bucket}" at ${where}: the bucket does not exist`, {
        hint: "Create the bucket, or fix sink.bucket (S3_BUCKET), region_name or endpoint_url",
      });
    }
    if (kind === "access_denied") {
      // HEAD answers a bare 403; a one-key listing says why (unknown key id, bad signature, policy).
      let detail = this.#describe(error);
      try {
        await this.#store.listOne(folderKeyPrefix(this.#settings.prefix, ""));
      } catch (listError) {
        if (classifyS3Error(listError) === "access_denied") detail = this.#describe(listError);
      }
      return new ConfigError(
        `Cannot use S3 bucket "${bucket}" at ${where}: access denied for access key id ${await this
          .#keyIdLabel()}: ${detail}`,
        {
          hint: "Check aws_access_key_id and aws_secret_access_key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), " +
            "the session token if any, and the bucket policy",
        },
      );
    }
    if (kind === "network") {
      const code = errorCodeOf(rootOf(error));
      const message = `Cannot reach S3 endpoint "${where}" for bucket "${bucket}": ${this.#describe(error)}`;
      if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
        return new ConfigError(message, { hint: "Check endpoint_url (S3_ENDPOINT_URL) and region_name" });
      }
      return new Error(message);
    }
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const hint = status === 301 || status === 400
      ? `Check region_name ("${this.#settings.region}") and endpoint_url`
      : undefined;
    return new ConfigError(`Cannot use S3 bucket "${bucket}" at ${where}: ${this.#describe(error)}`, { hint });
  }

  async #probeError(action: "write" | "delete", key: string, error: unknown): Promise<Error> {
    const message = `Cannot ${action} the probe object "${this.#locate(key)}": ${this.#describe(error)}`;
    if (classifyS3Error(error) === "access_denied") {
      return new ConfigError(`${message} (access key id ${await this.#keyIdLabel()})`, {
        hint: `The sink needs s3:PutObject, s3:GetObject, s3:DeleteObject, s3:ListBucket and s3:AbortMultipartUpload ` +
          `on the prefix`,
      });
    }
    return new Error(message);
  }
}

/** The error a failed multipart upload wraps, or the error itself. */
function rootOf(error: unknown): unknown {
  return error instanceof S3UploadError ? error.cause : error;
}
