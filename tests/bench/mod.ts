/**
 * Entry of `deno task bench`: runs every benchmark file of this folder (`*.ts` except this one), each in its own
 * process so that one's memory and JIT state do not colour the next, codec first, then the rest by name.
 *
 * `deno task bench codec redis` runs only the files whose names contain one of the words; everything from the first
 * flag on goes to each file run (`deno task bench kafka --workers 0,1 --formats json`). A failing benchmark is
 * reported and the others still run; the exit code is 1 if any failed.
 * @module
 */

const FIRST = ["codec_bench.ts"];

/** Bench files of this folder, in run order. */
export async function benchFiles(): Promise<string[]> {
  const folder = new URL(".", import.meta.url);
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && entry.name.endsWith(".ts") && entry.name !== "mod.ts" && !entry.name.endsWith("_test.ts")) {
      names.push(entry.name);
    }
  }
  return names.sort((a, b) => {
    const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
}

/** The words that select files, and the flags (with their values) passed on to each. */
export function splitArgs(args: readonly string[]): { filters: string[]; passed: string[] } {
  const first = args.findIndex((arg) => arg.startsWith("-"));
  return first < 0 ? { filters: [...args], passed: [] } : { filters: args.slice(0, first), passed: args.slice(first) };
}

async function main(): Promise<number> {
  const { filters, passed } = splitArgs(Deno.args);
  const files = (await benchFiles()).filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)));
  const failed: string[] = [];
  for (const name of files) {
    console.log(`\n=== ${name} ===`);
    const path = new URL(`./${name}`, import.meta.url).pathname;
    const status = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", path, ...passed],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) failed.push(name);
  }
  if (failed.length > 0) console.error(`\nbenchmarks failed: ${failed.join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
