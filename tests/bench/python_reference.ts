/**
 * The Python program the Kafka bench runs beside the CLI with `--python` (`python_reference.py`: librdkafka through
 * confluent-kafka, Polars writing the Parquet files), and the venv it runs in, under
 * `${FSDS_CACHE_DIR:-$HOME/.cache/fs-data-sink}/pyenv-bench`, installed from PyPI on first use with pinned versions
 * (a stamp file skips the install when they match). Kept apart from the test readers' venv, so that `deno task test`
 * never installs Polars.
 * @module
 */
import { cacheDir, ensureVenv, run } from "../helpers/venv.ts";
import { lastJsonLine, measureProcess } from "../helpers/bench.ts";

/** Pinned packages of the reference program. */
export const BENCH_PACKAGES = ["polars==2.1.0", "confluent-kafka==2.16.1", "msgpack==1.2.4"] as const;

const SCRIPT = new URL("./python_reference.py", import.meta.url).pathname;

/** Makes sure the bench venv holds the pinned packages; returns its Python interpreter. */
export async function benchPython(log: (line: string) => void = console.error): Promise<string> {
  const venv = await ensureVenv({
    dir: `${cacheDir()}/pyenv-bench`,
    wanted: JSON.stringify(BENCH_PACKAGES),
    log: (line) => log(`bench: ${line}`),
    install: async (python) => {
      log(`bench: installing ${BENCH_PACKAGES.join(" ")}`);
      const installed = await run(python, ["-m", "pip", "install", "--quiet", ...BENCH_PACKAGES]);
      if (!installed.ok) throw new Error(`Cannot install the bench's Python packages: ${installed.output.trim()}`);
      return true;
    },
  });
  return venv.python;
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
