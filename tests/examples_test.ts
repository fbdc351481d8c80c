import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { runCli } from "./helpers/cli.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("every example configuration in config/ validates with the real CLI", async () => {
  const names = [...Deno.readDirSync(`${ROOT}config`)]
    .filter((e) => e.isFile && /\.(ya?ml|ini)$/.test(e.name))
    .map((e) => e.name)
    .sort();
  assert.ok(names.length >= 5, `expected examples, found ${names.join(", ")}`);
  for (const name of names) {
    const run = await runCli(["validate", "--config", `${ROOT}config/${name}`]);
    assertEquals(run.code, 0, `${name}: ${run.stderr}`);
  }
});

Deno.test("the configuration inside the Kubernetes example validates", async () => {
  const docs = parseAllDocuments(await Deno.readTextFile(`${ROOT}config/deploy/kubernetes.yaml`));
  const configMap = docs.map((d) => d.toJS()).find((d) => d?.kind === "ConfigMap");
  const text = configMap?.data?.["config.yaml"];
  assert.ok(typeof text === "string", "ConfigMap with config.yaml");
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(file, text);
  const run = await runCli(["validate", "--config", file]);
  assertEquals(run.code, 0, run.stderr);
  assert.match(run.stdout, /health_port: 8080/);
});
