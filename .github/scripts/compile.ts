/**
 * `deno task compile [target...] [--out dist]`: builds the `fs-data-sink` binary for each release target with
 * `deno compile`, embeds the commit id, and writes `SHA256SUMS`. Targets: linux-x86_64, linux-aarch64,
 * macos-x86_64, macos-aarch64, windows-x86_64 (all by default). `deno compile` downloads the runtime of each
 * target the first time, so this needs internet access (CI and release runners have it).
 * @module
 */
import { parseArgs } from "node:util";
import { binaryName, buildInfoSource, checksums, compileArgs, selectTargets } from "./compile_plan.ts";

const root = new URL("../..", import.meta.url).pathname;
const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { out: { type: "string", default: "dist" } },
  allowPositionals: true,
});
const targets = selectTargets(positionals);
const outDir = values.out!.startsWith("/") ? values.out! : `${root}${values.out}`;
await Deno.mkdir(outDir, { recursive: true });

const git = await new Deno.Command("git", { args: ["rev-parse", "--short=12", "HEAD"], cwd: root }).output();
const commit = new TextDecoder().decode(git.stdout).trim();
const buildInfo = `${root}src/cli/build_info.ts`;
const original = await Deno.readTextFile(buildInfo);
if (commit) await Deno.writeTextFile(buildInfo, buildInfoSource(commit));
try {
  for (const target of targets) {
    console.error(`compile: ${target.triple} -> ${outDir}/${binaryName(target)}`);
    const status = await new Deno.Command(Deno.execPath(), { args: compileArgs(target, outDir), cwd: root }).spawn()
      .status;
    if (!status.success) throw new Error(`Cannot compile for "${target.triple}": deno compile exited ${status.code}`);
  }
} finally {
  await Deno.writeTextFile(buildInfo, original);
}

const files = new Map<string, Uint8Array>();
for (const target of targets) files.set(binaryName(target), await Deno.readFile(`${outDir}/${binaryName(target)}`));
await Deno.writeTextFile(`${outDir}/SHA256SUMS`, await checksums(files));
console.error(`compile: wrote ${files.size} binaries and SHA256SUMS to ${outDir}`);
