import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import type { Logger } from "../core/logger.ts";
import type { SourceMessage } from "../core/source.ts";
import { expandPath, FileSource, fileSourceSchema, globToRegExp, readLines } from "./file.ts";

const quiet: Logger = {
  name: "test",
  child: () => quiet,
  enabled: () => false,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  critical: () => {},
};

async function readAll(source: FileSource): Promise<SourceMessage[]> {
  const messages: SourceMessage[] = [];
  const signal = new AbortController().signal;
  for (;;) {
    const result = await source.read({ maxMessages: 100, maxWaitMs: 1000, signal });
    if (result.kind === "end") return messages;
    if (result.kind === "messages") messages.push(...result.messages);
  }
}

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

Deno.test("FileSource hands MessagePack bytes that hold no record to the pipeline as an error with their offset", async () => {
  const dir = await Deno.makeTempDir();
  const one = encode({ id: 1 });
  const garbage = [0xc1, 0x30, 0xc1];
  await Deno.writeFile(`${dir}/dump`, new Uint8Array([...one, ...garbage, ...encode({ id: 2 }), ...encode({ id: 3 })]));
  const config = fileSourceSchema.parse({ type: "file", path: `${dir}/dump`, value_format: "auto" });
  const source = new FileSource(config, { untilCaughtUp: true, log: quiet });
  await source.connect();
  const messages = await readAll(source);
  await source.close();
  assertEquals(messages.map((m) => [m.position, m.fields ?? [...m.value!]]), [
    ["000000000001", { id: 1 }],
    ["000000000002", garbage],
    ["000000000003", { id: 2 }],
    ["000000000004", { id: 3 }],
  ]);
  assertEquals(source.describe(messages[1]!), `file "${dir}/dump" item 2 at byte 5`);
  assertEquals(messages[1]!.error, "invalid MessagePack: byte 0xc1 at byte 5 starts no value; reading again at byte 8");
  assertEquals(messages.filter((m) => m.error !== undefined).length, 1, "only the garbage is an error");
  assertEquals(source.describe(messages[0]!), `file "${dir}/dump" item 1`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FileSource hands a lone value between records over as an error, so that it never becomes a row", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/dump.msgpack`, new Uint8Array([...encode({ id: 1 }), 0x05, ...encode({ id: 2 })]));
  const config = fileSourceSchema.parse({ type: "file", path: `${dir}/dump.msgpack`, value_format: "msgpack" });
  const source = new FileSource(config, { untilCaughtUp: true, log: quiet });
  await source.connect();
  const messages = await readAll(source);
  await source.close();
  // The next record is not swallowed with the garbage: it is its own message.
  assertEquals(messages.map((m) => m.fields ?? [...m.value!]), [{ id: 1 }, [0x05], { id: 2 }]);
  assert(messages[1]!.error !== undefined, "the lone value is an error for the pipeline's policy");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FileSource.progress() counts the records handed out and the bytes read of each file's size", async () => {
  const root = await Deno.makeTempDir();
  try {
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, pad: "x".repeat(100) })).join("\n") + "\n";
    await Deno.writeTextFile(`${root}/a.ndjson`, lines);
    await Deno.writeTextFile(`${root}/b.ndjson`, '{"i":1}\n{"i":2}\n');
    const source = new FileSource(fileSourceSchema.parse({ type: "file", path: `${root}/*.ndjson` }), {
      untilCaughtUp: true,
      log: quiet,
    });
    await source.connect();
    const size = new TextEncoder().encode(lines).length;
    assertEquals(source.progress(), [
      { label: "file", name: "a.ndjson", done: 0, total: null, lag: null, bytes: { done: 0, total: size } },
      { label: "file", name: "b.ndjson", done: 0, total: null, lag: null, bytes: { done: 0, total: 16 } },
    ]);
    const first = await source.read({ maxMessages: 100, maxWaitMs: 1000, signal: new AbortController().signal });
    assert(first.kind === "messages");
    const during = source.progress()[0]!;
    assertEquals(during.done, 100);
    assert(during.bytes!.done > 0 && during.bytes!.done <= size, `bytes read so far: ${during.bytes!.done}`);
    await readAll(source);
    await source.close();
    assertEquals(source.progress().map((p) => [p.name, p.done, p.bytes]), [
      ["a.ndjson", 500, { done: size, total: size }],
      ["b.ndjson", 2, { done: 16, total: 16 }],
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
