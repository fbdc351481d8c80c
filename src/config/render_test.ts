import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { parse } from "yaml";
import "./test_plugins.ts";
import { loadConfig } from "./load.ts";
import { renderConfig } from "./render.ts";

Deno.test("renderConfig() prints valid YAML with secrets masked and each value's origin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds_render_" });
  const file = `${dir}/c.yaml`;
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  await Deno.writeTextFile(
    file,
    `source:
  type: test-src
  topics: [orders, "a: b"]
  api_key: key-1234567
  sasl:
    mechanism: plain
    username: alice
    password: \${SASL_PW}
  brokers: ["redis://bob:hunter2@127.0.0.1:6379"]
  label: "two\\nlines"
sink:
  type: test-sink
  bucket: lake
  access_key: AKIA-ACCESS
telemetry:
  otlp_endpoint: http://127.0.0.1:4318
`,
  );
  const loaded = await loadConfig({
    file,
    env: { SASL_PW: "s3cr3t-pw", BATCH_SIZE: "42", TEST_API_KEY: "env-key-999" },
    flags: [{ path: ["pipeline", "max_batches"], value: "3", text: true, flag: "--max-batches" }],
  });
  const text = renderConfig(loaded);
  for (const secret of ["key-1234567", "env-key-999", "s3cr3t-pw", "alice", "hunter2", "AKIA-ACCESS"]) {
    assert(!text.includes(secret), `secret ${secret} printed:\n${text}`);
  }
  const lines = text.split("\n");
  const has = (line: string) => assert(lines.includes(line), `missing line ${JSON.stringify(line)} in:\n${text}`);
  has(`  type: test-src  # ${file}:2`);
  has(`  topics: [ orders, "a: b" ]  # ${file}:3`);
  has(`  api_key: "***"  # env TEST_API_KEY`);
  has(`    password: "***"  # ${file}:8`);
  has(`    username: "***"  # ${file}:7`);
  has(`  brokers: [ redis://bob:***@127.0.0.1:6379 ]  # ${file}:9`);
  has(`  batch_size: 42  # env BATCH_SIZE`);
  has(`  access_key: "***"  # ${file}:14`);
  has(`  max_batches: 3  # flag --max-batches`);
  has(`  compression: snappy  # default`);
  has(`  label: "two\\nlines"  # ${file}:10`);

  const reparsed = parse(text);
  assertEquals(reparsed.source.batch_size, 42);
  assertEquals(reparsed.source.topics, ["orders", "a: b"]);
  assertEquals(reparsed.pipeline.flatten.separator, "_");
  assertEquals(reparsed.sink.bucket, "lake");
});
