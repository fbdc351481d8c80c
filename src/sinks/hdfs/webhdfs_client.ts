/**
 * A small WebHDFS REST client on plain `fetch` (no HDFS library): MKDIRS, the two-step CREATE and OPEN (NameNode
 * answers with a redirect to a DataNode), RENAME, CONCAT, GETFILESTATUS, LISTSTATUS(_BATCH), DELETE and SETTIMES.
 *
 * Several NameNode URLs make an HA pair: a call goes to the NameNode that last answered; on a standby or
 * unreachable one it tries the next and remembers the one that worked. A whole call (both steps of CREATE included)
 * is retried with backoff on 5xx answers, safe mode, connection errors and when no NameNode is active.
 * Authentication is simple (`user.name`) or a delegation token (`delegation`); Kerberos/SPNEGO is not supported.
 * @module
 */
import { retry } from "../../core/retry.ts";
import type { Logger } from "../../core/logger.ts";
import { errorFromResponse, unreachableError, WebHdfsError } from "./webhdfs_errors.ts";

/** Options of {@linkcode WebHdfsClient}. */
export interface WebHdfsClientOptions {
  /** NameNode HTTP base URLs, e.g. `http://nn1:9870`; more than one for an HA pair. */
  readonly urls: readonly string[];
  /** Simple-auth user sent as `user.name`; ignored when a delegation token is set. */
  readonly user?: string;
  /** Hadoop delegation token sent as `delegation`; never logged. */
  readonly delegationToken?: string;
  /** Time limit of one HTTP request in ms (an upload included). Default 60000. */
  readonly timeoutMs?: number;
  /** Retries of a whole call after the first try. Default 5. */
  readonly maxRetries?: number;
  /** First backoff cap in ms, doubling per retry. Default 200. */
  readonly baseDelayMs?: number;
  /** Largest backoff in ms. Default 5000. */
  readonly maxDelayMs?: number;
  /** Bytes per chunk of a streamed upload. Default 1 MiB. */
  readonly chunkSize?: number;
  /** Logger for retries and failovers. */
  readonly log?: Logger;
  /** The fetch to use; replaceable in unit tests. Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
}

/** A file or folder as WebHDFS describes it (the fields this project uses). */
export interface FileStatus {
  /** Name inside the listed folder; empty for GETFILESTATUS. */
  readonly pathSuffix: string;
  /** Entry type. */
  readonly type: "FILE" | "DIRECTORY" | "SYMLINK";
  /** Size in bytes (0 for folders). */
  readonly length: number;
  /** Last modification, ms since epoch. */
  readonly modificationTime: number;
  /** Owner user name. */
  readonly owner: string;
  /** Octal permission, e.g. `755`. */
  readonly permission: string;
  /** Replication factor (0 for folders). */
  readonly replication: number;
  /** Block size in bytes (0 for folders). */
  readonly blockSize: number;
}

/** Options of {@linkcode WebHdfsClient.create}. */
export interface CreateOptions {
  /** Replace an existing file. Default true. */
  readonly overwrite?: boolean;
  /** Replication factor; cluster default when absent. */
  readonly replication?: number;
  /** Octal permission, e.g. `644`; cluster default when absent. */
  readonly permission?: string;
  /** Block size in bytes; cluster default when absent. */
  readonly blockSize?: number;
}

type Params = Record<string, string | number | boolean | undefined>;

/** WebHDFS over `fetch` with NameNode failover and retries; see the module doc. */
export class WebHdfsClient {
  readonly #urls: readonly string[];
  readonly #user?: string;
  readonly #token?: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #chunkSize: number;
  readonly #log?: Logger;
  readonly #fetch: typeof fetch;
  #active = 0;
  #batchListing = true;

