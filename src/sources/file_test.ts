import { deepEqual as assertEquals } from "node:assert/strict";
import { expandPath, globToRegExp, readLines } from "./file.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => encoder.encode(c)));
}

Deno.test("readLines() splits across chunks, handles CRLF and a last line without newline", async () => {
  const lines = [];
  for await (const line of readLines(streamOf('{"a":', '1}\r\n\n{"b"', ":2}\n", '{"c":3}'))) {
    lines.push([line.number, new TextDecoder().decode(line.bytes)]);
  }
  assertEquals(lines, [[1, '{"a":1}'], [2, ""], [3, '{"b":2}'], [4, '{"c":3}']]);
});

Deno.test("globToRegExp() handles *, ** and ?", () => {
  assertEquals(globToRegExp("data/*.ndjson").test("data/a.ndjson"), true);
  assertEquals(globToRegExp("data/*.ndjson").test("data/x/a.ndjson"), false);
  assertEquals(globToRegExp("data/**/*.ndjson").test("data/x/y/a.ndjson"), true);
  assertEquals(globToRegExp("data/**/*.ndjson").test("data/a.ndjson"), true);
  assertEquals(globToRegExp("a?.json").test("ab.json"), true);
});

Deno.test("expandPath() lists matching files sorted", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/d/e`, { recursive: true });
  for (const name of ["d/b.ndjson", "d/a.ndjson", "d/e/c.ndjson", "d/x.txt"]) {
    await Deno.writeTextFile(`${root}/${name}`, "");
  }
  assertEquals(await expandPath(`${root}/d/*.ndjson`), [`${root}/d/a.ndjson`, `${root}/d/b.ndjson`]);
  assertEquals((await expandPath(`${root}/d/**/*.ndjson`)).length, 3);
  await Deno.remove(root, { recursive: true });
});
