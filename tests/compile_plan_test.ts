import assert, { deepEqual as assertEquals } from "node:assert/strict";
import {
  ASSEMBLY_WORKER,
  binaryName,
  buildInfoSource,
  checksums,
  compileArgs,
  PERMISSIONS,
  selectTargets,
  TARGETS,
  V8_FLAGS,
} from "../.github/scripts/compile_plan.ts";

Deno.test("compile plan covers linux, macOS and Windows on both architectures", () => {
  assertEquals(TARGETS.map((t) => t.suffix), [
    "linux-x86_64",
    "linux-aarch64",
    "macos-x86_64",
    "macos-aarch64",
    "windows-x86_64",
  ]);
  assertEquals(binaryName(TARGETS[4]), "fs-data-sink-windows-x86_64.exe");
});

Deno.test("compile args spell out permissions instead of -A", () => {
  const args = compileArgs(TARGETS[0], "dist");
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
  for (const p of PERMISSIONS) assert.ok(args.includes(p));
  assertEquals(args.slice(-7), [
    "--target",
    "x86_64-unknown-linux-gnu",
    "--output",
    "dist/fs-data-sink-linux-x86_64",
    "--include",
    "src/pipeline/assembly/worker.ts",
    "main.ts",
  ]);
  // The worker module named there exists (the compiled binary would fail at the first batch without it).
  assert.ok(Deno.statSync(new URL(`../${ASSEMBLY_WORKER}`, import.meta.url)).isFile);
  assertEquals(args[args.length - 1], "main.ts");
});

Deno.test("selectTargets() takes suffixes or triples and rejects unknown names", () => {
  assertEquals(selectTargets(["macos-aarch64"]).map((t) => t.triple), ["aarch64-apple-darwin"]);
  assertEquals(selectTargets([]).length, 5);
  assert.throws(() => selectTargets(["solaris"]), /Cannot build target "solaris"/);
});

Deno.test("the embedded build info is valid TypeScript carrying the commit", async () => {
  const source = buildInfoSource("1a2b3c4d5e6f");
  const module = await import(`data:application/typescript;base64,${btoa(source)}`);
  assertEquals(module.BUILD_COMMIT, "1a2b3c4d5e6f");
  assert.throws(() => buildInfoSource('"; evil'), RangeError);
});

Deno.test("checksums() writes sha256sum-compatible lines", async () => {
  const text = await checksums(new Map([["b", new Uint8Array([1])], ["a", new TextEncoder().encode("abc")]]));
  assertEquals(
    text,
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n" +
      "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a  b\n",
  );
});

Deno.test("the binary, `deno task run` and the container build run with the same V8 flags and the worker module", async () => {
  assert.ok(compileArgs(TARGETS[0], "dist").includes(`--v8-flags=${V8_FLAGS}`));
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  assert.ok(tasks.run.includes(`--v8-flags=${V8_FLAGS} main.ts`), tasks.run);
  const dockerfile = await Deno.readTextFile(new URL("../Dockerfile", import.meta.url));
  const build = dockerfile.slice(
    dockerfile.indexOf("deno compile"),
    dockerfile.indexOf("main.ts", dockerfile.indexOf("deno compile")),
  );
  assert.ok(build.includes(`--v8-flags=${V8_FLAGS}`) && build.includes(`--include ${ASSEMBLY_WORKER}`), build);
  for (const p of PERMISSIONS) assert.ok(build.includes(p), `${p} in the Dockerfile's deno compile`);
});
