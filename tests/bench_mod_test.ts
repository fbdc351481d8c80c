import { deepEqual as assertEquals } from "node:assert/strict";
import { benchFiles, splitArgs } from "./bench/mod.ts";

Deno.test("deno task bench: words before the first flag select files, the flags and their values go to each", async () => {
  assertEquals(splitArgs(["kafka", "--workers", "0,1,default", "--formats", "json"]), {
    filters: ["kafka"],
    passed: ["--workers", "0,1,default", "--formats", "json"],
  });
  assertEquals(splitArgs(["codec", "redis"]), { filters: ["codec", "redis"], passed: [] });
  assertEquals(splitArgs(["--skip-ceilings"]), { filters: [], passed: ["--skip-ceilings"] });
  const files = await benchFiles();
  assertEquals(files[0], "codec_bench.ts");
  assertEquals(files.includes("kafka_bench.ts") && !files.includes("mod.ts"), true);
});
