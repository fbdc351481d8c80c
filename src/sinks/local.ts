/**
 * Local filesystem sink: each file is written to a hidden temporary name in its target folder
 * (`../_common/temp_files.ts`), fsynced, renamed into place and the folder fsynced, so a reader never sees a
 * half-written file and a crash leaves at most a temporary file. The connect probe goes where the pipeline's layout
 * says (`SinkContext.paths`). A failed write deletes its temporary file (or `close()` does, if that failed too);
 * `connect()` removes those of crashed runs by the rule of `./_common/temp_files.ts` (a dead writer on this host at
 * once, a live one's past {@linkcode LOCAL_TEMP_GRACE_MS}, another host's past an hour: a shared mount) and probes
 * older than five minutes.
 * @module
 */
import { resolve } from "node:path";
import { z } from "zod";
import type { CheckResult } from "../core/check.ts";
import {
  commonSinkFields,
  commonSinkIssues,
  reportIssues,
  type SinkCheckContext,
  type SinkContext,
  type SinkPlugin,
} from "../core/plugin.ts";
import type { OwnPaths, Sink, SinkEntry, SinkUpload } from "../core/sink.ts";
import type { Logger } from "../core/logger.ts";
import { FolderSyncs } from "./_common/folder_syncs.ts";
import { classifyTemp, isTempName, STALE_PROBE_MS, TEMP_SUFFIX, tempPathBeside } from "./_common/temp_files.ts";

const TYPE = "local";
/** How long a live writer on this host may keep a local temporary file: a write is one local copy and fsync. */
export const LOCAL_TEMP_GRACE_MS = 10 * 60 * 1000;

/** Schema of `sink` when `type: local`. `base_path` is the original project's name of `path`. */
export const localSinkSchema = z.object({
  type: z.literal(TYPE),
  ...commonSinkFields,
  path: z.string().min(1).optional().describe("Output root folder (created if missing)"),
  base_path: z.string().min(1).optional().describe("Alias of path (older configs)"),
  fsync: z.boolean().default(true).describe("fsync files and folders before a file counts as durable"),
}).strict().refine((c) => c.path !== undefined || c.base_path !== undefined, {
  message: "`path` is required (the output root folder)",
  path: ["path"],
}).superRefine(reportIssues(commonSinkIssues));

/** The validated local sink section. */
export type LocalSinkConfig = z.infer<typeof localSinkSchema>;

/** The `local` sink plugin. */
export const localSinkPlugin: SinkPlugin<LocalSinkConfig> = {
  type: TYPE,
  summary: "Parquet files in a local folder (temp file, fsync, rename)",
  schema: localSinkSchema,
  env: [{ env: "LOCAL_PATH", key: "path", kind: "string" }],
  secrets: [],
  create: (config: LocalSinkConfig, context: SinkContext) =>
    Promise.resolve(
      new LocalSink(config.path ?? config.base_path ?? ".", {
        fsync: config.fsync,
        log: context.log,
        paths: context.paths,
      }),
    ),
  check: (config: LocalSinkConfig, context: SinkCheckContext) => checkLocalSink(config, context),
};

/**
 * `fs-data-sink check` for the local sink: the output folder is a folder (or may be created), and a probe file at
 * the layout's probe path goes through the write path of every file (temporary name, rename, then delete). Unlike
 * `connect()` it cleans nothing up.
 */
export async function checkLocalSink(config: LocalSinkConfig, context: SinkCheckContext): Promise<CheckResult[]> {
  const root = (config.path ?? config.base_path ?? ".").replace(/\/+$/, "") || "/";
  const name = `local folder "${root}"`;
  const existed = await Deno.stat(root).then((info) => info.isDirectory ? "a folder" : "not a folder", () => "");
  if (existed === "not a folder") {
    return [{ kind: "misconfigured", name, cause: `"${root}" is not a folder`, hint: "set sink.path to a folder" }];
  }
  const probe = `${root}/${context.paths.probePath()}`;
  const temp = tempPathBeside(probe);
  try {
    await Deno.mkdir(folderOf(probe), { recursive: true });
    await Deno.writeFile(temp, new TextEncoder().encode("fs-data-sink check probe\n"), { createNew: true });
    await Deno.rename(temp, probe);
    await Deno.remove(probe);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    await Deno.remove(probe).catch(() => {});
    const cause = `Cannot write a probe file under "${root}": ${(error as Error).message}`;
    if (
      error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotADirectory ||
      error instanceof Deno.errors.NotFound
    ) {
      return [{ kind: "misconfigured", name, cause, hint: "check sink.path and the folder's permissions" }];
    }
    return [{ kind: "failed", name, cause }];
  }
  const detail = `${existed ? "exists" : "created"}; wrote, renamed and deleted ${probe}`;
  return [{ kind: "ok", name, detail }];
}