  constructor(options: WebHdfsClientOptions) {
    if (options.urls.length === 0) throw new RangeError("Cannot create a WebHDFS client: no NameNode URL");
    this.#urls = options.urls.map(normalizeNameNodeUrl);
    this.#user = options.user;
    this.#token = options.delegationToken;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxRetries = options.maxRetries ?? 5;
    this.#baseDelayMs = options.baseDelayMs ?? 200;
    this.#maxDelayMs = options.maxDelayMs ?? 5000;
    this.#chunkSize = options.chunkSize ?? 1 << 20;
    this.#log = options.log;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Base URL of the NameNode that answered last (the first one before any call). */
  get activeUrl(): string {
    return this.#urls[this.#active] as string;
  }

  /** The user requests run as, for messages; undefined with a delegation token. */
  get user(): string | undefined {
    return this.#token ? undefined : this.#user;
  }

  /** Creates a folder and its missing parents; an existing folder is fine. */
  async mkdirs(path: string, options: { permission?: string } = {}): Promise<void> {
    const result = await this.#retry(() =>
      this.#nameNode("PUT", "MKDIRS", path, { permission: options.permission }, readBoolean)
    );
    if (!result) {
      throw new WebHdfsError("other", `Cannot MKDIRS "${path}": the NameNode answered false`, { op: "MKDIRS", path });
    }
  }

