/**
 * {@linkcode HdfsSink}, the {@linkcode Sink} of the `hdfs` plugin (described in `mod.ts`), and
 * {@linkcode createHdfsSink}, which builds it and its {@linkcode WebHdfsClient} from a validated section. Each file is
 * created under a hidden temporary name in its target folder (`.<name>.<random>.fsds-tmp`, see
 * `../_common/temp_files.ts`), then renamed into place with overwrite semantics. The connect probe goes where the
 * pipeline's layout says ({@linkcode OwnPaths.probePath}).
 *
 * No temporary file outlives a run that ends well: a failed write deletes its temporary file at once (or, with
 * HDFS unreachable, at the next write that succeeds or at `close()`), and `connect()` removes those of crashed runs
 * by the rule of `../_common/temp_files.ts` (a dead writer on this host at once, a live one's past a grace of
 * `2 × timeout_ms × (max_retries + 1)`, another host's past an hour) and probes older than five minutes.
 * @module
 */
import type { Logger } from "../../core/logger.ts";
import type { OwnPaths, Sink, SinkEntry, SinkUpload } from "../../core/sink.ts";
import { classifyTemp, isTempName, STALE_PROBE_MS, STALE_TEMP_MS, tempPathBeside } from "../_common/temp_files.ts";
import type { Config } from "./config.ts";
import { type FileStatus, WebHdfsClient } from "./webhdfs_client.ts";
import { WebHdfsError } from "./webhdfs_errors.ts";
import { HdfsStreamUpload } from "./upload.ts";

/** Folders listed at once while walking a tree. */
const LIST_CONCURRENCY = 4;
/** Part size of a streamed file without a configured `block_size`; a configured one is used up to the cap. */
const STREAM_PART_BYTES = 32 * 1024 * 1024;
const STREAM_PART_CAP_BYTES = 128 * 1024 * 1024;

/** Options of {@linkcode createHdfsSink}: the ones a section does not give. */
export type CreateHdfsSinkOptions = Pick<HdfsSinkOptions, "paths" | "log">;

/** Builds the sink of a validated section; no I/O until `connect()`. */
export function createHdfsSink(config: Config, options: CreateHdfsSinkOptions): HdfsSink {
  const client = new WebHdfsClient({
    urls: config.url,
    user: config.user,
    delegationToken: config.delegation_token,
    timeoutMs: config.timeout_ms,
    maxRetries: config.max_retries,
    log: options.log,
  });
  return new HdfsSink(client, config.base_path, {
    replication: config.replication,
    permission: config.permission,
    blockSize: config.block_size,
    cleanupTempFiles: config.cleanup_temp_files,
    rpcPort: config.rpc_port,
    graceMs: tempGraceMs(config.timeout_ms, config.max_retries),
    log: options.log,
    paths: options.paths,
  });
}

/**
 * How long a live writer may keep a temporary file: twice the longest a CREATE then a RENAME can take with every
 * retry (each request is bounded by `timeoutMs`).
 */
export function tempGraceMs(timeoutMs: number, maxRetries: number): number {
  return 2 * timeoutMs * (maxRetries + 1);
}

/** Options of {@linkcode HdfsSink}. */
export interface HdfsSinkOptions {
  /** The tool's own paths (the pipeline's layout): where the connect probe goes. */
  readonly paths: OwnPaths;
  /** Replication factor of written files; cluster default when absent. */
  readonly replication?: number;
  /** Octal permission of written files; cluster default when absent. */
  readonly permission?: string;
  /** Block size of written files; cluster default when absent. */
  readonly blockSize?: number;
  /** Remove stale temporary files on `connect()`. Default true. */
  readonly cleanupTempFiles?: boolean;
  /** NameNode RPC port in {@linkcode HdfsSink.uri}. Default 8020. */
  readonly rpcPort?: number;
  /** Age in ms after which a temporary file of another host is stale. Default one hour. */
  readonly staleTempMs?: number;
  /** Age in ms after which a temporary file of a running writer on this host is stale. Default 12 minutes. */
  readonly graceMs?: number;
  /** Logger of the client's retries and failovers and of the cleanups. Default none. */
  readonly log?: Logger;
  /**
   * Part size of a streamed file ({@linkcode HdfsSink.open}): each part becomes a block (or blocks) of its own. Default
   * `blockSize` up to 128 MiB, else 32 MiB.
   */
  readonly streamPartBytes?: number;
}

