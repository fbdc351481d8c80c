import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { testPaths } from "./_common/test_paths.ts";
import { LocalSink } from "./local.ts";

Deno.test("local sink writes atomically, reads, lists and deletes", async () => {
  const root = await Deno.makeTempDir();
  const sink = new LocalSink(root + "/out", { paths: testPaths() });
  await sink.connect();
  await sink.write("date=2025-01-01/a+1.parquet", new Uint8Array([1, 2, 3]));
  await sink.write("date=2025-01-01/a+1.parquet", new Uint8Array([4, 5])); // overwrite is safe
  await sink.write("_fsds/journal/a.json", new TextEncoder().encode("{}"));
  assertEquals(await sink.read("date=2025-01-01/a+1.parquet"), new Uint8Array([4, 5]));
  assertEquals(await sink.read("missing"), null);
  assertEquals((await sink.list("")).map((e) => [e.path, e.size]), [
    ["_fsds/journal/a.json", 2],
    ["date=2025-01-01/a+1.parquet", 2],
  ]);
  assertEquals(await sink.list("nowhere/"), []);
  await sink.delete("date=2025-01-01/a+1.parquet");
  await sink.delete("date=2025-01-01/a+1.parquet");
  assertEquals((await sink.list("date=2025-01-01")).length, 0);
  const leftovers = [...Deno.readDirSync(root + "/out/date=2025-01-01")];
  assertEquals(leftovers, []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("local sink refuses paths that leave its root", async () => {
  const root = await Deno.makeTempDir();
  const sink = new LocalSink(root, { paths: testPaths() });
  await assert.rejects(() => sink.write("../escape.parquet", new Uint8Array([1])), RangeError);
  await Deno.remove(root, { recursive: true });
});

Deno.test("local sink removes stale temporary files at connect", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(root + "/p");
  const stale = root + "/p/.x.parquet.1234.fsds-tmp";
  await Deno.writeFile(stale, new Uint8Array([1]));
  await Deno.utime(stale, new Date(0), new Date(0));
  await new LocalSink(root, { paths: testPaths() }).connect();
  await assert.rejects(() => Deno.stat(stale), Deno.errors.NotFound);
  await Deno.remove(root, { recursive: true });
});

Deno.test("local sink names the folder when it cannot write", async () => {
  const sink = new LocalSink("/proc/fsds-cannot-exist", { paths: testPaths() });
  await assert.rejects(() => sink.connect(), /Cannot write to local sink folder "\/proc\/fsds-cannot-exist"/);
});
