/**
 * {@linkcode HdfsStreamUpload}, the {@linkcode SinkUpload} of `HdfsSink.open()`, without APPEND: bytes are gathered
 * into parts; the first part is CREATEd at the file's hidden temporary name, each later one at a temporary name of
 * its own beside it and at once CONCATenated onto the first (a NameNode operation that moves blocks, copies no byte,
 * and refreshes the first part's modification time, so another instance's cleanup sees a live file). `commit()`
 * sends the last part and RENAMEs the temporary file over the target, as `write` does; `abort()` deletes the
 * temporary files. One part is sent while the next fills: memory held is two part buffers, reused.
 *
 * Each part is a whole CREATE from a buffer, so the client retries it like any call (a streamed body could not be
 * replayed). After CONCAT each part is a block (or blocks) of its own: parts of the configured `block_size` keep the
 * file's blocks full. CONCAT wants no `,` in the paths: a file whose folder holds one is kept whole in memory and
 * CREATEd on commit.
 * @module
 */
import type { SinkEntry, SinkUpload } from "../../core/sink.ts";
import { tempPathBeside } from "../_common/temp_files.ts";
import type { CreateOptions, WebHdfsClient } from "./webhdfs_client.ts";
import { WebHdfsError } from "./webhdfs_errors.ts";

/** What an upload needs of its sink. */
export interface HdfsUploadContext {
  readonly client: WebHdfsClient;
  readonly create: CreateOptions;
  /** Bytes per part. */
  readonly partSize: number;
  /** Moves the finished temporary file over the target (the sink's rename with its retry rules). */
  readonly renameIntoPlace: (temp: string, target: string, size: number) => Promise<void>;
  /** Takes a temporary file that could not be deleted, for the sink to delete later. */
  readonly orphan: (temp: string) => void;
  /** The error to throw for a failure, naming the target. */
  readonly wrap: (error: unknown) => unknown;
  /**
   * Refresh the temporary file's modification time (SETTIMES) when no part has landed for this long, so a slow
   * stream stays young in the eyes of another instance's cleanup (a fraction of the sink's temp-file grace).
   */
  readonly touchEveryMs: number;
}

/** A streamed write of one HDFS file; see the module doc. */
export class HdfsStreamUpload implements SinkUpload {
  readonly path: string;
  readonly #target: string;
  readonly #context: HdfsUploadContext;
  /** Temporary name of the file being built: the first part, which later parts are concatenated onto. */
  readonly #temp: string;
  /** CONCAT needs the folder without a `,`; else one part of any size. */
  readonly #partSize: number;
  /** The part being filled, and the buffer of the part in flight once it is back (two buffers in all). */
  #part: Uint8Array | null = null;
  #spare: Uint8Array | null = null;
  /** Copies of the chunks when the file is kept whole (no CONCAT). */
  #whole: Uint8Array[] = [];
  #filled = 0;
  #size = 0;
  /** Whether the first part (the temporary file) was created. */
  #created = false;
  /** Bytes in the temporary file: the parts that landed. */
  #sent = 0;
  /** The part being sent; parts go one after another. */
  #sending: Promise<void> = Promise.resolve();
  /** Temporary name of the part in flight, until it is concatenated. */
  #partTemp: string | null = null;
  #lost: { readonly error: unknown } | null = null;
  /** When the temporary file's modification time was last set (by a CREATE, CONCAT or SETTIMES). */
  #touched = 0;
  #touching: Promise<void> | null = null;
  #state: "open" | "committing" | "committed" | "aborted" = "open";