/** A {@linkcode Sink} over HDFS through WebHDFS. Paths are relative to `basePath`. */
export class HdfsSink implements Sink {
  readonly #client: WebHdfsClient;
  readonly #base: string;
  readonly #options: HdfsSinkOptions;
  readonly #log?: Logger;
  /** Temporary files of failed writes whose delete failed too: deleted once HDFS answers again. */
  readonly #orphans = new Set<string>();

  constructor(client: WebHdfsClient, basePath: string, options: HdfsSinkOptions) {
    this.#client = client;
    this.#base = basePath.replace(/\/+$/, "") || "/";
    this.#options = options;
    this.#log = options.log;
  }

  /** Creates `base_path`, proves it writable with a probe file, then removes stale temporary files and probes. */
  async connect(): Promise<void> {
    await this.#client.mkdirs(this.#base);
    // CREATE makes the probe's missing parent folders, as it does for every file written.
    const probe = this.#resolve(this.#options.paths.probePath());
    await this.#client.create(probe, new Uint8Array(), { overwrite: true });
    await this.#client.delete(probe);
    if (this.#options.cleanupTempFiles ?? true) {
      const removed = await this.removeStaleTempFiles();
      if (removed > 0) {
        this.#log?.info({ removed, base_path: this.#base }, "Removed temporary files left by a crashed run");
      }
    }
    const probes = await this.#removeStaleProbes();
    if (probes > 0) this.#log?.info({ removed: probes, base_path: this.#base }, "Removed probes left by a crashed run");
  }

