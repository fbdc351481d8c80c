/**
 * What `deno task compile` builds: targets, output names, the permissions the binary runs with, and the checksum
 * file. Pure functions, so they are tested without running `deno compile` (which downloads its runtime).
 * @module
 */

/** Release targets: `deno compile --target` triples and the name suffix of their binaries. */
export const TARGETS = [
  { triple: "x86_64-unknown-linux-gnu", suffix: "linux-x86_64" },
  { triple: "aarch64-unknown-linux-gnu", suffix: "linux-aarch64" },
  { triple: "x86_64-apple-darwin", suffix: "macos-x86_64" },
  { triple: "aarch64-apple-darwin", suffix: "macos-aarch64" },
  { triple: "x86_64-pc-windows-msvc", suffix: "windows-x86_64" },
] as const;

/** A release target. */
export type Target = typeof TARGETS[number];

/**
 * Permissions the binary runs with. Narrower than `-A`: no subprocesses, FFI or remote imports. Reads (config, file
 * source, local sink), writes (local sink, temp files), network (brokers, Redis, S3, WebHDFS, OTLP, health), env
 * (configuration) and sys (hostname for the default Redis consumer name and the Kafka client id).
 */
export const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-net", "--allow-env", "--allow-sys"] as const;

/** File name of a target's binary. */
export function binaryName(target: Target): string {
  return `fs-data-sink-${target.suffix}${target.triple.includes("windows") ? ".exe" : ""}`;
}

/** The entry of the pipeline's worker threads (`src/pipeline/assembly/workers.ts` starts it). */
export const ASSEMBLY_WORKER = "src/pipeline/assembly/worker.ts";

/**
 * V8 flags of every run (the binary, `deno task run`, the container, the benchmark's CLI runs). A JS heap limit under
 * 2 GiB makes V8 grow the heap by at most about 2x its live size between major collections instead of 4x (the factor
 * of heaps of 2 GiB and more; the default limit here is 4 GiB): on the 1M-record bench drain the heap peaked at ~190
 * instead of ~250 MB at the same rate. The pipeline's rows live in ArrayBuffers, outside this limit. Semi-spaces of
 * 8 MB instead of 16 keep the young generation at half its size: the same drain peaked at 268-282 instead of 318-323
 * MiB RSS at the same rate (4 MB cost 15% of it). `--heap-growing-percent=50` lets the old space grow by half its
 * live size before the next major collection (live is 55-70 MB on that drain, so collections stay short): 285-309 ->
 * 254-264 MiB (JSON) and 326-346 -> 305-320 MiB (MessagePack) in 3+3 runs of `deno task bench kafka`, rates within
 * the machine's noise.
 */
export const V8_FLAGS = "--max-old-space-size=2000,--max-semi-space-size=8,--heap-growing-percent=50";

/** Arguments of `deno compile` for one target. */
export function compileArgs(target: Target, outDir: string): string[] {
  return [
    "compile",
    ...PERMISSIONS,
    "--no-prompt",
    `--v8-flags=${V8_FLAGS}`,
    "--target",
    target.triple,
    "--output",
    `${outDir}/${binaryName(target)}`,
    // Worker threads load their module at run time, which `deno compile` does not follow on its own.
    "--include",
    ASSEMBLY_WORKER,
    "main.ts",
  ];
}

/** Selects targets by suffix or triple; all when `names` is empty. Unknown names are a RangeError. */
export function selectTargets(names: readonly string[]): Target[] {
  if (names.length === 0) return [...TARGETS];
  return names.map((name) => {
    const found = TARGETS.find((t) => t.suffix === name || t.triple === name);
    if (!found) {
      throw new RangeError(`Cannot build target "${name}": known are ${TARGETS.map((t) => t.suffix).join(", ")}`);
    }
    return found;
  });
}

/** The body of `build_info.ts` with a commit id embedded. */
export function buildInfoSource(commit: string): string {
  if (!/^[0-9a-f]{7,40}$/.test(commit)) throw new RangeError(`Cannot embed commit "${commit}": not a hex id`);
  return [
    "/** Build facts embedded at compile time by .github/scripts/compile.ts. @module */",
    "",
    "/** Commit id of the build. */",
    `export const BUILD_COMMIT: string = "${commit}";`,
    "",
  ].join("\n");
}

/** `SHA256SUMS` lines (`<hex>  <name>`) for files given as name -> bytes, sorted by name. */
export async function checksums(files: ReadonlyMap<string, Uint8Array>): Promise<string> {
  const lines: string[] = [];
  for (const name of [...files.keys()].sort()) {
    const digest = await crypto.subtle.digest("SHA-256", files.get(name)! as Uint8Array<ArrayBuffer>);
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    lines.push(`${hex}  ${name}`);
  }
  return lines.join("\n") + "\n";
}
