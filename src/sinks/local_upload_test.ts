import assert, { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { testPaths } from "./_common/test_paths.ts";
import { LocalSink } from "./local.ts";

function bytes(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

async function withSink(test: (sink: LocalSink, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    const sink = new LocalSink(root, { paths: testPaths() });
    await sink.connect();
    await test(sink, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("local sink open(): appended chunks stay invisible until commit, then the file is whole", async () => {
  await withSink(async (sink, root) => {
    await sink.write("d=1/a.parquet", new Uint8Array([9, 9])); // an older version, replaced on commit
    const upload = await sink.open("d=1/a.parquet");
    const chunks = [bytes(100_000, 1), bytes(1, 2), bytes(250_000, 3)];
    for (const chunk of chunks) await upload.write(chunk);
    assertEquals(await sink.read("d=1/a.parquet"), new Uint8Array([9, 9]));
    assertEquals((await sink.list("d=1/")).map((e) => e.size), [2]);
    const hidden = [...Deno.readDirSync(`${root}/d=1`)].map((e) => e.name).filter((n) => n.startsWith("."));
    assertEquals(hidden.length, 1);
    assertEquals(Deno.statSync(`${root}/d=1/${hidden[0]}`).size, 350_001); // bytes went to disk as they came
    assertEquals(await upload.commit(), { path: "d=1/a.parquet", size: 350_001 });
    const whole = new Uint8Array(350_001);
    whole.set(chunks[0]!, 0);
    whole.set(chunks[1]!, 100_000);
    whole.set(chunks[2]!, 100_001);
    assertEquals(await sink.read("d=1/a.parquet"), whole);
    assertEquals([...Deno.readDirSync(`${root}/d=1`)].map((e) => e.name), ["a.parquet"]);
    await rejects(upload.write(bytes(1, 0)), /Cannot write local file ".*a\.parquet": the upload is committed/);
  });
});

Deno.test("local sink open(): abort() leaves no trace, and an existing file stays as it was", async () => {
  await withSink(async (sink, root) => {
    const upload = await sink.open("d=2/new.parquet");
    await upload.write(bytes(10_000, 4));
    await upload.abort();
    await upload.abort();
    assertEquals([...Deno.readDirSync(`${root}/d=2`)], []);
    await sink.write("d=2/old.parquet", new Uint8Array([1]));
    const over = await sink.open("d=2/old.parquet");
    await over.write(bytes(10, 5));
    await over.abort();
    assertEquals(await sink.read("d=2/old.parquet"), new Uint8Array([1]));
    assertEquals([...Deno.readDirSync(`${root}/d=2`)].map((e) => e.name), ["old.parquet"]);
    assert(!await exists(`${root}/d=2/new.parquet`));
  });
});

Deno.test("local sink open(): a path outside the root or an unwritable folder is refused, naming the path", async () => {
  await withSink(async (sink, root) => {
    await rejects(sink.open("../escape.parquet"), RangeError);
    await Deno.writeTextFile(`${root}/file`, "not a folder");
    await rejects(sink.open("file/a.parquet"), new RegExp(`Cannot write local file "${root}/file/a\\.parquet"`));
  });
});
