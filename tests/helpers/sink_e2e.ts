/**
 * What the sink end-to-end scenarios (S3, HDFS) share: the read-back shape, and running the real CLI
 * (`main.ts run`) with a JSON (valid YAML) config file.
 * @module
 */
const ROOT = new URL("../..", import.meta.url).pathname;

/** A Parquet file read back from a sink: its path below the sink's base folder and its rows. */
export interface ReadBack {
  readonly path: string;
  readonly rows: Record<string, unknown>[];
}

/** Every data file of a run decoded, and every path (journals and dead letters included) below the base folder. */
export interface SinkContents {
  readonly files: ReadBack[];
  readonly paths: string[];
}

/** What the Kafka and Redis -> sink scenarios need to know about the sink under test. */
export interface SinkScenarioOptions {
  /** A short name of the sink (`s3`, `hdfs`) for topic, key, client and folder names. */
  readonly name: string;
  /** The `sink` section of the runs' configuration (with the partitioning the scenario expects). */
  readonly sink: Record<string, unknown>;
  /** Reads back what the runs wrote. */
  readonly read: () => Promise<SinkContents>;
}

/** Runs the real CLI with `config` written to a temporary file; returns its exit code and stderr + stdout. */
export async function runCliWithConfig(
  config: Record<string, unknown>,
  flags: string[] = [],
  options: { tempPrefix?: string; timeoutMs?: number } = {},
): Promise<{ code: number; log: string }> {
  const dir = await Deno.makeTempDir({ prefix: options.tempPrefix ?? "fsds-e2e-" });
  const file = `${dir}/config.yaml`;
  await Deno.writeTextFile(file, JSON.stringify(config, null, 2));
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "main.ts", "run", "--config", file, ...flags],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? 240_000),
    }).output();
    const log = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
    return { code: output.code, log };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The UTC day of a timestamp column value (the decoder infers ISO strings as timestamps: ms since epoch). */
export function isoDay(value: unknown): string {
  if (typeof value === "string") return value.slice(0, 10);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return new Date(Number(value)).toISOString().slice(0, 10);
}
