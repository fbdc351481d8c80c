/**
 * The Python program the Kafka bench runs beside the CLI with `--python` (`python_reference.py`: librdkafka through
 * confluent-kafka, Polars writing the Parquet files), and the venv it runs in, under
 * `${FSDS_CACHE_DIR:-$HOME/.cache/fs-data-sink}/pyenv-bench`, installed from PyPI on first use with pinned versions
 * (a stamp file skips the install when they match). Kept apart from the test readers' venv, so that `deno task test`
 * never installs Polars.
 * @module
 */
import { cacheDir, exists, run, withLock } from "../readers/install.ts";
import { lastJsonLine, measureProcess } from "../helpers/bench.ts";

/** Pinned packages of the reference program. */
export const BENCH_PACKAGES = ["polars==2.1.0", "confluent-kafka==2.16.1", "msgpack==1.2.4"] as const;

const SCRIPT = new URL("./python_reference.py", import.meta.url).pathname;

/** Makes sure the bench venv holds the pinned packages; returns its Python interpreter. */
export async function benchPython(log: (line: string) => void = console.error): Promise<string> {
  const dir = `${cacheDir()}/pyenv-bench`;
  const python = `${dir}/bin/python`;
  const stamp = `${dir}/.fsds-bench-stamp`;
  const wanted = JSON.stringify(BENCH_PACKAGES);
  const done = async () => await exists(python) && (await Deno.readTextFile(stamp).catch(() => "")) === wanted;
  if (await done()) return python;
  await Deno.mkdir(cacheDir(), { recursive: true });
  await withLock(`${dir}.lock`, async () => {
    if (await done()) return;
    if (!(await exists(python))) {
      log(`bench: creating Python venv in ${dir}`);
      const venv = await run("python3", ["-m", "venv", dir]);
      if (!venv.ok) throw new Error(`Cannot create the bench venv "${dir}": ${venv.output.trim()}`);
    }
    log(`bench: installing ${BENCH_PACKAGES.join(" ")}`);
    const installed = await run(python, ["-m", "pip", "install", "--quiet", ...BENCH_PACKAGES]);
    if (!installed.ok) throw new Error(`Cannot install the bench's Python packages: ${installed.output.trim()}`);
    await Deno.writeTextFile(stamp, wanted);
  });
  return python;
}

/** One run of the reference program into `out`: its wall time from start to exit, its peak RSS and its count. */
export async function runPythonReference(
  python: string,
  options: {
    readonly brokers: string;
    readonly topic: string;
    readonly group: string;
    readonly out: string;
    readonly format: "json" | "msgpack";
    readonly batchSize: number;
  },
): Promise<{ seconds: number; peakRssMiB: number; count: number }> {
  const args = [SCRIPT, "--brokers", options.brokers, "--topic", options.topic, "--group", options.group];
  args.push("--out", options.out, "--format", options.format, "--batch-size", String(options.batchSize));
  const result = await measureProcess(args, { command: python });
  const { count } = lastJsonLine<{ count: number }>(result);
  return { seconds: result.seconds, peakRssMiB: result.peakRssMiB, count };
}