/** Folders a {@linkcode LocalSink} remembers as existing at most (a day of hourly folders for 400 streams). */
const KNOWN_FOLDERS = 10_000;

/** Options of {@linkcode LocalSink}. */
export interface LocalSinkOptions {
  /** The tool's own paths (the pipeline's layout): where the connect probe goes. */
  readonly paths: OwnPaths;
  /** fsync files and their folders before `write` resolves. Default true. */
  readonly fsync?: boolean;
  /** Logger of the cleanup at connect. Default none. */
  readonly log?: Logger;
}

/** A {@linkcode Sink} over a local folder. */
export class LocalSink implements Sink {
  readonly #root: string;
  readonly #fsync: boolean;
  readonly #log?: Logger;
  readonly #paths: OwnPaths;
  /** Temporary files of failed writes that could not be deleted at once: `close()` tries again. */
  readonly #orphans = new Set<string>();
  /**
   * Folders this sink made or found: a write there skips `mkdir` (one file system call of eight per file), and makes
   * the folder again if it was removed since. Forgotten past {@linkcode KNOWN_FOLDERS} entries.
   */
  readonly #folders = new Set<string>();
  /** Folder fsyncs shared by the files renamed into the same folder at once (a batch's files, concurrent batches). */
  readonly #folderSyncs = new FolderSyncs(syncFolder);

  constructor(root: string, options: LocalSinkOptions) {
    this.#root = root.replace(/\/+$/, "") || "/";
    this.#fsync = options.fsync ?? true;
    this.#log = options.log;
    this.#paths = options.paths;
  }

