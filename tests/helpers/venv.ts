/**
 * Python virtual environments the tests and benches install on first use under the project's cache folder
 * (`${FSDS_CACHE_DIR:-$HOME/.cache/fs-data-sink}`): created with `python3 -m venv`, filled by the caller, and marked
 * with a stamp file that records what was wanted, so that a matching stamp skips everything. Concurrent callers
 * (parallel test files) serialise on the kit's file lock beside the venv (released when its holder dies).
 * @module
 */
import { cacheDir, exists, withLock } from "../services/_common.ts";

export { cacheDir };

/** Runs a command to its end, with its stdout and stderr joined. */
export async function run(command: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  const result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const decoder = new TextDecoder();
  return { ok: result.success, output: decoder.decode(result.stdout) + decoder.decode(result.stderr) };
}

/** What {@linkcode ensureVenv} found or did. */
export interface Venv<T> {
  /** The venv's Python interpreter. */
  readonly python: string;
  /** What the install step returned, now or when the stamp was written. */
  readonly value: T;
  /** Whether this call installed anything (false when the stamp matched). */
  readonly installed: boolean;
}

/**
 * Makes sure the venv `dir` exists and holds `wanted` (any text naming what is installed, such as the pinned
 * requirements): when its stamp names something else, creates the venv if missing, runs `install` with its Python
 * interpreter and stamps the venv with `wanted` and what `install` returned.
 */
export async function ensureVenv<T>(options: {
  readonly dir: string;
  readonly wanted: string;
  readonly install: (python: string) => Promise<T>;
  readonly log: (line: string) => void;
}): Promise<Venv<T>> {
  const { dir, wanted } = options;
  const python = `${dir}/bin/python`;
  const stampPath = `${dir}/.fsds-stamp`;
  const readStamp = async (): Promise<{ value: T } | null> => {
    if (!(await exists(python))) return null;
    const stamp = JSON.parse(await Deno.readTextFile(stampPath).catch(() => "{}"));
    return stamp.wanted === wanted ? { value: stamp.value } : null;
  };
  const known = await readStamp();
  if (known) return { python, value: known.value, installed: false };
  return await withLock(`${dir}.flock`, async () => {
    const finished = await readStamp(); // another process may have finished while we waited
    if (finished) return { python, value: finished.value, installed: false };
    if (!(await exists(python))) {
      options.log(`creating Python venv in ${dir}`);
      const venv = await run("python3", ["-m", "venv", dir]);
      if (!venv.ok) throw new Error(`Cannot create the venv "${dir}": ${venv.output.trim()}`);
    }
    const value = await options.install(python);
    await Deno.writeTextFile(stampPath, JSON.stringify({ wanted, value }));
    return { python, value, installed: true };
  });
}
