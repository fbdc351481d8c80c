import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { SELF, tempPathBeside } from "./_common/temp_files.ts";
import { testPaths } from "./_common/test_paths.ts";
import { LocalSink, localSinkSchema } from "./local.ts";

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

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

Deno.test("local sink writes into a folder removed since its last file there, whole or streamed", async () => {
  const root = await Deno.makeTempDir();
  const sink = new LocalSink(root + "/out", { paths: testPaths() });
  await sink.connect();
  await sink.write("date=2025-01-01/a+1.parquet", new Uint8Array([1]));
  await Deno.remove(root + "/out/date=2025-01-01", { recursive: true }); // an operator's clean-up
  await sink.write("date=2025-01-01/a+2.parquet", new Uint8Array([2, 3]));
  assertEquals(await sink.read("date=2025-01-01/a+2.parquet"), new Uint8Array([2, 3]));
  await Deno.remove(root + "/out/date=2025-01-01", { recursive: true });
  const upload = await sink.open("date=2025-01-01/a+3.parquet");
  await upload.write(new Uint8Array([4, 5, 6]));
  await upload.commit();
  assertEquals(await sink.read("date=2025-01-01/a+3.parquet"), new Uint8Array([4, 5, 6]));
  assertEquals((await sink.list("date=2025-01-01")).map((e) => e.path), ["date=2025-01-01/a+3.parquet"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("local sink refuses paths that leave its root", async () => {
  const root = await Deno.makeTempDir();
  const sink = new LocalSink(root, { paths: testPaths() });
  await assert.rejects(() => sink.write("../escape.parquet", new Uint8Array([1])), RangeError);
  await Deno.remove(root, { recursive: true });
});

Deno.test("local sink removes an hour-old temporary file without a writer at connect", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(root + "/p");
  const stale = root + "/p/.x.parquet.0a1b2c3d4e5f.fsds-tmp"; // a name of earlier versions, an hour old
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

Deno.test("local sink connect() removes a crashed run's temporary files at any age, keeps a live writer's", async () => {
  const root = await Deno.makeTempDir();
  const live = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    await Deno.mkdir(`${root}/d`, { recursive: true });
    const crashed = tempPathBeside(`${root}/d/a+1.parquet`, { host: SELF.host, pid: await deadPid(), start: 1 });
    const running = tempPathBeside(`${root}/d/a+2.parquet`, { host: SELF.host, pid: live.pid, start: Date.now() });
    const foreign = `${root}/d/.spark-staging.fsds-tmp`;
    for (const path of [crashed, running, foreign]) await Deno.writeFile(path, new Uint8Array([1]));
    await new LocalSink(root, { paths: testPaths() }).connect();
    const left = [...Deno.readDirSync(`${root}/d`)].map((e) => `${root}/d/${e.name}`).sort();
    assertEquals(left, [foreign, running].sort());
  } finally {
    live.kill();
    await live.status;
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("local sink connect() removes probes older than five minutes and keeps fresh ones", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/probe`);
  await Deno.writeFile(`${root}/probe/old`, new Uint8Array());
  await Deno.writeFile(`${root}/probe/new`, new Uint8Array());
  const tenMinutesAgo = new Date(Date.now() - 10 * 60 * 1000);
  await Deno.utime(`${root}/probe/old`, tenMinutesAgo, tenMinutesAgo);
  await new LocalSink(root, { paths: testPaths() }).connect();
  assertEquals([...Deno.readDirSync(`${root}/probe`)].map((e) => e.name), ["new"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("local sink write that fails at the rename leaves no temporary file", async () => {
  const root = await Deno.makeTempDir();
  const sink = new LocalSink(root, { paths: testPaths() });
  await Deno.mkdir(`${root}/d/a+1.parquet/busy`, { recursive: true }); // a non-empty folder cannot be replaced
  await assert.rejects(() => sink.write("d/a+1.parquet", new Uint8Array([1])), /Cannot write local file/);
  await sink.close();
  assertEquals([...Deno.readDirSync(`${root}/d`)].map((e) => e.name), ["a+1.parquet"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("LocalSink.writeIfAbsent() lets exactly one of concurrent writers create a file, and never replaces it", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-local-ifabsent-" });
  try {
    const sink = new LocalSink(root, { paths: testPaths() });
    const results = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => sink.writeIfAbsent("t/metadata/v1.metadata.json", new TextEncoder().encode(`w${i}`)),
      ),
    );
    equal(results.filter(Boolean).length, 1);
    const winner = results.indexOf(true);
    equal(new TextDecoder().decode((await sink.read("t/metadata/v1.metadata.json"))!), `w${winner}`);
    equal(await sink.writeIfAbsent("t/metadata/v1.metadata.json", new Uint8Array([1])), false);
    // No temporary file is left behind.
    assertEquals((await sink.list("t/")).map((e) => e.path), ["t/metadata/v1.metadata.json"]);
    equal(sink.uri("t"), `file://${root}/t`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("localSinkSchema refuses a path template or a non-UTC day partition for Iceberg tables, and a table without Iceberg", () => {
  const messages = (section: Record<string, unknown>) => {
    const result = localSinkSchema.safeParse({ type: "local", path: "/out", ...section });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  assertEquals(messages({ table_format: "iceberg", partition_by: ["date"], table: "t" }), []);
  assert(
    messages({ table_format: "iceberg", path_template: "{topic}" })[0]!.startsWith("path_template: Iceberg tables"),
  );
  assert(
    messages({ table_format: "iceberg", partition_by: ["date"], timezone: "Europe/Paris" })[0]!.startsWith("timezone:"),
  );
  assertEquals(messages({ table: "t" }), ["table: `table` needs `table_format: iceberg`"]);
});

Deno.test("localSinkSchema takes a REST catalog for Iceberg tables only, with its URL, and one way to authenticate", () => {
  const messages = (section: Record<string, unknown>) => {
    const result = localSinkSchema.safeParse({ type: "local", path: "/out", ...section });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  const rest = { table_format: "iceberg", catalog: "rest", catalog_uri: "http://127.0.0.1:8181" };
  assertEquals(messages(rest), []);
  assertEquals(localSinkSchema.parse({ type: "local", path: "/out", ...rest }).catalog_namespace, "default");
  assertEquals(messages({ catalog: "rest", catalog_uri: "http://c" }), [
    "catalog: `catalog` needs `table_format: iceberg`",
  ]);
  assertEquals(messages({ table_format: "iceberg", catalog: "rest" }), [
    "catalog_uri: `catalog: rest` needs catalog_uri, the REST catalog's base URL",
  ]);
  assertEquals(messages({ ...rest, catalog_token: "t", catalog_credential: "a:b" }), [
    "catalog_token: give catalog_token or catalog_credential, not both",
  ]);
  assert(messages({ ...rest, catalog: "glue" })[0]!.startsWith("catalog: "));
});

Deno.test("local sink connect() and list() beside another instance's writes: files renamed away meanwhile are skipped", async () => {
  const root = await Deno.makeTempDir();
  const writer = new LocalSink(root, { paths: testPaths(), fsync: false });
  const other = new LocalSink(root, { paths: testPaths(), fsync: false });
  await writer.connect();
  let writing = true;
  const writes = (async () => {
    for (let i = 0; writing; i++) {
      await Promise.all(
        Array.from({ length: 8 }, (_, j) => writer.write(`_fsds/journal/s${j}.json`, new Uint8Array(i))),
      );
    }
  })();
  try {
    for (let round = 0; round < 150; round++) {
      await other.connect(); // walks the folder while temporary files appear and are renamed away
      const listed = await other.list("_fsds/journal");
      assert(listed.every((entry) => /^_fsds\/journal\/s[0-7]\.json$/.test(entry.path)), JSON.stringify(listed));
    }
  } finally {
    writing = false;
    await writes;
  }
  equal((await other.list("_fsds/journal")).length, 8);
  await Deno.remove(root, { recursive: true });
});