  async connect(): Promise<void> {
    try {
      await Deno.mkdir(this.#root, { recursive: true });
      const probe = this.#resolve(this.#paths.probePath());
      await Deno.mkdir(folderOf(probe), { recursive: true });
      await Deno.writeFile(probe, new Uint8Array());
      await Deno.remove(probe);
    } catch (error) {
      throw new Error(`Cannot write to local sink folder "${this.#root}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    const removed = await this.#removeStaleTemps(this.#root);
    if (removed > 0) this.#log?.info({ removed, root: this.#root }, "Removed temporary files left by a crashed run");
    const probes = await this.#removeStaleProbes();
    if (probes > 0) this.#log?.info({ removed: probes, root: this.#root }, "Removed probes left by a crashed run");
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const target = this.#resolve(path);
    const folder = folderOf(target);
    const temp = tempPathBeside(target);
    try {
      const file = await this.#createTemp(folder, temp);
      try {
        let offset = 0;
        while (offset < data.length) offset += await file.write(data.subarray(offset));
        if (this.#fsync) await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temp, target);
      if (this.#fsync) await this.#folderSyncs.sync(folder);
    } catch (error) {
      await Deno.remove(temp).catch((removeError) => {
        if (!(removeError instanceof Deno.errors.NotFound)) this.#orphans.add(temp);
      });
      throw new Error(`Cannot write local file "${target}": ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * A streamed write: chunks are appended to the temporary file as they come (no buffering here); `commit()` fsyncs,
   * renames and fsyncs the folder as `write` does. Appends keep the temporary file's mtime fresh, so a live stream
   * outlives {@linkcode LOCAL_TEMP_GRACE_MS} in the eyes of another instance's cleanup as long as bytes keep coming.
   */
  async open(path: string): Promise<SinkUpload> {
    const target = this.#resolve(path);
    const folder = folderOf(target);
    const temp = tempPathBeside(target);
    let file: Deno.FsFile;
    try {
      file = await this.#createTemp(folder, temp);
    } catch (error) {
      throw new Error(`Cannot write local file "${target}": ${(error as Error).message}`, { cause: error });
    }
    return new LocalUpload(path, file, {
      temp,
      target,
      fsync: this.#fsync,
      syncFolder: (folder) => this.#folderSyncs.sync(folder),
      orphan: (name) => this.#orphans.add(name),
    });
  }

  /** Creates the temporary file `temp` in `folder`, making the folder first unless this sink knows it exists. */
  async #createTemp(folder: string, temp: string): Promise<Deno.FsFile> {
    if (!this.#folders.has(folder)) await this.#makeFolder(folder);
    try {
      return await Deno.open(temp, { write: true, createNew: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await this.#makeFolder(folder); // removed since this sink made it
      return await Deno.open(temp, { write: true, createNew: true });
    }
  }

  async #makeFolder(folder: string): Promise<void> {
    await Deno.mkdir(folder, { recursive: true });
    if (this.#folders.size >= KNOWN_FOLDERS) this.#folders.clear();
    this.#folders.add(folder);
  }

  /**
   * Like `write`, but the temporary file is hard-linked to the target (`link` fails when the target exists, where
   * `rename` would replace it), then removed: exactly one of concurrent writers of a path wins.
   */
  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const target = this.#resolve(path);
    const folder = folderOf(target);
    await Deno.mkdir(folder, { recursive: true });
    const temp = tempPathBeside(target);
    try {
      await Deno.writeFile(temp, data, { createNew: true });
      if (this.#fsync) await syncFile(temp);
      try {
        await Deno.link(temp, target);
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) return false;
        throw error;
      }
      if (this.#fsync) await this.#folderSyncs.sync(folder);
      return true;
    } catch (error) {
      throw new Error(`Cannot create local file "${target}": ${(error as Error).message}`, { cause: error });
    } finally {
      await Deno.remove(temp).catch((removeError) => {
        if (!(removeError instanceof Deno.errors.NotFound)) this.#orphans.add(temp);
      });
    }
  }

  /** `file://` and the absolute path. */
  uri(path: string): string {
    return `file://${resolve(this.#resolve(path))}`;
  }

  async read(path: string): Promise<Uint8Array | null> {
    try {
      return await Deno.readFile(this.#resolve(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<SinkEntry[]> {
    const start = this.#resolve(prefix.replace(/\/+$/, ""));
    const entries: SinkEntry[] = [];
    const walk = async (folder: string): Promise<void> => {
      let items: AsyncIterable<Deno.DirEntry>;
      try {
        items = Deno.readDir(folder);
        for await (const item of items) {
          const full = `${folder}/${item.name}`;
          if (item.isDirectory) await walk(full);
          else if (item.isFile && !item.name.endsWith(TEMP_SUFFIX)) {
            const info = await statIfPresent(full); // another writer may delete or replace it meanwhile
            if (info) entries.push({ path: full.slice(this.#root.length + 1), size: info.size });
          }
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) throw error;
      }
    };
    await walk(start);
    return entries.sort((a, b) => a.path.localeCompare(b.path));
  }

  async delete(path: string): Promise<void> {
    await Deno.remove(this.#resolve(path)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  describe(path: string): string {
    return this.#resolve(path);
  }

  /** Deletes temporary files of failed writes that could not be deleted then; the next `connect()` gets the rest. */
  async close(): Promise<void> {
    for (const temp of [...this.#orphans]) {
      try {
        await Deno.remove(temp);
        this.#orphans.delete(temp);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) this.#orphans.delete(temp);
      }
    }
    if (this.#orphans.size > 0) {
      this.#log?.warn({ paths: [...this.#orphans] }, "Cannot delete temporary files of failed writes");
    }
  }

  #resolve(path: string): string {
    const clean = path.replace(/^\/+/, "");
    if (clean.split("/").some((part) => part === "..")) {
      throw new RangeError(`Cannot use path "${path}": it leaves the sink root`);
    }
    return clean ? `${this.#root}/${clean}` : this.#root;
  }

  /**
   * Removes the temporary files {@linkcode classifyTemp} calls stale under `folder`. Other instances write beside
   * this one, so a listed file (or folder) may be renamed away before it is looked at: that one is simply gone.
   */
  async #removeStaleTemps(folder: string): Promise<number> {
    let removed = 0;
    try {
      for await (const item of Deno.readDir(folder)) {
        const full = `${folder}/${item.name}`;
        if (item.isDirectory) removed += await this.#removeStaleTemps(full);
        else if (item.isFile && isTempName(item.name)) {
          const info = await statIfPresent(full);
          if (info === null) continue;
          const verdict = classifyTemp(item.name, info.mtime?.getTime() ?? 0, { graceMs: LOCAL_TEMP_GRACE_MS });
          if (verdict.kind === "stale") {
            await Deno.remove(full).catch(() => {});
            removed++;
          }
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return removed;
  }

  /** Deletes probes older than a few minutes (a live run deletes its own at once); returns how many. */
  async #removeStaleProbes(): Promise<number> {
    const folder = this.#resolve(this.#paths.probeFolder.replace(/\/+$/, ""));
    const cutoff = Date.now() - STALE_PROBE_MS;
    let removed = 0;
    try {
      for await (const item of Deno.readDir(folder)) {
        if (!item.isFile) continue;
        const full = `${folder}/${item.name}`;
        const info = await statIfPresent(full);
        if (info === null || (info.mtime?.getTime() ?? 0) >= cutoff) continue;
        await Deno.remove(full).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
        removed++;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        this.#log?.warn({ root: this.#root, error: (error as Error).message }, "Cannot remove leftover probes");
      }
    }
    return removed;
  }
}

/** Where a {@linkcode LocalUpload} writes and how it reports a temporary file it could not delete. */
interface LocalUploadPlace {
  readonly temp: string;
  readonly target: string;
  readonly fsync: boolean;
  readonly syncFolder: (folder: string) => Promise<void>;
  readonly orphan: (temp: string) => void;
}

/** The {@linkcode SinkUpload} of {@linkcode LocalSink.open}: appends to an open temporary file. */
class LocalUpload implements SinkUpload {
  readonly path: string;
  readonly #place: LocalUploadPlace;
  #file: Deno.FsFile | null;
  #size = 0;
  #state: "open" | "committed" | "aborted" = "open";

  constructor(path: string, file: Deno.FsFile, place: LocalUploadPlace) {
    this.path = path;
    this.#file = file;
    this.#place = place;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const file = this.#open("write");
    try {
      let offset = 0;
      while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
      this.#size += chunk.length;
    } catch (error) {
      throw await this.#failed(error);
    }
  }

  async commit(): Promise<SinkEntry> {
    const file = this.#open("commit");
    const { temp, target } = this.#place;
    try {
      if (this.#place.fsync) await file.sync();
      this.#close();
      await Deno.rename(temp, target);
      if (this.#place.fsync) await this.#place.syncFolder(folderOf(target));
    } catch (error) {
      throw await this.#failed(error);
    }
    this.#state = "committed";
    return { path: this.path, size: this.#size };
  }

  async abort(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    this.#close();
    await Deno.remove(this.#place.temp).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) this.#place.orphan(this.#place.temp);
    });
  }

  #open(action: string): Deno.FsFile {
    if (this.#state !== "open" || this.#file === null) {
      throw new Error(`Cannot ${action} local file "${this.#place.target}": the upload is ${this.#state}`);
    }
    return this.#file;
  }

  #close(): void {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = null;
  }

  async #failed(error: unknown): Promise<Error> {
    await this.abort();
    return new Error(`Cannot write local file "${this.#place.target}": ${(error as Error).message}`, { cause: error });
  }
}

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}

async function syncFolder(folder: string): Promise<void> {
  try {
    const dir = await Deno.open(folder, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // Some platforms (Windows) cannot open folders; the rename is still atomic there.
  }
}

/** `Deno.stat`, or null when the file is gone (deleted or renamed by another writer after it was listed). */
async function statIfPresent(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