  /** How every file is CREATEd (always at a temporary name, so overwriting is safe). */
  #createOptions() {
    const { replication, permission, blockSize } = this.#options;
    return { overwrite: true, replication, permission, blockSize };
  }

  /** CREATE at a temporary name beside the target, then RENAME over the target. Safe to repeat. */
  async write(path: string, data: Uint8Array): Promise<void> {
    const target = this.#resolve(path);
    const temp = tempPathBeside(target);
    try {
      await this.#client.create(temp, data, this.#createOptions());
      await this.#renameIntoPlace(temp, target, data.length);
      if (this.#orphans.size > 0) await this.#removeOrphans();
    } catch (error) {
      // The temporary file may exist (CREATE went through, RENAME did not): delete it now, or once HDFS answers.
      this.#orphans.add(temp);
      // With HDFS unreachable, a delete would only wait out its retries; a later write or close() deletes it.
      if (!(error instanceof WebHdfsError && error.kind === "unreachable")) await this.#removeOrphans();
      throw this.#targetError(error, target);
    }
  }

  /** The error of a failed write, naming the file the caller asked for (the temporary name would puzzle a reader). */
  #targetError(error: unknown, target: string): unknown {
    if (!(error instanceof WebHdfsError)) return error;
    return new WebHdfsError(error.kind, `Cannot write "${target}": ${error.message}`, {
      op: error.op,
      path: target,
      status: error.status,
      remote: error.remote,
      cause: error,
    });
  }

  /**
   * A streamed write (`./upload.ts`): parts CREATEd beside the target and CONCATenated onto the first as they fill,
   * RENAMEd over the target on commit; no APPEND. Errors name the target as `write` does.
   */
  // deno-lint-ignore require-await
  async open(path: string): Promise<SinkUpload> {
    const target = this.#resolve(path);
    const options = this.#options;
    const blockSize = options.blockSize !== undefined ? Math.min(options.blockSize, STREAM_PART_CAP_BYTES) : undefined;
    return new HdfsStreamUpload(path, target, {
      client: this.#client,
      create: this.#createOptions(),
      partSize: options.streamPartBytes ?? blockSize ?? STREAM_PART_BYTES,
      renameIntoPlace: (temp, to, size) => this.#renameIntoPlace(temp, to, size),
      orphan: (temp) => this.#orphans.add(temp),
      wrap: (error) => this.#targetError(error, target),
      touchEveryMs: (options.graceMs ?? tempGraceMs(60_000, 5)) / 4,
    });
  }

  /**
   * CREATE at a temporary name beside the target, then RENAME without overwrite, which HDFS refuses when the target
   * exists: exactly one of concurrent writers wins. A refused (or retried) RENAME is a win only if the target holds
   * these very bytes (a retry whose first try went through).
   */
  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const target = this.#resolve(path);
    const temp = tempPathBeside(target);
    try {
      await this.#client.create(temp, data, this.#createOptions());
      let renamed: boolean;
      try {
        renamed = await this.#client.rename(temp, target);
      } catch (error) {
        if (!(error instanceof WebHdfsError && error.kind === "not_found")) throw error;
        renamed = false;
      }
      if (renamed) return true;
      const there = await this.#client.open(target);
      await this.#client.delete(temp).catch(() => this.#orphans.add(temp));
      return there !== null && there.length === data.length && there.every((b, i) => b === data[i]);
    } catch (error) {
      this.#orphans.add(temp);
      if (!(error instanceof WebHdfsError && error.kind === "unreachable")) await this.#removeOrphans();
      throw error;
    }
  }

  /** `hdfs://<namenode host>:<rpc_port><base_path>/<path>`: how Iceberg readers (Hadoop clients) address files. */
  uri(path: string): string {
    const host = new URL(this.#client.activeUrl).hostname;
    return `hdfs://${host}:${this.#options.rpcPort ?? 8020}${this.#resolve(path)}`.replace(/\/+$/, "");
  }

  async read(path: string): Promise<Uint8Array | null> {
    return await this.#client.open(this.#resolve(path));
  }

  /** Temporary files of failed writes not deleted yet (HDFS did not answer): `close()` tries them once more. */
  get pendingTempFiles(): number {
    return this.#orphans.size;
  }

  /** Files below a folder, recursively, sorted by path; temporary files are never listed. */
  async list(prefix: string): Promise<SinkEntry[]> {
    const start = this.#resolve(prefix.replace(/\/+$/, ""));
    const files = await this.#walk(start);
    return files.filter((f) => !isTempName(basename(f.path)))
      .map((f) => ({ path: f.path.slice(this.#base === "/" ? 1 : this.#base.length + 1), size: f.length }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(path: string): Promise<void> {
    await this.#client.delete(this.#resolve(path));
  }

  /** `webhdfs://<namenode host:port><base_path>/<path>`: usable with `hdfs dfs`, and never holds a token. */
  describe(path: string): string {
    const host = new URL(this.#client.activeUrl).host;
    return `webhdfs://${host}${this.#resolve(path)}`;
  }

  /** Deletes temporary files of failed writes; whatever HDFS still refuses, the next `connect()` removes. */
  async close(): Promise<void> {
    if (this.#orphans.size === 0) return;
    await this.#removeOrphans();
    if (this.#orphans.size > 0) {
      this.#log?.warn(
        { paths: [...this.#orphans], base_path: this.#base },
        "Cannot delete temporary files of failed writes; the next start removes them",
      );
    }
  }

  /**
   * Deletes the temporary files under `base_path` that crashed runs left, by the rule of `../_common/temp_files.ts`
   * (never those of a live writer); returns how many.
   */
  async removeStaleTempFiles(): Promise<number> {
    const options = {
      graceMs: this.#options.graceMs ?? tempGraceMs(60_000, 5),
      staleMs: this.#options.staleTempMs ?? STALE_TEMP_MS,
    };
    const stale = (await this.#walk(this.#base)).filter((f) => {
      const name = basename(f.path);
      return isTempName(name) && classifyTemp(name, f.modificationTime, options).kind === "stale";
    });
    for (const file of stale) await this.#client.delete(file.path);
    return stale.length;
  }

  /** Deletes probes older than a few minutes (a live run deletes its own at once); best effort, returns how many. */
  async #removeStaleProbes(): Promise<number> {
    const cutoff = Date.now() - STALE_PROBE_MS;
    let removed = 0;
    try {
      const folder = this.#resolve(this.#options.paths.probeFolder.replace(/\/+$/, ""));
      for (const entry of await this.#client.listStatus(folder) ?? []) {
        if (entry.type !== "FILE" || entry.pathSuffix === "" || entry.modificationTime >= cutoff) continue;
        if (await this.#client.delete(joinPath(folder, entry.pathSuffix))) removed++;
      }
    } catch (error) {
      this.#log?.warn({ base_path: this.#base, error: (error as Error).message }, "Cannot remove leftover probes");
    }
    return removed;
  }

  /** Deletes the known temporary files of failed writes, each with the client's retries; keeps those it cannot. */
  async #removeOrphans(): Promise<void> {
    for (const temp of [...this.#orphans]) {
      try {
        await this.#client.delete(temp);
        this.#orphans.delete(temp);
      } catch (error) {
        this.#log?.debug({ path: temp, error: (error as Error).message }, "Cannot delete a temporary file yet");
        if (error instanceof WebHdfsError && error.kind === "unreachable") return;
      }
    }
  }

  async #renameIntoPlace(temp: string, target: string, size: number): Promise<void> {
    let renamed: boolean;
    try {
      renamed = await this.#client.rename(temp, target, { overwrite: true });
    } catch (error) {
      // A retried RENAME whose first try went through finds its source gone: fine if the target is ours.
      if (error instanceof WebHdfsError && error.kind === "not_found") {
        const status = await this.#client.getFileStatus(target);
        if (status?.type === "FILE" && status.length === size) return;
      }
      throw error;
    }
    if (renamed) return;
    // A NameNode that ignores `renameoptions` refuses to replace the target: delete it, then rename again.
    await this.#client.delete(target);
    if (!await this.#client.rename(temp, target)) {
      throw new WebHdfsError("other", `Cannot RENAME "${temp}" to "${target}": HDFS refused the rename`, {
        op: "RENAME",
        path: temp,
      });
    }
  }

  /** Every file below `folder` with its absolute path; a missing folder gives none. */
  async #walk(folder: string): Promise<Array<FileStatus & { path: string }>> {
    const files: Array<FileStatus & { path: string }> = [];
    let pending = [folder];
    while (pending.length > 0) {
      const next: string[] = [];
      for (let i = 0; i < pending.length; i += LIST_CONCURRENCY) {
        const batch = pending.slice(i, i + LIST_CONCURRENCY);
        const listings = await Promise.all(batch.map((dir) => this.#client.listStatus(dir)));
        listings.forEach((entries, index) => {
          const dir = batch[index] as string;
          for (const entry of entries ?? []) {
            // LISTSTATUS of a file answers the file itself with an empty suffix.
            const full = entry.pathSuffix === "" ? dir : joinPath(dir, entry.pathSuffix);
            if (entry.type === "DIRECTORY") next.push(full);
            else if (entry.type === "FILE") files.push({ ...entry, path: full });
          }
        });
      }
      pending = next;
    }
    return files;
  }

  #resolve(path: string): string {
    const clean = path.replace(/^\/+/, "");
    if (clean.split("/").some((part) => part === ".." || part === ".")) {
      throw new RangeError(`Cannot use path "${path}": it leaves the sink root`);
    }
    return clean ? joinPath(this.#base, clean) : this.#base;
  }
}

function joinPath(folder: string, name: string): string {
  return folder === "/" ? `/${name}` : `${folder}/${name}`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
