import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { classifyTemp, isProcessAlive, isTempName, SELF, tempOwner, tempPathBeside } from "./temp_files.ts";

const HOUR = 60 * 60 * 1000;
const NOW = 1_800_000_000_000;
const OTHER_HOST = { host: SELF.host === "00000000" ? "11111111" : "00000000", pid: 42, start: NOW - HOUR };

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

Deno.test("tempPathBeside() names its writer and isTempName() knows old and new names", () => {
  const path = tempPathBeside("/base/t/date=2024-01-01/t+0001.parquet");
  assert(path.startsWith("/base/t/date=2024-01-01/.t+0001.parquet."), path);
  assert(isTempName(nameOf(path)), path);
  assertEquals(tempOwner(nameOf(path)), SELF);
  assert(isTempName(".t+0001.parquet.0a1b2c3d4e5f.fsds-tmp"), "names of earlier versions");
  equal(tempOwner(".t+0001.parquet.0a1b2c3d4e5f.fsds-tmp"), undefined);
  for (const foreign of [".spark-staging.tmp", "t+0001.parquet", ".x.fsds-tmp", ".x.zz-1-a-0a1b2c3d.fsds-tmp"]) {
    assert(!isTempName(foreign), foreign);
  }
});

Deno.test("classifyTemp() removes a dead writer's file on this host at any age and keeps a live one's", () => {
  const dead = nameOf(tempPathBeside("/b/x.json", { host: SELF.host, pid: 7, start: NOW - HOUR }));
  const options = { graceMs: 60_000, now: NOW };
  assertEquals(classifyTemp(dead, NOW, { ...options, isAlive: () => false }), { kind: "stale", reason: "dead_writer" });
  assertEquals(classifyTemp(dead, NOW - 1000, { ...options, isAlive: () => true }), { kind: "live" });
  assertEquals(classifyTemp(dead, NOW - 1000, { ...options, isAlive: () => undefined }), { kind: "live" });
  assertEquals(classifyTemp(dead, NOW - 61_000, { ...options, isAlive: () => true }), {
    kind: "stale",
    reason: "past_grace",
  });
});

Deno.test("classifyTemp() keeps this process's files and takes an earlier process of the same pid for dead", () => {
  const mine = nameOf(tempPathBeside("/b/x.json"));
  equal(classifyTemp(mine, 0, { graceMs: 1, now: NOW }).kind, "live");
  const reused = nameOf(tempPathBeside("/b/x.json", { ...SELF, start: SELF.start - HOUR }));
  assertEquals(classifyTemp(reused, NOW, { graceMs: HOUR, now: NOW }), { kind: "stale", reason: "dead_writer" });
});

Deno.test("classifyTemp() gives another host's and unnamed writers' files the hour", () => {
  const foreign = nameOf(tempPathBeside("/b/x.json", OTHER_HOST));
  const options = { graceMs: 1, now: NOW, isAlive: () => false };
  equal(classifyTemp(foreign, NOW - HOUR + 1000, options).kind, "live");
  assertEquals(classifyTemp(foreign, NOW - HOUR - 1000, options), { kind: "stale", reason: "past_stale_age" });
  equal(classifyTemp(".x.json.0a1b2c3d4e5f.fsds-tmp", NOW - 1000, options).kind, "live");
  equal(classifyTemp(".x.json.0a1b2c3d4e5f.fsds-tmp", NOW - 2 * HOUR, options).kind, "stale");
});

Deno.test("isProcessAlive() sees this process and not one that exited", async () => {
  if (isProcessAlive(Deno.pid) === undefined) return; // no /proc here
  equal(isProcessAlive(Deno.pid), true);
  const child = new Deno.Command("true").spawn();
  await child.status;
  equal(isProcessAlive(child.pid), false);
});
