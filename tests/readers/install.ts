/**
 * Installs the independent Parquet readers the tests compare against (DuckDB, pyarrow, and ClickHouse embedded as
 * chdb) into a Python virtual environment under `${FSDS_CACHE_DIR:-$HOME/.cache/fs-data-sink}/pyenv`.
 *
 * Idempotent and cheap when done: a stamp file records the pinned requirements; a matching stamp skips everything.
 * Concurrent callers (parallel test files) serialise on a lock directory. chdb and pyiceberg are optional: if one
 * cannot be installed, its reads are reported unavailable and the rest still works.
 *
 * Run: `deno run -A tests/readers/install.ts` (prints what is available and how long it took).
 * @module
 */

/** Pinned requirements that every test run needs. */
export const REQUIRED_PACKAGES = ["duckdb==2.0.0", "pyarrow==26.0.1", "pytz==2025.2"] as const;
/**
 * Pinned optional requirements, each installed on its own: ClickHouse's engine, embedded, and pyiceberg (the Iceberg
 * table reader; without its `pyarrow` extra, whose bounds would pull another pyarrow than the pinned one).
 */
export const OPTIONAL_PACKAGES = ["chdb==4.4.0", "pyiceberg==0.12.0"] as const;

/** What {@linkcode installReaders} found or did. */
export interface ReadersInstallation {
  /** The venv's Python interpreter. */
  readonly python: string;
  /** Which readers can be imported. */
  readonly available: {
    readonly duckdb: boolean;
    readonly pyarrow: boolean;
    readonly clickhouse: boolean;
    readonly pyiceberg: boolean;
  };
  /** Whether this call installed anything (false when the stamp matched). */
  readonly installed: boolean;
  /** Seconds this call took. */
  readonly seconds: number;
}

/** The cache folder of the project (FSDS_CACHE_DIR, else ~/.cache/fs-data-sink). */
export function cacheDir(): string {
  const explicit = Deno.env.get("FSDS_CACHE_DIR");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME") ?? "/tmp";
  return `${home}/.cache/fs-data-sink`;
}

/** The venv folder the readers live in. */
export function venvDir(): string {
  return `${cacheDir()}/pyenv`;
}

/** Runs a command to its end, with its stdout and stderr joined. */
export async function run(command: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  const result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const decoder = new TextDecoder();
  return { ok: result.success, output: decoder.decode(result.stdout) + decoder.decode(result.stderr) };
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs `action` holding the lock directory `lockPath` (a lock older than 15 minutes is taken over). */
export async function withLock<T>(lockPath: string, action: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await Deno.mkdir(lockPath);
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const info = await Deno.stat(lockPath).catch(() => null);
      // A lock older than 15 minutes belongs to a killed installer.
      if (info?.mtime && Date.now() - info.mtime.getTime() > 15 * 60_000) {
        await Deno.remove(lockPath, { recursive: true }).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Cannot install the test readers: lock "${lockPath}" is held`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await action();
  } finally {
    await Deno.remove(lockPath, { recursive: true }).catch(() => {});
  }
}

async function checkAvailable(python: string): Promise<ReadersInstallation["available"]> {
  const script = new URL("./read.py", import.meta.url).pathname;
  const result = await run(python, [script, "check"]);
  if (!result.ok) return { duckdb: false, pyarrow: false, clickhouse: false, pyiceberg: false };
  return JSON.parse(result.output.trim().split("\n").at(-1) ?? "{}");
}

/**
 * Makes sure the venv exists with the pinned readers. Throws when Python or the required packages cannot be
 * installed (the optional chdb may fail quietly).
 */
export async function installReaders(options: { log?: (line: string) => void } = {}): Promise<ReadersInstallation> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const dir = venvDir();
  const python = `${dir}/bin/python`;
  const stampPath = `${dir}/.fsds-readers-stamp`;
  const wanted = JSON.stringify([...REQUIRED_PACKAGES, ...OPTIONAL_PACKAGES]);
  const readStamp = async (): Promise<ReadersInstallation["available"] | null> => {
    if (!(await exists(python))) return null;
    const stamp = JSON.parse(await Deno.readTextFile(stampPath).catch(() => "{}"));
    return stamp.wanted === wanted ? stamp.available : null;
  };
  const known = await readStamp();
  if (known) return { python, available: known, installed: false, seconds: elapsed(started) };
  await Deno.mkdir(cacheDir(), { recursive: true });
  const installed = await withLock(`${cacheDir()}/pyenv.lock`, async () => {
    if (await readStamp()) return false; // another process finished while we waited
    if (!(await exists(python))) {
      log(`creating Python venv in ${dir}`);
      const venv = await run("python3", ["-m", "venv", dir]);
      if (!venv.ok) throw new Error(`Cannot create the readers' venv "${dir}": ${venv.output.trim()}`);
    }
    log(`installing ${REQUIRED_PACKAGES.join(" ")}`);
    const required = await run(python, ["-m", "pip", "install", "--quiet", ...REQUIRED_PACKAGES]);
    if (!required.ok) throw new Error(`Cannot install the test readers: ${required.output.trim()}`);
    for (const name of OPTIONAL_PACKAGES) {
      log(`installing ${name} (optional)`);
      const optional = await run(python, ["-m", "pip", "install", "--quiet", name]);
      if (!optional.ok) log(`${name} not installed, its reads unavailable: ${optional.output.trim().slice(-300)}`);
    }
    // Written also when an optional package failed, so that it is not retried on every run.
    await Deno.writeTextFile(stampPath, JSON.stringify({ wanted, available: await checkAvailable(python) }));
    return true;
  });
  return { python, available: await checkAvailable(python), installed, seconds: elapsed(started) };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) / 100) / 10;
}

if (import.meta.main) {
  const result = await installReaders({ log: (line) => console.error(`readers: ${line}`) });
  console.log(JSON.stringify(result));
}
