/**
 * Measurement code shared by the source benchmarks (`tests/bench/kafka_bench.ts`, `tests/bench/redis_bench.ts`):
 * running a child Deno process while sampling its peak RSS, running the real CLI one-shot into a local Parquet
 * folder and counting the rows back, and printing one measurement as a line.
 * @module
 */
import { decodeParquet } from "../../src/parquet/writer.ts";
import { V8_FLAGS } from "../../.github/scripts/compile_plan.ts";

/** The CLI's entry, for benchmarks that run it. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** One measured run. `megabytesPerSecond` is given where the payload size is known. */
export interface Measure {
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly megabytesPerSecond?: number;
  readonly peakRssMiB: number;
}

/** A child process run: its wall time, its peak RSS, its stdout and (when captured) its stderr. */
export interface ProcessRun {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `args` with this Deno (or `command`), sampling the child's peak RSS (VmHWM) until it exits; throws unless it
 * exits 0. `captureStderr`: keep the child's stderr (its logs) instead of passing it through.
 */
export async function measureProcess(
  args: string[],
  options: { captureStderr?: boolean; command?: string } = {},
): Promise<ProcessRun> {
  const started = performance.now();
  const stderr = options.captureStderr ? "piped" : "inherit";
  const child = new Deno.Command(options.command ?? Deno.execPath(), { args, stdout: "piped", stderr }).spawn();
  let peakKiB = 0;
  const sampler = setInterval(async () => {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
    } catch { /* exited */ }
  }, 50);
  const out = await child.output();
  clearInterval(sampler);
  const errors = options.captureStderr ? new TextDecoder().decode(out.stderr) : "";
  if (!out.success) {
    throw new Error(`Cannot run ${args.slice(0, 4).join(" ")}: exit code ${out.code}\n${errors.slice(-4000)}`);
  }
  return {
    seconds: (performance.now() - started) / 1000,
    peakRssMiB: peakKiB / 1024,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: errors,
  };
}

/** The last line of a child's stdout, parsed as JSON (child modes print their result last). */
export function lastJsonLine<T>(run: ProcessRun): T {
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as T;
}

/** Counts the rows of every Parquet data file below `dir` (the journal folder aside). */
export async function countParquetRows(dir: string): Promise<number> {
  let rows = 0;
  async function walk(path: string) {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.name.endsWith(".parquet") && !full.includes("/_fsds/")) {
        rows += decodeParquet(await Deno.readFile(full)).numRows;
      }
    }
  }
  await walk(dir);
  return rows;
}

/**
 * Runs the real CLI one-shot with the configuration `config(out)` builds for the local folder `out`, measuring its
 * time and peak RSS, and counts the rows written.
 */
export async function measureCliRun(
  tempPrefix: string,
  config: (out: string) => Record<string, unknown>,
): Promise<{ records: number; seconds: number; peakRssMiB: number }> {
  const dir = await Deno.makeTempDir({ prefix: tempPrefix });
  try {
    await Deno.writeTextFile(`${dir}/config.yaml`, JSON.stringify(config(`${dir}/out`)));
    const run = await measureProcess([
      "run",
      "--allow-all",
      `--v8-flags=${V8_FLAGS}`,
      MAIN,
      "run",
      "--config",
      `${dir}/config.yaml`,
    ]);
    const records = await countParquetRows(`${dir}/out`);
    return { records, seconds: run.seconds, peakRssMiB: run.peakRssMiB };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The nested `data` object of the benchmarks' quote records (the same bytes for every benchmark). */
export function quoteData(i: number): Record<string, unknown> {
  return { symbol: ["AAPL", "MSFT", "NVDA", "AMZN"][i % 4], bid: 100 + (i % 1000) / 100, ask: 100.5, volume: i % 9973 };
}

/** One measurement as a line: label, records, seconds, records/s, MB/s where known, peak RSS. */
export function showMeasure(label: string, m: Measure, labelWidth = 36): string {
  const mbps = m.megabytesPerSecond === undefined ? "" : `${m.megabytesPerSecond.toFixed(1).padStart(6)} MB/s  `;
  return `${label.padEnd(labelWidth)} ${String(m.records).padStart(9)} records  ${
    m.seconds.toFixed(1).padStart(6)
  } s  ` +
    `${Math.round(m.recordsPerSecond).toString().padStart(8)} records/s  ${mbps}peak RSS ${
      m.peakRssMiB.toFixed(0)
    } MiB`;
}
