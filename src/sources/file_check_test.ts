import { deepEqual as assertEquals } from "node:assert/strict";
import { Logger } from "../telemetry/log.ts";
import { checkFileSource, fileSourceSchema, peekFileSource } from "./file.ts";

const log = new Logger("test");

Deno.test("checkFileSource() counts the matching files and names a glob that matches nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds_file_check_" });
  try {
    await Deno.writeTextFile(`${dir}/a.ndjson`, '{"a":1}\n');
    await Deno.writeTextFile(`${dir}/b.ndjson`, '{"a":2}\n');
    const found = await checkFileSource(fileSourceSchema.parse({ type: "file", path: `${dir}/*.ndjson` }), {
      log,
      timeoutMs: 1000,
    });
    assertEquals(found.map((r) => [r.kind, r.kind === "ok" ? r.detail : ""]), [["ok", "2 files, 16 bytes"]]);
    const none = await checkFileSource(fileSourceSchema.parse({ type: "file", path: `${dir}/*.csv` }), {
      log,
      timeoutMs: 1000,
    });
    assertEquals(none.map((r) => r.kind), ["misconfigured"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("peekFileSource() reads the first records as a run does and stops at the limit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds_file_peek_" });
  try {
    await Deno.writeTextFile(`${dir}/t.ndjson`, '{"a":1}\n{"a":2}\n{"a":3}\n');
    const config = fileSourceSchema.parse({ type: "file", path: `${dir}/t.ndjson`, metadata: true });
    const peek = await peekFileSource(config, { maxMessages: 2, timeoutMs: 1000, log });
    assertEquals(peek.messages.map((m) => new TextDecoder().decode(m.value!)), ['{"a":1}', '{"a":2}']);
    assertEquals(peek.metadataColumns.map((c) => c.name), ["source_file", "source_line"]);
    assertEquals(peek.describe(peek.messages[1]!).includes("t.ndjson"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
