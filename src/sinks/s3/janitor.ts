/**
 * Aborts multipart uploads that a failed write left behind, so no orphaned parts stay in the bucket (they are
 * invisible, but billed). When the abort itself fails (the store is down, which is usually why the upload failed),
 * the upload is kept here and retried in the background with backoff until the store answers or the sink closes.
 * @module
 */
import { backoffDelay } from "../../core/retry.ts";
import type { Logger } from "../../core/logger.ts";
import { describeS3Error } from "./errors.ts";
import type { S3PendingUpload } from "./store.ts";

/** What the janitor needs from the store. */
export interface JanitorStore {
  abortUpload(key: string, uploadId: string): Promise<void>;
  listUploads(prefix: string): Promise<S3PendingUpload[]>;
}

/** Options of {@linkcode UploadJanitor}. */
export interface UploadJanitorOptions {
  readonly log: Logger;
  /** Full location of a key for logs (`s3://bucket/key`). */
  readonly locate: (key: string) => string;
  /** True while a write to `key` is in flight: its own live upload must not be aborted. Default: never busy. */
  readonly isBusy?: (key: string) => boolean;
  /** First background retry delay in ms, doubling each time. Default 500. */
  readonly baseDelayMs?: number;
  /** Largest background retry delay in ms. Default 10000. */
  readonly maxDelayMs?: number;
}

/** An upload to abort: a known id, or (id unknown) every upload of exactly that key. */
interface Pending {
  readonly key: string;
  readonly uploadId?: string;
}

/** Keeps and retries the aborts of failed multipart uploads. */
export class UploadJanitor {
  readonly #store: JanitorStore;
  readonly #options: UploadJanitorOptions;
  readonly #pending = new Map<string, Pending>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round = 0;
  #sweeping: Promise<void> | undefined;
  #closed = false;

  constructor(store: JanitorStore, options: UploadJanitorOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Number of uploads still waiting for their abort. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Aborts a failed upload now; if that fails, keeps it and retries in the background. Without an `uploadId`
   * (the create request failed without an answer), every upload of exactly `key` is aborted once the key is idle.
   * Never throws.
   */
  async abort(key: string, uploadId: string | undefined): Promise<void> {
    const entry: Pending = { key, uploadId };
    if (uploadId !== undefined && await this.#tryAbort(entry)) return;
    this.#pending.set(`${key}\n${uploadId ?? ""}`, entry);
    this.#schedule();
  }

  /** Tries every kept abort once; those that fail stay for the next round. Never throws. */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  /** Stops the background retries after one last try; what still fails is logged with its upload id. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size > 0) await this.sweep();
    else await this.#sweeping;
    for (const entry of this.#pending.values()) {
      this.#options.log.warn(
        { path: this.#options.locate(entry.key), upload_id: entry.uploadId ?? "unknown" },
        "multipart upload left behind; abort it or add an AbortIncompleteMultipartUpload lifecycle rule",
      );
    }
  }

  async #sweepOnce(): Promise<void> {
    for (const [id, entry] of [...this.#pending]) {
      if (this.#options.isBusy?.(entry.key)) continue;
      if (await this.#tryAbort(entry)) this.#pending.delete(id);
    }
  }

  async #tryAbort(entry: Pending): Promise<boolean> {
    try {
      if (entry.uploadId !== undefined) {
        await this.#store.abortUpload(entry.key, entry.uploadId);
      } else {
        const uploads = await this.#store.listUploads(entry.key);
        for (const upload of uploads) {
          if (upload.key === entry.key) await this.#store.abortUpload(upload.key, upload.uploadId);
        }
      }
      this.#options.log.debug({ path: this.#options.locate(entry.key) }, "aborted failed multipart upload");
      return true;
    } catch (error) {
      this.#options.log.debug(
        { path: this.#options.locate(entry.key), error: describeS3Error(error) },
        "cannot abort failed multipart upload yet",
      );
      return false;
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#pending.size === 0) return;
    this.#round += 1;
    const delay = backoffDelay(this.#round, {
      baseDelayMs: this.#options.baseDelayMs ?? 500,
      maxDelayMs: this.#options.maxDelayMs ?? 10_000,
      random: () => 0.5 + Math.random() / 2,
    });
    const timer = setTimeout(async () => {
      this.#timer = undefined;
      await this.sweep();
      if (this.#pending.size === 0) this.#round = 0;
      this.#schedule();
    }, delay);
    // Pending aborts must not keep the process alive on their own; close() makes the last try.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}
