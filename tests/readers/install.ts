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
import { cacheDir, ensureVenv, run } from "../helpers/venv.ts";

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

/** The venv folder the readers live in. */
export function venvDir(): string {
  return `${cacheDir()}/pyenv`;
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
  const venv = await ensureVenv({
    dir: venvDir(),
    wanted: JSON.stringify([...REQUIRED_PACKAGES, ...OPTIONAL_PACKAGES]),
    log,
    install: async (python) => {
      log(`installing ${REQUIRED_PACKAGES.join(" ")}`);
      const required = await run(python, ["-m", "pip", "install", "--quiet", ...REQUIRED_PACKAGES]);
      if (!required.ok) throw new Error(`Cannot install the test readers: ${required.output.trim()}`);
      for (const name of OPTIONAL_PACKAGES) {
        log(`installing ${name} (optional)`);
        const optional = await run(python, ["-m", "pip", "install", "--quiet", name]);
        if (!optional.ok) log(`${name} not installed, its reads unavailable: ${optional.output.trim().slice(-300)}`);
      }
      // Stamped also when an optional package failed, so that it is not retried on every run.
      return await checkAvailable(python);
    },
  });
  return { python: venv.python, available: venv.value, installed: venv.installed, seconds: elapsed(started) };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) / 100) / 10;
}

if (import.meta.main) {
  const result = await installReaders({ log: (line) => console.error(`readers: ${line}`) });
  console.log(JSON.stringify(result));
}