  /**
   * Writes `data` to `path` in two steps: PUT to the NameNode (redirect not followed) gives the DataNode URL, then
   * the body is streamed there in chunks that are views of `data` (no copy). A retry starts again at step one.
   */
  create(path: string, data: Uint8Array, options: CreateOptions = {}): Promise<void> {
    const params: Params = {
      overwrite: options.overwrite ?? true,
      replication: options.replication,
      permission: options.permission,
      blocksize: options.blockSize,
    };
    return this.#retry(async () => {
      const location = await this.#nameNode("PUT", "CREATE", path, params, (r) => readLocation(r, "CREATE", path));
      const response = await this.#send("CREATE", path, location, {
        method: "PUT",
        body: chunkedStream(data, this.#chunkSize),
        headers: { "content-type": "application/octet-stream" },
      });
      await response.body?.cancel();
    });
  }

  /** Reads a whole file (NameNode redirect, then the DataNode); null when it does not exist. */
  async open(path: string): Promise<Uint8Array | null> {
    try {
      return await this.#retry(async () => {
        const location = await this.#nameNode("GET", "OPEN", path, {}, (r) => readLocation(r, "OPEN", path));
        const response = await this.#send("OPEN", path, location, { method: "GET" });
        return new Uint8Array(await response.arrayBuffer());
      });
    } catch (error) {
      if (error instanceof WebHdfsError && error.kind === "not_found") return null;
      throw error;
    }
  }

  /**
   * Renames `source` to `destination`. With `overwrite` an existing destination file is replaced atomically
   * (`renameoptions=OVERWRITE`). Resolves false when HDFS refuses without an exception (destination exists
   * without `overwrite`, or its parent folder is missing).
   */
  rename(source: string, destination: string, options: { overwrite?: boolean } = {}): Promise<boolean> {
    const params: Params = { destination, renameoptions: options.overwrite ? "OVERWRITE" : undefined };
    return this.#retry(() => this.#nameNode("PUT", "RENAME", source, params, readBooleanOrEmpty));
  }

  /**
   * Appends the blocks of `sources` to `target`, in order, and deletes the sources (a NameNode-only operation: no
   * byte is copied). HDFS wants every source in the target's folder and no `,` in their paths (the list is
   * comma-separated). The target's modification time becomes now.
   */
  async concat(target: string, sources: readonly string[]): Promise<void> {
    const bad = sources.find((source) => source.includes(","));
    if (bad !== undefined) throw new RangeError(`Cannot CONCAT "${bad}" to "${target}": the path holds a ","`);
    await this.#retry(() =>
      this.#nameNode("POST", "CONCAT", target, { sources: sources.join(",") }, async (r) => {
        await r.body?.cancel();
      })
    );
  }

  /** Status of one path; null when it does not exist. */
  async getFileStatus(path: string): Promise<FileStatus | null> {
    try {
      return await this.#retry(() =>
        this.#nameNode("GET", "GETFILESTATUS", path, {}, async (r) => toStatus((await r.json()).FileStatus))
      );
    } catch (error) {
      if (error instanceof WebHdfsError && error.kind === "not_found") return null;
      throw error;
    }
  }

  /**
   * Entries of a folder (one level), paged with LISTSTATUS_BATCH where the cluster has it (Hadoop 3) and one
   * LISTSTATUS otherwise; null when the folder does not exist. A file lists as itself with an empty `pathSuffix`.
   */
  async listStatus(path: string): Promise<FileStatus[] | null> {
    try {
      if (this.#batchListing) {
        try {
          return await this.#listBatches(path);
        } catch (error) {
          if (!(error instanceof WebHdfsError && error.kind === "invalid")) throw error;
          this.#batchListing = false;
          this.#log?.debug({ error: error.message }, "LISTSTATUS_BATCH unsupported, using LISTSTATUS");
        }
      }
      return await this.#retry(() =>
        this.#nameNode("GET", "LISTSTATUS", path, {}, async (r) => {
          const body = await r.json();
          return (body?.FileStatuses?.FileStatus ?? []).map(toStatus);
        })
      );
    } catch (error) {
      if (error instanceof WebHdfsError && error.kind === "not_found") return null;
      throw error;
    }
  }

  /** Deletes a path; resolves false when it did not exist. A non-empty folder needs `recursive`. */
  delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    return this.#retry(() =>
      this.#nameNode("DELETE", "DELETE", path, { recursive: options.recursive ?? false }, readBoolean)
    );
  }

  /** Sets the modification time (ms since epoch) of a path. */
  async setTimes(path: string, modificationTime: number): Promise<void> {
    await this.#retry(() =>
      this.#nameNode("PUT", "SETTIMES", path, { modificationtime: modificationTime }, async (r) => {
        await r.body?.cancel();
      })
    );
  }

  async #listBatches(path: string): Promise<FileStatus[]> {
    const all: FileStatus[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.#retry(() =>
        this.#nameNode("GET", "LISTSTATUS_BATCH", path, { startAfter }, async (r) => (await r.json()).DirectoryListing)
      );
      const entries: FileStatus[] = (page?.partialListing?.FileStatuses?.FileStatus ?? []).map(toStatus);
      all.push(...entries);
      const last = entries.at(-1);
      if (!page?.remainingEntries || !last || last.pathSuffix === "") return all;
      startAfter = last.pathSuffix;
    }
  }

  #retry<T>(fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      maxRetries: this.#maxRetries,
      baseDelayMs: this.#baseDelayMs,
      maxDelayMs: this.#maxDelayMs,
      isRetriable: (error) => error instanceof WebHdfsError && error.retriable,
      onRetry: (error, attempt, delayMs) =>
        this.#log?.warn(
          { attempt, delay_ms: delayMs, error: (error as Error).message },
          "WebHDFS call failed, retrying",
        ),
    });
  }

  /**
   * One pass over the NameNodes, starting with the active one: a standby or unreachable NameNode passes the call
   * to the next; the first other answer (success or error) ends the pass. `read` turns a 2xx answer into a value.
   */
  async #nameNode<T>(
    method: string,
    op: string,
    path: string,
    params: Params,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    let last: WebHdfsError | undefined;
    for (let i = 0; i < this.#urls.length; i++) {
      const index = (this.#active + i) % this.#urls.length;
      const base = this.#urls[index] as string;
      try {
        const response = await this.#send(op, path, this.#url(base, op, path, params), { method });
        if (index !== this.#active) {
          this.#log?.info({ namenode: base, previous: this.activeUrl }, "Switched to another NameNode");
          this.#active = index;
        }
        return await read(response);
      } catch (error) {
        if (!(error instanceof WebHdfsError) || (error.kind !== "standby" && error.kind !== "unreachable")) throw error;
        this.#log?.debug({ namenode: base, kind: error.kind, op }, "NameNode unavailable, trying the next");
        last = error;
      }
    }
    if (this.#urls.length > 1 && last) {
      throw new WebHdfsError(
        last.kind,
        `Cannot ${op} "${path}": no active NameNode among ${this.#urls.join(", ")}: ${last.message}`,
        { op, path, status: last.status, remote: last.remote, cause: last },
      );
    }
    throw last as WebHdfsError;
  }

  /** One HTTP request; a non-2xx answer (redirects aside) becomes a {@linkcode WebHdfsError}. */
  async #send(op: string, path: string, url: string, init: RequestInit): Promise<Response> {
    const endpoint = new URL(url).origin;
    const context = { op, path, user: this.user, endpoint };
    let response: Response;
    try {
      response = await this.#fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      const reason = new Error(this.#redact(describeFetchError(error)));
      reason.name = error instanceof Error ? error.name : "Error";
      throw unreachableError(reason, context);
    }
    if (response.ok || (response.status >= 300 && response.status < 400)) return response;
    const body = await response.text().catch(() => "");
    throw errorFromResponse(response.status, this.#redact(body), context);
  }

  #url(base: string, op: string, path: string, params: Params): string {
    const query = new URLSearchParams({ op });
    if (this.#token) query.set("delegation", this.#token);
    else if (this.#user) query.set("user.name", this.#user);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined) query.set(key, String(value));
    }
    return `${base}/webhdfs/v1${encodePath(path)}?${query}`;
  }

  #redact(text: string): string {
    if (!this.#token) return text;
    return text.replaceAll(this.#token, "***").replaceAll(encodeURIComponent(this.#token), "***");
  }
}

