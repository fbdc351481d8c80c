/**
 * The one module that imports the AWS SDK (`@aws-sdk/client-s3`, `@aws-sdk/lib-storage`): a thin object store over
 * one bucket with the operations the S3 sink needs, so the client can be swapped without touching the sink.
 * Requests are retried by the SDK ("standard" mode: exponential backoff with jitter on throttling, 5xx and
 * connection errors). The SDK logs nothing (no logger is given), so no request, header or signed URL reaches a log.
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { S3ClientSettings } from "./config.ts";
import { classifyS3Error, httpStatusOf } from "./errors.ts";

/** An object found by a listing. */
export interface S3Object {
  readonly key: string;
  readonly size: number;
  /** When the object was last written, if the server says so. */
  readonly lastModified?: Date;
}

/** A multipart upload that was started and neither completed nor aborted. */
export interface S3PendingUpload {
  readonly key: string;
  readonly uploadId: string;
  /** When the server says it started, if it says so. */
  readonly initiated?: Date;
}

/** Test seam: called before each SDK command is sent (before the SDK's retries), awaited. */
export type BeforeSendHook = (command: string, input: Readonly<Record<string, unknown>>) => Promise<void> | void;

/** Options of {@linkcode S3Store}. */
export interface S3StoreOptions {
  /** Awaited before every command, e.g. to stop the server in the middle of a multipart upload. Default none. */
  readonly beforeSend?: BeforeSendHook;
}

/** A multipart upload failed; `uploadId` is set when the upload had been created (it may need an abort). */
export class S3UploadError extends Error {
  /** Id of the multipart upload the failure left behind, if it was created. */
  readonly uploadId?: string;
  constructor(message: string, options: { cause: unknown; uploadId?: string }) {
    super(message, { cause: options.cause });
    this.name = "S3UploadError";
    this.uploadId = options.uploadId;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  parquet: "application/vnd.apache.parquet",
  json: "application/json",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
};

function contentTypeOf(key: string): string {
  const extension = key.slice(key.lastIndexOf(".") + 1).toLowerCase();
  return CONTENT_TYPES[extension] ?? "application/octet-stream";
}

/** Object operations on one bucket. Keys are full object keys (prefix included). */
export class S3Store {
  readonly #client: S3Client;
  readonly #settings: S3ClientSettings;

  constructor(settings: S3ClientSettings, options: S3StoreOptions = {}) {
    this.#settings = settings;
    const config: S3ClientConfig = {
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      maxAttempts: settings.maxRetries + 1,
      retryMode: "standard",
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    };
    if (settings.endpoint) {
      config.endpoint = settings.endpoint;
      // Third-party stores (older MinIO, Ceph, R2) do not all accept the SDK's default CRC32 trailers.
      config.requestChecksumCalculation = "WHEN_REQUIRED";
      config.responseChecksumValidation = "WHEN_REQUIRED";
    } else {
      config.followRegionRedirects = true;
    }
    if (settings.credentials) config.credentials = settings.credentials;
    this.#client = new S3Client(config);
    const hook = options.beforeSend;
    if (hook) {
      this.#client.middlewareStack.add(
        (next, context) => async (args) => {
          await hook(String(context.commandName ?? ""), args.input as Record<string, unknown>);
          return next(args);
        },
        { step: "initialize", name: "fsdsBeforeSend" },
      );
    }
  }

  /** The access key id the client signs with (explicit or from the default chain); undefined if none resolves. */
  async accessKeyId(): Promise<string | undefined> {
    try {
      const provider = this.#client.config.credentials;
      const identity = await provider();
      return identity.accessKeyId;
    } catch {
      return undefined;
    }
  }

  /** Resolves the credentials now, so a missing chain fails with its own error instead of inside a request. */
  async resolveCredentials(): Promise<void> {
    await this.#client.config.credentials();
  }

  /** Checks the bucket exists and may be accessed; throws the SDK error otherwise. */
  async headBucket(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.#settings.bucket }));
  }

  /** Lists one key of the bucket, to get a coded error where HEAD answers a bare status. */
  async listOne(prefix: string): Promise<void> {
    await this.#client.send(new ListObjectsV2Command({ Bucket: this.#settings.bucket, Prefix: prefix, MaxKeys: 1 }));
  }

