/**
 * The contract every sink implements. A sink is a dumb, atomic blob store: it knows nothing about Arrow or
 * Parquet. Paths are relative to the sink's root (bucket prefix, base path, folder), use `/` and are already
 * escaped by the partitioner.
 * @module
 */

/**
 * What a sink is told of the paths the tool writes (the pipeline's output layout), so that it can probe and clean up
 * its own leftovers without knowing the layout.
 */
export interface OwnPaths {
  /** Whether the tool wrote `path` (a data file, dead letter, journal entry or probe), relative to the sink root. */
  isOwnPath(path: string): boolean;
  /** A fresh path for a connect probe, written and deleted at once. */
  probePath(): string;
  /**
   * The folder every {@linkcode probePath} lies in (relative to the sink root, ending in `/`): a sink removes what a
   * run that died mid-probe left there.
   */
  readonly probeFolder: string;
}

/** A file found by {@linkcode Sink.list}. */
export interface SinkEntry {
  /** Path relative to the sink root. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
}

/**
 * A file being written piece by piece ({@linkcode Sink.open}): nothing of it is visible under its path until
 * {@linkcode commit} resolves, and {@linkcode abort} leaves no trace. One writer at a time: await each call before the
 * next.
 */
export interface SinkUpload {
  /** Path relative to the sink root. */
  readonly path: string;
  /**
   * Appends `chunk`. A sink may hold up to a part or two (its part size) before sending, so the promise may resolve
   * before the bytes leave the process, but it copies what it keeps: once the promise resolves the caller may reuse or
   * release `chunk`.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Makes the whole file visible under its path at once (overwriting an existing file) and resolves once it is
   * durable, with its size. Nothing else may be called afterwards. On failure the upload is aborted (no trace).
   */
  commit(): Promise<SinkEntry>;
  /** Drops everything written (temporary files, multipart parts); safe to call more than once and after a failure. */
  abort(): Promise<void>;
}

/** A blob store that Parquet files, dead letters and checkpoint journals are written to. */
export interface Sink {
  /** Checks that the destination is reachable and writable (bucket exists, credentials work) before any read. */
  connect(): Promise<void>;
  /**
   * Writes `data` at `path` atomically: a reader sees either nothing or the whole file under `path`, never a part.
   * Overwrites an existing file. Resolves only once the file is durable. Safe to repeat.
   */
  write(path: string, data: Uint8Array): Promise<void>;
  /**
   * Starts a streamed write of `path`: the file is written as it comes and appears atomically on
   * {@linkcode SinkUpload.commit}, so a large file need never be held whole in memory. Optional: without it, callers
   * buffer the file and call {@linkcode write}. Errors name the path as {@linkcode describe} does.
   */
  open?(path: string): Promise<SinkUpload>;
  /**
   * Writes `data` at `path` only if nothing is there yet, atomically: resolves true when this call created the file,
   * false when a file already was at `path` (left untouched). Two concurrent calls for one path: exactly one wins.
   * Optional; table formats (Iceberg) commit through it, and refuse sinks without it.
   */
  writeIfAbsent?(path: string, data: Uint8Array): Promise<boolean>;
  /**
   * The URI other tools address a path by (`file:///abs/path`, `s3://bucket/prefix/path`, `hdfs://host/path`), for
   * table metadata that names files absolutely. Optional: without it, `describe` is used.
   */
  uri?(path: string): string;
  /** Reads a whole file; resolves `null` when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** Lists the files below a folder (recursively), e.g. `_fsds/journal/`. Missing folder: empty list. */
  list(prefix: string): Promise<SinkEntry[]>;
  /**
   * Size of one file, or null when it does not exist. Optional: without it, callers list the file's folder.
   * Sinks whose folders can hold very many files should implement it (one HEAD / GETFILESTATUS).
   */
  stat?(path: string): Promise<SinkEntry | null>;
  /** Deletes a file; a missing file is not an error. */
  delete(path: string): Promise<void>;
  /** Full location of a path for logs and errors, e.g. `s3://bucket/prefix/path`. Never contains secrets. */
  describe(path: string): string;
  /** Releases connections. */
  close(): Promise<void>;
}
