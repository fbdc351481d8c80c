import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import type { AppConfig } from "../config/app_config.ts";
import { pipelineSectionSchema } from "../config/pipeline_section.ts";
import type { PeekContext } from "../core/peek.ts";
import { commonSinkFields, commonSourceFields } from "../core/plugin.ts";
import { findSource, registerSink, registerSource } from "../core/registry.ts";
import type { Sink } from "../core/sink.ts";
import type { SourceMessage } from "../core/source.ts";
import { telemetrySectionSchema } from "../telemetry/config.ts";
import { plainValue, previewPipeline } from "./preview.ts";

const SOURCE = "preview-test-src";
const SINK = "preview-test-sink";
const encoder = new TextEncoder();
const peeked: PeekContext[] = [];
const written: string[] = [];

function message(offset: number, payload: string, time = Date.UTC(2025, 0, 2, 3)): SourceMessage {
  return {
    stream: "orders+0",
    position: String(offset).padStart(20, "0"),
    value: encoder.encode(payload),
    metadata: ["orders", BigInt(offset)],
    timestampMs: time,
  };
}

if (!findSource(SOURCE)) {
  registerSource({
    type: SOURCE,
    summary: "preview test source",
    schema: z.object({ type: z.literal(SOURCE), ...commonSourceFields }).strict(),
    env: [],
    secrets: [],
    create: () => {
      throw new Error("not used");
    },
    check: () => Promise.resolve([]),
    peek: (_config, context) => {
      peeked.push(context);
      return Promise.resolve({
        metadataColumns: [{ name: "kafka_topic", type: "utf8" }, { name: "kafka_offset", type: "int64" }],
        messages: [
          message(0, '{"id":1,"side":"buy","px":1.5,"data":{"sym":"A"}}'),
          message(1, "{not json"),
          message(2, '{"id":2,"side":"sell","px":2,"data":{"sym":"B"}}'),
          message(3, '{"id":3,"side":"buy","px":3.25}', Date.UTC(2025, 0, 3, 4)),
        ].slice(0, context.maxMessages),
        notes: ["orders+0: from the start"],
        describe: (m) => `topic "orders" partition 0 offset ${BigInt(m.position)}`,
      });
    },
  });
  registerSink({
    type: SINK,
    summary: "preview test sink",
    schema: z.object({ type: z.literal(SINK), ...commonSinkFields }).strict(),
    env: [],
    secrets: [],
    create: () =>
      Promise.resolve(
        {
          describe: (path: string) => `mem://lake/${path}`,
          write: (path: string) => {
            written.push(path);
            return Promise.resolve();
          },
          close: () => Promise.resolve(),
        } as unknown as Sink,
      ),
    check: () => Promise.resolve([]),
  });
}

function config(pipeline: Record<string, unknown> = {}, batchSize = 2): AppConfig {
  return {
    source: { type: SOURCE, value_format: "json", batch_size: batchSize },
    sink: z.object({ type: z.literal(SINK), ...commonSinkFields }).parse({ type: SINK, partition_by: ["date"] }),
    pipeline: pipelineSectionSchema.parse(pipeline),
    telemetry: telemetrySectionSchema.parse({}),
  };
}

Deno.test("previewPipeline() lays out, decodes and flattens records as a run would, and writes nothing", async () => {
  const report = await previewPipeline(config(), { maxRecords: 10, rows: 2 });
  assertEquals(peeked.at(-1)?.maxMessages, 10);
  assertEquals(report.messagesRead, 4);
  assertEquals(report.notes, ["orders+0: from the start"]);
  // batch_size 2 counts rows: offsets 0-2 (1 undecodable) make the first file, offset 3 (another day) the second.
  assertEquals(report.files.map((f) => [f.location, f.rows, f.kind]), [
    ["mem://lake/date=2025-01-02/orders+0+00000000000000000000.parquet", 2, "data"],
    ["mem://lake/date=2025-01-03/orders+0+00000000000000000003.parquet", 1, "data"],
  ]);
  assertEquals(report.files[0]!.columns.map((c) => `${c.name}:${c.arrow}:${c.parquet}`), [
    "kafka_topic:Utf8:BYTE_ARRAY STRING",
    "kafka_offset:Int64:INT64",
    "id:Int64:INT64",
    "side:Utf8:BYTE_ARRAY STRING",
    "px:Float64:DOUBLE",
    "sym:Utf8:BYTE_ARRAY STRING",
  ]);
  assertEquals(report.rows, [
    { kafka_topic: "orders", kafka_offset: 0, id: 1, side: "buy", px: 1.5, sym: "A" },
    { kafka_topic: "orders", kafka_offset: 2, id: 2, side: "sell", px: 2, sym: "B" },
  ]);
  assertEquals(report.failures.length, 1);
  assertEquals(report.failures[0]!.origin, 'topic "orders" partition 0 offset 1');
  assert(report.failures[0]!.reason.length > 0);
  assert(report.files.every((f) => f.bytes > 0));
  assertEquals(written, [], "the real sink is never written to");
});

Deno.test("previewPipeline() lists dead-letter files only under error_handling: dead_letter, and honours -n", async () => {
  const logged = await previewPipeline(config({ error_handling: "log" }, 100), { maxRecords: 2 });
  assertEquals(logged.files.map((f) => f.kind), ["data"]);
  assertEquals(logged.messagesRead, 2);
  const lettered = await previewPipeline(config({ error_handling: "dead_letter" }, 100), { maxRecords: 10 });
  assertEquals(lettered.files.filter((f) => f.kind === "dead_letter").map((f) => [f.path, f.rows]), [
    ["_dead_letter/orders/orders+0+00000000000000000000.jsonl", 1],
  ]);
});

Deno.test("plainValue() turns Arrow cells into JSON-safe values", () => {
  assertEquals(plainValue(5n), 5);
  assertEquals(plainValue(2n ** 62n), "4611686018427387904");
  assertEquals(plainValue(Date.UTC(2025, 0, 2), "Timestamp<MICROSECOND, UTC>"), "2025-01-02T00:00:00.000Z");
  assertEquals(plainValue(new Uint8Array([1, 2, 255])), "base64:AQL/");
  assertEquals(plainValue(null), null);
});