/**
 * Normalizes a NameNode URL: `webhdfs://` becomes `http://`, `swebhdfs://` becomes `https://`, and a trailing
 * `/` or `/webhdfs/v1` is dropped. Throws a TypeError for anything but an http(s) URL with a host.
 */
export function normalizeNameNodeUrl(text: string): string {
  const trimmed = text.trim().replace(/^webhdfs:\/\//i, "http://").replace(/^swebhdfs:\/\//i, "https://");
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TypeError(`Cannot use NameNode URL "${text}": not a URL (expected e.g. http://namenode:9870)`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.host) {
    throw new TypeError(`Cannot use NameNode URL "${text}": expected http:// or https:// with a host`);
  }
  if (url.search || url.hash) {
    throw new TypeError(`Cannot use NameNode URL "${text}": no query or fragment allowed`);
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/webhdfs\/v1$/i, "");
  return `${url.origin}${path}`;
}

/** Percent-encodes each segment of an absolute HDFS path (so `+`, `%`, spaces and `=` survive). */
export function encodePath(path: string): string {
  if (!path.startsWith("/")) throw new TypeError(`Cannot use HDFS path "${path}": it must be absolute`);
  return path.split("/").map(encodeURIComponent).join("/");
}

/** A stream of views of `data`, `chunkSize` bytes each: the upload reads the caller's buffer, never a copy. */
export function chunkedStream(data: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) {
        controller.close();
        return;
      }
      const end = Math.min(offset + chunkSize, data.length);
      controller.enqueue(data.subarray(offset, end));
      offset = end;
    },
  });
}

/** The DataNode URL of a CREATE or OPEN step one: a redirect's Location, or `{"Location"}` with noredirect. */
async function readLocation(response: Response, op: string, path: string): Promise<string> {
  const header = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && header) {
    await response.body?.cancel();
    return header;
  }
  const text = await response.text();
  try {
    const location = JSON.parse(text)?.Location;
    if (typeof location === "string") return location;
  } catch {
    // fall through to the error below
  }
  throw new WebHdfsError(
    "other",
    `Cannot ${op} "${path}": the NameNode answered ${response.status} without a DataNode location`,
    {
      op,
      path,
      status: response.status,
    },
  );
}

async function readBoolean(response: Response): Promise<boolean> {
  const body = await response.json();
  return body?.boolean === true;
}

/** RENAME with options answers an empty body on success; without, `{"boolean": ...}`. */
async function readBooleanOrEmpty(response: Response): Promise<boolean> {
  const text = (await response.text()).trim();
  if (text === "") return true;
  return JSON.parse(text)?.boolean === true;
}

function toStatus(raw: Record<string, unknown>): FileStatus {
  return {
    pathSuffix: String(raw?.pathSuffix ?? ""),
    type: (raw?.type as FileStatus["type"]) ?? "FILE",
    length: Number(raw?.length ?? 0),
    modificationTime: Number(raw?.modificationTime ?? 0),
    owner: String(raw?.owner ?? ""),
    permission: String(raw?.permission ?? ""),
    replication: Number(raw?.replication ?? 0),
    blockSize: Number(raw?.blockSize ?? 0),
  };
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "request timed out";
  // Deno's message repeats the whole URL; the cause's tail ("tcp connect error: Connection refused") is the news.
  const cause = error.cause instanceof Error
    ? error.cause.message.replace(/^error sending request for url \([^)]*\): /, "")
    : "";
  return cause || error.message;
}
