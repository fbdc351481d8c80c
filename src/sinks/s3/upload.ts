/**
 * {@linkcode S3StreamUpload}, the {@linkcode SinkUpload} of `S3Sink.open()`: bytes are gathered into parts of the
 * sink's part size (`part_size_mb`, at least S3's 5 MiB) and each full part goes up as an UploadPart of a multipart
 * upload, at most `upload_concurrency` at once, while the next fills. `commit()` sends the last part and completes
 * the upload, so the object appears whole, at once; a file that never fills a part goes up as one PutObject on
 * commit instead (no upload is created). Memory held: `upload_concurrency + 1` part buffers, reused.
 *
 * Each request is retried by the SDK; an upload that fails for good, or is aborted, is handed to the
 * {@linkcode UploadJanitor}, which aborts it now or in the background, so no parts are left behind.
 * @module
 */
import type { SinkEntry, SinkUpload } from "../../core/sink.ts";
import type { UploadJanitor } from "./janitor.ts";
import type { S3Store } from "./store.ts";

/** What an upload needs of its sink. */
export interface S3UploadContext {
  readonly store: S3Store;
  readonly janitor: UploadJanitor;
  /** Part size in bytes. */
  readonly partSize: number;
  /** Parts in flight at most. */
  readonly concurrency: number;
  /** `s3://bucket/key` of the object. */
  readonly location: string;
  /** An error's text for messages, secrets removed. */
  readonly describe: (error: unknown) => string;
  /** Called once when the upload ends (committed or aborted): the key is no longer busy. */
  readonly done: () => void;
}

/** A streamed write of one object; see the module doc. */
export class S3StreamUpload implements SinkUpload {
  readonly path: string;
  readonly #key: string;
  readonly #context: S3UploadContext;
  #part: Uint8Array | null = null;
  /** Part buffers whose upload is over, to fill again (at most `concurrency + 1` buffers in all). */
  readonly #spare: Uint8Array[] = [];
  #filled = 0;
  #size = 0;
  #uploadId: Promise<string> | null = null;
  readonly #etags: Promise<string>[] = [];
  /** Parts sent and not yet answered, oldest first. */
  readonly #inFlight: Promise<unknown>[] = [];
  #state: "open" | "committing" | "committed" | "aborted" = "open";
  /** The first part that failed for good. */
  #lost: { readonly error: unknown } | null = null;

  constructor(path: string, key: string, context: S3UploadContext) {
    this.path = path;
    this.#key = key;
    this.#context = context;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#check("write");
    try {
      let offset = 0;
      while (offset < chunk.length) {
        this.#part ??= this.#spare.pop() ?? new Uint8Array(this.#context.partSize);
        const take = Math.min(chunk.length - offset, this.#part.length - this.#filled);
        this.#part.set(chunk.subarray(offset, offset + take), this.#filled);
        this.#filled += take;
        offset += take;
        if (this.#filled === this.#part.length) await this.#sendPart();
      }
      this.#size += chunk.length;
    } catch (error) {
      throw await this.#failed(error);
    }
  }

  async commit(): Promise<SinkEntry> {
    this.#check("commit");
    this.#state = "committing";
    try {
      const rest = this.#part?.subarray(0, this.#filled) ?? new Uint8Array();
      if (this.#uploadId === null) {
        await this.#context.store.put(this.#key, rest);
      } else {
        if (rest.length > 0) await this.#sendPart(rest);
        const etags = await Promise.all(this.#etags);
        await this.#context.store.completeUpload(this.#key, await this.#uploadId, etags);
      }
    } catch (error) {
      throw await this.#failed(error);
    }
    this.#part = null;
    this.#state = "committed";
    this.#context.done();
    return { path: this.path, size: this.#size };
  }

  async abort(): Promise<void> {
    if (this.#state === "aborted" || this.#state === "committed") return;
    this.#state = "aborted";
    this.#part = null;
    await Promise.allSettled(this.#inFlight);
    if (this.#uploadId !== null) {
      const uploadId = await this.#uploadId.catch(() => undefined);
      // Without an id (the create got no answer) the janitor aborts every upload of the key once it is idle.
      await this.#context.janitor.abort(this.#key, uploadId);
    }
    this.#context.done();
  }

  #check(action: string): void {
    if (this.#state !== "open") {
      throw new Error(`Cannot ${action} "${this.#context.location}": the upload is ${this.#state}`);
    }
  }

  /** Sends the full part (or `data`, the last one), waiting first while `concurrency` parts are in flight. */
  async #sendPart(data?: Uint8Array): Promise<void> {
    const body = data ?? this.#part!;
    if (data === undefined) {
      this.#part = null;
      this.#filled = 0;
    }
    this.#uploadId ??= this.#context.store.createUpload(this.#key);
    const partNumber = this.#etags.length + 1;
    const etag = this.#uploadId.then((id) => this.#context.store.uploadPart(this.#key, id, partNumber, body));
    this.#etags.push(etag);
    const settled = etag.then(() => {
      if (data === undefined && this.#state === "open") this.#spare.push(body); // the request is over
    }, (error) => {
      this.#lost ??= { error };
    });
    this.#inFlight.push(settled);
    void settled.then(() => this.#inFlight.splice(this.#inFlight.indexOf(settled), 1));
    while (this.#inFlight.length >= this.#context.concurrency) {
      await Promise.race(this.#inFlight);
      if (this.#lost) throw this.#lost.error;
    }
    // A stream stops at its first lost part, not at commit.
    if (this.#lost) throw this.#lost.error;
  }

  async #failed(error: unknown): Promise<Error> {
    await this.abort();
    return new Error(`Cannot write "${this.#context.location}": ${this.#context.describe(error)}`, {
      cause: new Error(this.#context.describe(error)),
    });
  }
}