  #params(key: string): PutObjectCommandInput {
    const s = this.#settings;
    return {
      Bucket: s.bucket,
      Key: key,
      ContentType: contentTypeOf(key),
      ...(s.serverSideEncryption ? { ServerSideEncryption: s.serverSideEncryption } : {}),
      ...(s.kmsKeyId ? { SSEKMSKeyId: s.kmsKeyId } : {}),
      ...(s.storageClass ? { StorageClass: s.storageClass } : {}),
    };
  }

  /** Uploads a whole object with one PutObject (atomic on S3). */
  async put(key: string, data: Uint8Array): Promise<void> {
    await this.#client.send(new PutObjectCommand({ ...this.#params(key), Body: data, ContentLength: data.byteLength }));
  }

  /**
   * Uploads a whole object only if its key is free (`If-None-Match: *`, honoured by AWS S3 and MinIO): false when an
   * object is there already (412), or another conditional write of the key is under way (409). Never multipart:
   * the objects written this way (table metadata) are small.
   */
  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    try {
      await this.#client.send(
        new PutObjectCommand({ ...this.#params(key), Body: data, ContentLength: data.byteLength, IfNoneMatch: "*" }),
      );
      return true;
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 409) return false;
      throw error;
    }
  }

  /**
   * Uploads an object as a multipart upload (parts of the configured size, at most `uploadConcurrency` in flight).
   * The object appears only when the upload completes. On failure nothing is aborted here: the caller gets an
   * {@linkcode S3UploadError} with the upload id and aborts it (so an abort that fails too can be retried later).
   */
  async putMultipart(key: string, data: Uint8Array): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { ...this.#params(key), Body: data },
      partSize: this.#settings.partSizeBytes,
      queueSize: this.#settings.uploadConcurrency,
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (error) {
      throw new S3UploadError("multipart upload failed", { cause: error, uploadId: upload.uploadId });
    }
  }

  /** Starts a multipart upload of `key` (content type and encryption as for `put`); resolves with its id. */
  async createUpload(key: string): Promise<string> {
    const response = await this.#client.send(new CreateMultipartUploadCommand(this.#params(key)));
    if (!response.UploadId) throw new Error("CreateMultipartUpload answered without an upload id");
    return response.UploadId;
  }

  /** Uploads part `partNumber` (from 1) of an upload; resolves with its ETag. Retried by the SDK like any request. */
  async uploadPart(key: string, uploadId: string, partNumber: number, data: Uint8Array): Promise<string> {
    const response = await this.#client.send(
      new UploadPartCommand({
        Bucket: this.#settings.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: data,
        ContentLength: data.byteLength,
      }),
    );
    if (!response.ETag) throw new Error(`UploadPart ${partNumber} answered without an ETag`);
    return response.ETag;
  }

  /** Completes an upload from its parts' ETags, in part order: the object appears whole, at once. */
  async completeUpload(key: string, uploadId: string, etags: readonly string[]): Promise<void> {
    await this.#client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#settings.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
  }

  /** Reads a whole object; null when it does not exist. */
  async get(key: string): Promise<Uint8Array | null> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#settings.bucket, Key: key }));
      if (!response.Body) return new Uint8Array();
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (classifyS3Error(error) === "not_found") return null;
      throw error;
    }
  }

  /** The size of an object; null when it does not exist. */
  async head(key: string): Promise<number | null> {
    try {
      const response = await this.#client.send(new HeadObjectCommand({ Bucket: this.#settings.bucket, Key: key }));
      return response.ContentLength ?? 0;
    } catch (error) {
      if (classifyS3Error(error) === "not_found") return null;
      throw error;
    }
  }

  /** Every object whose key starts with `prefix`, page by page (1000 keys a request). */
  async list(prefix: string): Promise<S3Object[]> {
    const objects: S3Object[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#settings.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key !== undefined) {
          objects.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Deletes an object; a missing object is not an error (S3 answers 204 either way). */
  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#settings.bucket, Key: key }));
  }

  /** Multipart uploads in progress whose key starts with `prefix`. */
  async listUploads(prefix: string): Promise<S3PendingUpload[]> {
    const uploads: S3PendingUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.#client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.#settings.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const item of page.Uploads ?? []) {
        if (item.Key !== undefined && item.UploadId !== undefined) {
          uploads.push({ key: item.Key, uploadId: item.UploadId, initiated: item.Initiated });
        }
      }
      if (!page.IsTruncated) return uploads;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
      if (keyMarker === undefined && uploadIdMarker === undefined) return uploads;
    }
  }

  /** Aborts a multipart upload, dropping its parts; an upload that is already gone is not an error. */
  async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#settings.bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      if (classifyS3Error(error) !== "not_found") throw error;
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }
}
