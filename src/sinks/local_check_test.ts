import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { Logger } from "../telemetry/log.ts";
import { testPaths } from "./_common/test_paths.ts";
import { checkLocalSink, localSinkSchema } from "./local.ts";

const context = { log: new Logger("test"), timeoutMs: 1000, paths: testPaths() };

Deno.test("checkLocalSink() creates a missing folder, and leaves only the empty probe folder behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds_local_check_" });
  try {
    const results = await checkLocalSink(localSinkSchema.parse({ type: "local", path: `${dir}/out` }), context);
    assertEquals(results.map((r) => r.kind), ["ok"]);
    assert(results[0]!.kind === "ok" && results[0]!.detail.startsWith("created; wrote, renamed and deleted "));
    assertEquals(await Array.fromAsync(Deno.readDir(`${dir}/out/probe`)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkLocalSink() names a path that is a file as a configuration fault", async () => {
  const file = await Deno.makeTempFile({ prefix: "fsds_local_check_" });
  try {
    const results = await checkLocalSink(localSinkSchema.parse({ type: "local", path: file }), context);
    assertEquals(results.map((r) => r.kind), ["misconfigured"]);
  } finally {
    await Deno.remove(file);
  }
});
