/**
 * The floors of `src/` (README, "Architecture"), checked by reading every module's relative imports: each folder
 * imports only from floors below it, never from another folder of its own floor nor from above; no module takes part
 * in an import circle; every multi-file plugin is a folder with `mod.ts` and `config.ts`.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const SRC = join(ROOT, "src");

/** Floor of each top-level entry of `src/`, lowest first; `main.ts` sits above them all. */
const FLOORS: Record<string, number> = {
  core: 0,
  codec: 1,
  parquet: 1,
  partition: 1,
  telemetry: 1,
  config: 2,
  arrow: 2,
  sources: 2,
  sinks: 2,
  table: 2,
  pipeline: 3,
  cli: 4,
  "plugins.ts": 5,
};
const MAIN_FLOOR = 6;

const IMPORT = /(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

async function modules(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await modules(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

/** Relative imports of every module of `src/` and `main.ts`, resolved to absolute paths. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of [...await modules(SRC), join(ROOT, "main.ts")]) {
    const text = await Deno.readTextFile(file);
    const targets = [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1] ?? m[2]!));
    graph.set(file, targets.filter((t) => t.endsWith(".ts")));
  }
  return graph;
}

/** The folder (or top-level file) of `src/` a module belongs to, and its floor. */
function placeOf(file: string): { place: string; floor: number } {
  const rel = relative(SRC, file);
  if (rel.startsWith("..")) return { place: relative(ROOT, file), floor: MAIN_FLOOR };
  const place = rel.split("/")[0]!;
  const floor = FLOORS[place];
  assert(floor !== undefined, `src/${place} has no floor: add it to FLOORS and to the README's architecture section`);
  return { place, floor };
}

const graph = await importGraph();

Deno.test("every import of src/ runs down the floors, never across or up", () => {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    const from = placeOf(file);
    for (const target of targets) {
      if (!target.startsWith(SRC + "/")) continue; // deno.json and the like
      const to = placeOf(target);
      if (to.place === from.place) continue;
      if (to.floor >= from.floor) wrong.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
    }
  }
  assertEquals(wrong, []);
});

Deno.test("src/core/ imports nothing from the other folders of src/", () => {
  const outside = [...graph].filter(([file]) => file.startsWith(join(SRC, "core") + "/"))
    .flatMap(([file, targets]) =>
      targets.filter((t) => !t.startsWith(join(SRC, "core") + "/")).map((t) => `${relative(ROOT, file)} -> ${t}`)
    );
  assertEquals(outside, []);
});

Deno.test("no module of src/ takes part in an import circle", () => {
  const state = new Map<string, "open" | "done">();
  const circles: string[] = [];
  const visit = (file: string, trail: string[]): void => {
    state.set(file, "open");
    for (const target of graph.get(file) ?? []) {
      const seen = state.get(target);
      if (seen === "open") {
        circles.push([...trail.slice(trail.indexOf(target)), target].map((f) => relative(ROOT, f)).join(" -> "));
      } else if (seen === undefined && graph.has(target)) {
        visit(target, [...trail, target]);
      }
    }
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
  assertEquals(circles, []);
});

Deno.test("every multi-file plugin is a folder with mod.ts and config.ts; plugins at the top are one file", async () => {
  for (const kind of ["sources", "sinks"]) {
    for await (const entry of Deno.readDir(join(SRC, kind))) {
      if (entry.isDirectory && !entry.name.startsWith("_")) {
        for (const file of ["mod.ts", "config.ts"]) {
          const path = join(SRC, kind, entry.name, file);
          assert(await Deno.stat(path).then(() => true, () => false), `${relative(ROOT, path)} is missing`);
        }
      } else if (entry.isFile) {
        assert(
          entry.name.endsWith("_test.ts") || !entry.name.includes("_"),
          `src/${kind}/${entry.name}: a plugin with more than one file lives in its own folder`,
        );
      }
    }
  }
});

/** Bare (package) imports of every module of `src/`, by file. */
async function packageImports(): Promise<Map<string, string[]>> {
  const bare = /(?:import|export)\s[^;]*?from\s*["']([^."'][^"']*)["']|import\(\s*["']([^."'][^"']*)["']\s*\)/g;
  const out = new Map<string, string[]>();
  for (const file of await modules(SRC)) {
    const text = await Deno.readTextFile(file);
    out.set(relative(ROOT, file), [...text.matchAll(bare)].map((m) => m[1] ?? m[2]!));
  }
  return out;
}

Deno.test("architecture: no module imports a library's private files, and the Kafka client has one owner", async () => {
  const imports = await packageImports();
  const privateFiles: string[] = [];
  const kafkaClients: string[] = [];
  for (const [file, specifiers] of imports) {
    for (const specifier of specifiers) {
      if (/^(npm:)?(@[^/]+\/)?[^/@]+(@[^/]+)?\/(src|lib|dist|internal)\//.test(specifier)) {
        privateFiles.push(`${file}: ${specifier}`);
      }
      if (specifier === "kafkajs" || specifier.startsWith("kafkajs/") || specifier.startsWith("@platformatic/kafka")) {
        kafkaClients.push(`${file}: ${specifier}`);
      }
    }
  }
  assertEquals(privateFiles, [], "imports of a package's private files");
  assertEquals(kafkaClients, ["src/sources/kafka/client.ts: @platformatic/kafka"], "the Kafka client is loaded once");
});
