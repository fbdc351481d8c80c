import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { configureLogging, Logger } from "./log.ts";

const encoder = new TextEncoder();
const stderr = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n"));

/** Runs `fn` with logging captured as `format`, then restores stderr, text and INFO. */
function capture(format: "json" | "text", fn: () => void): string[] {
  const lines: string[] = [];
  configureLogging({ writer: (line) => lines.push(line), format, level: "DEBUG" });
  try {
    fn();
  } finally {
    configureLogging({ writer: stderr, format: "text", level: "INFO", context: null });
  }
  return lines;
}

Deno.test("JSON log lines parse and carry time, level, name, message and the structured fields", () => {
  const lines = capture("json", () => {
    new Logger("fs_data_sink.pipeline").info({ stream: "orders/0", records: 3, big: 12n }, "Wrote batch 1");
    new Logger("fs_data_sink.sink").error({ error: new TypeError("boom") }, "Cannot write");
  });
  const [first, second] = lines.map((line) => JSON.parse(line));
  assert(!Number.isNaN(Date.parse(first.time)) && first.time.endsWith("Z"));
  assertEquals(
    { level: first.level, name: first.name, message: first.message, stream: first.stream, records: first.records },
    { level: "INFO", name: "fs_data_sink.pipeline", message: "Wrote batch 1", stream: "orders/0", records: 3 },
  );
  assertEquals(first.big, "12");
  assertEquals([second.level, second.error], ["ERROR", { name: "TypeError", message: "boom" }]);
});

Deno.test("a log context provider adds trace_id and span_id to JSON and text lines", () => {
  const ids = { trace_id: "0af7651916cd43dd8448eb211c80319c", span_id: "b7ad6b7169203331" };
  const json = capture("json", () => {
    configureLogging({ context: () => ids });
    new Logger("x").warn({ a: 1 }, "inside");
    configureLogging({ context: () => undefined });
    new Logger("x").warn({ a: 1 }, "outside");
  }).map((line) => JSON.parse(line));
  assertEquals([json[0].trace_id, json[0].span_id, json[0].a], [ids.trace_id, ids.span_id, 1]);
  assertEquals([json[1].trace_id, json[1].span_id], [undefined, undefined]);
  const text = capture("text", () => {
    configureLogging({ context: () => ids });
    new Logger("x").info({}, "inside");
  });
  assert(text[0]!.endsWith(`x: inside trace_id=${ids.trace_id} span_id=${ids.span_id}`), text[0]);
});

Deno.test("lines below the configured level are not written", () => {
  const lines = capture("json", () => {
    configureLogging({ level: "WARNING" });
    const log = new Logger("x");
    log.debug({}, "d");
    log.info({}, "i");
    log.warn({}, "w");
    log.critical({}, "c");
    assertEquals([log.enabled("INFO"), log.enabled("ERROR")], [false, true]);
  });
  assertEquals(lines.map((line) => JSON.parse(line).level), ["WARNING", "CRITICAL"]);
});
