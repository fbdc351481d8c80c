/**
 * Runs the real `fs-data-sink` CLI (main.ts) in a child process for end-to-end tests, and reads back what a local
 * sink wrote.
 * @module
 */
import { stringify } from "yaml";
import { decodeParquet } from "../../src/parquet/writer.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** The outcome of one CLI run. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main.ts` with `args`; `config` is written to a temporary YAML file and passed with `--config`. */
export async function runCli(
  args: string[],
  options: { config?: unknown; stdin?: Uint8Array; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const extra: string[] = [];
  if (options.config !== undefined) {
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, stringify(options.config));
    extra.push("--config", file);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}main.ts`, ...args, ...extra],
    cwd: ROOT,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A Parquet file read back: its path relative to the root and its rows as plain objects. */
export interface ReadBackFile {
  readonly path: string;
  readonly rows: Record<string, unknown>[];
  readonly columns: Record<string, string>;
}

/** Reads every `.parquet` file under `root` (sorted by path) with our reader. */
export async function readParquetTree(root: string): Promise<ReadBackFile[]> {
  const files: ReadBackFile[] = [];
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(folder)) {
      const full = `${folder}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.name.endsWith(".parquet")) {
        const table = decodeParquet(await Deno.readFile(full));
        files.push({
          path: full.slice(root.length + 1),
          rows: table.toArray().map((r) => r.toJSON() as Record<string, unknown>),
          columns: Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)])),
        });
      }
    }
  };
  await walk(root);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
