import assert, { deepEqual as assertEquals, throws } from "node:assert/strict";
import { BUILD_INFO_PATH, buildInfoSource, VERSION, versionText } from "./version.ts";

Deno.test("versionText() names the deno.json version; buildInfoSource() embeds a commit as a module", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assertEquals(VERSION, version);
  assert(versionText().startsWith(`fs-data-sink ${version}`));
  const dir = await Deno.makeTempDir({ prefix: "fsds_build_info_" });
  const file = `${dir}/build_info.ts`;
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  await Deno.writeTextFile(file, buildInfoSource("1a2b3c4d"));
  const module = await import(`file://${file}`);
  assertEquals(module.BUILD_COMMIT, "1a2b3c4d");
  assert(BUILD_INFO_PATH.endsWith("build_info.ts"));
  throws(() => buildInfoSource('"; Deno.exit(1); "'), RangeError);
});
