import assert from "node:assert/strict";
import "../src/plugins.ts";
import { configReference } from "../src/cli/config_reference.ts";
import { expectedReadme } from "./docs.ts";

Deno.test("README configuration reference is generated from the current schemas (run deno task docs)", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const expected = await expectedReadme(readme);
  assert.ok(readme === expected, "README.md is out of date: run `deno task docs`");
});

Deno.test("configuration reference lists every section and key with env vars", () => {
  const text = configReference();
  for (const heading of ["source.type: kafka", "source.type: redis", "source.type: file", "sink.type: s3"]) {
    assert.ok(text.includes(`#### ${heading}`), heading);
  }
  assert.match(text, /\| `bootstrap_servers` \|.*`KAFKA_BOOTSTRAP_SERVERS`/);
  assert.match(text, /\| `error_handling` \|.*`ERROR_HANDLING`/);
  assert.match(text, /\| `flatten\.hoist_key` \|/);
});