  constructor(path: string, target: string, context: HdfsUploadContext) {
    this.path = path;
    this.#target = target;
    this.#context = context;
    this.#temp = tempPathBeside(target);
    this.#partSize = target.slice(0, target.lastIndexOf("/")).includes(",") ? Infinity : context.partSize;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#check("write");
    if (this.#created && this.#touching === null && Date.now() - this.#touched > this.#context.touchEveryMs) {
      this.#touch();
    }
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, this.#partSize - this.#filled);
      if (this.#partSize === Infinity) {
        this.#whole.push(chunk.slice(offset, offset + take));
      } else {
        this.#part ??= this.#spare ?? new Uint8Array(this.#partSize);
        if (this.#part === this.#spare) this.#spare = null;
        this.#part.set(chunk.subarray(offset, offset + take), this.#filled);
      }
      this.#filled += take;
      offset += take;
      if (this.#filled === this.#partSize) await this.#sendPart();
    }
    this.#size += chunk.length;
  }

  async commit(): Promise<SinkEntry> {
    this.#check("commit");
    this.#state = "committing";
    try {
      await this.#sending;
      await this.#touching;
      this.#throwIfLost();
      // The first part is created even when empty: an empty file is still a file.
      if (this.#filled > 0 || !this.#created) await this.#sendPart();
      this.#throwIfLost();
      await this.#context.renameIntoPlace(this.#temp, this.#target, this.#size);
    } catch (error) {
      await this.#drop();
      throw this.#context.wrap(error);
    }
    this.#state = "committed";
    return { path: this.path, size: this.#size };
  }

  async abort(): Promise<void> {
    if (this.#state === "aborted" || this.#state === "committed") return;
    await this.#drop();
  }

  /** SETTIMES in the background; a failure is the next part's to find (HDFS down), so it is only noted here. */
  #touch(): void {
    const now = Date.now();
    this.#touching = this.#context.client.setTimes(this.#temp, now).then(
      () => void (this.#touched = Math.max(this.#touched, now)),
      () => {},
    ).finally(() => this.#touching = null);
  }

  #throwIfLost(): void {
    if (this.#lost) throw this.#lost.error;
  }

  #check(action: string): void {
    if (this.#lost) throw this.#context.wrap(this.#lost.error);
    if (this.#state !== "open") {
      throw new Error(`Cannot ${action} "${this.#target}": the upload is ${this.#state}`);
    }
  }

  /** Queues the gathered bytes as the next part, after waiting for the previous one (one part in flight). */
  async #sendPart(): Promise<void> {
    await this.#sending;
    if (this.#lost) throw this.#context.wrap(this.#lost.error);
    const buffer = this.#part;
    const data = buffer ? buffer.subarray(0, this.#filled) : join(this.#whole, this.#filled);
    this.#part = null;
    this.#whole = [];
    this.#filled = 0;
    const send = this.#created ? this.#appendPart(data) : this.#createFirst(data);
    this.#sending = send.then(() => {
      if (buffer) this.#spare = buffer; // the request is over: the next part may fill it
    }, (error) => {
      this.#lost ??= { error };
    });
    if (this.#state === "committing") await this.#sending;
  }

  async #createFirst(data: Uint8Array): Promise<void> {
    await this.#context.client.create(this.#temp, data, this.#context.create);
    this.#created = true;
    this.#touched = Date.now();
    this.#sent = data.length;
  }

  async #appendPart(data: Uint8Array): Promise<void> {
    const partTemp = tempPathBeside(this.#target);
    this.#partTemp = partTemp;
    await this.#context.client.create(partTemp, data, this.#context.create);
    const expected = this.#sent + data.length;
    try {
      await this.#context.client.concat(this.#temp, [partTemp]);
    } catch (error) {
      // A retried CONCAT whose first try went through finds its source gone: fine if the length says so.
      const landed = error instanceof WebHdfsError && error.kind === "not_found" &&
        (await this.#context.client.getFileStatus(this.#temp))?.length === expected;
      if (!landed) throw error;
    }
    this.#partTemp = null;
    this.#touched = Date.now();
    this.#sent = expected;
  }

  /** Deletes the temporary files (now, or through the sink's orphans once HDFS answers). */
  async #drop(): Promise<void> {
    this.#state = "aborted";
    this.#part = this.#spare = null;
    this.#whole = [];
    await this.#sending;
    await this.#touching;
    for (const temp of [this.#temp, this.#partTemp]) {
      if (temp === null) continue;
      try {
        await this.#context.client.delete(temp);
      } catch {
        this.#context.orphan(temp);
      }
    }
    this.#partTemp = null;
  }
}

function join(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
