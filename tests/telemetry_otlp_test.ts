/**
 * Telemetry against a real OTLP receiver on loopback, over each transport: the spans and metric points that arrive,
 * with their names and attributes; trace ids in JSON log lines; a collector that is down or stuck.
 */
import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { ATTR, METRIC_NAMES, SPAN, startTelemetry, type Telemetry } from "../src/telemetry/mod.ts";
import { type TelemetrySection, telemetrySectionSchema } from "../src/telemetry/config.ts";
import { configureLogging, rootLogger } from "../src/telemetry/log.ts";
import type { OtlpProtocol } from "../src/telemetry/config.ts";
import { closedPort, type OtlpReceiver, startReceiver } from "./telemetry_receiver.ts";

function section(overrides: Partial<Record<keyof TelemetrySection, unknown>>): TelemetrySection {
  return telemetrySectionSchema.parse({ enabled: true, metrics_export_interval_seconds: 3600, ...overrides });
}

/** Captures log lines for the duration of `fn`, then restores stderr output. */
async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  configureLogging({ writer: (line) => lines.push(line), format: "json", level: "DEBUG" });
  try {
    return { result: await fn(), lines };
  } finally {
    const encoder = new TextEncoder();
    configureLogging({ writer: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")), format: "text" });
    configureLogging({ level: "INFO" });
  }
}

/** What a pipeline run reports: spans for the run, a batch and its sink write, plus every metric. */
async function simulateRun(telemetry: Telemetry): Promise<void> {
  await telemetry.withSpan(SPAN.pipelineRun, { [ATTR.sourceType]: "file", [ATTR.sinkType]: "local" }, async () => {
    await telemetry.withSpan(SPAN.sourceConnect, undefined, () => Promise.resolve());
    await telemetry.withSpan(SPAN.sourceReadBatch, { [ATTR.recordCount]: 3 }, () => Promise.resolve());
    await telemetry.withSpan(
      SPAN.batch,
      { [ATTR.stream]: "orders/0", [ATTR.firstPosition]: "00000000000000000000", [ATTR.lastPosition]: "2" },
      async () => {
        rootLogger.child("pipeline").info({ records: 3 }, "Writing batch");
        await telemetry.withSpan(
          SPAN.sinkWriteBatch,
          { [ATTR.filePath]: "orders/orders+0.parquet", [ATTR.bytes]: 1234 },
          () => Promise.resolve(),
        );
      },
    );
    await telemetry.withSpan(SPAN.sinkFlush, undefined, () => Promise.reject(new Error("disk full"))).catch(() => {});
  });
  const attrs = { [ATTR.stream]: "orders/0" };
  telemetry.metrics.batchProcessed(attrs);
  telemetry.metrics.recordsProcessed(3, attrs);
  telemetry.metrics.recordsProcessed(2, attrs);
  telemetry.metrics.error("decode", attrs);
  telemetry.metrics.bytesWritten(1234);
  telemetry.metrics.fileWritten(attrs);
  telemetry.metrics.batchDuration(0.042, attrs);
  telemetry.metrics.batchDuration(0.058, attrs);
  telemetry.metrics.deadLettered(1);
  telemetry.metrics.setLag("orders/0", 17, { [ATTR.topic]: "orders", [ATTR.partition]: 0 });
}

function assertReceivedRun(receiver: OtlpReceiver, lines: string[]): void {
  const names = receiver.spans.map((s) => s.name).sort();
  assertEquals(
    names,
    [
      SPAN.batch,
      SPAN.pipelineRun,
      SPAN.sinkFlush,
      SPAN.sinkWriteBatch,
      SPAN.sourceConnect,
      SPAN.sourceReadBatch,
    ].sort(),
  );
  const byName = Object.fromEntries(receiver.spans.map((s) => [s.name, s]));
  const run = byName[SPAN.pipelineRun]!;
  const batch = byName[SPAN.batch]!;
  const write = byName[SPAN.sinkWriteBatch]!;
  assertEquals(run.parentSpanId, "");
  assertEquals(batch.parentSpanId, run.spanId);
  assertEquals(write.parentSpanId, batch.spanId);
  assertEquals(new Set(receiver.spans.map((s) => s.traceId)).size, 1);
  assertEquals(run.attributes[ATTR.sourceType], "file");
  assertEquals(batch.attributes[ATTR.stream], "orders/0");
  assertEquals(batch.attributes[ATTR.lastPosition], "2");
  assertEquals(write.attributes[ATTR.filePath], "orders/orders+0.parquet");
  assertEquals(write.attributes[ATTR.bytes], 1234);
  assertEquals(byName[SPAN.sinkFlush]!.statusCode, 2);
  assertEquals(run.resource["service.name"], "fsds-test");
  assertEquals(run.resource["deployment.environment"], "test");

  const point = (metric: string) => receiver.points.filter((p) => p.metric === metric);
  assertEquals(point(METRIC_NAMES.batchesProcessed).map((p) => p.value), [1]);
  assertEquals(point(METRIC_NAMES.recordsProcessed).map((p) => [p.value, p.attributes[ATTR.stream]]), [[
    5,
    "orders/0",
  ]]);
  assertEquals(point(METRIC_NAMES.errors).map((p) => p.attributes[ATTR.errorKind]), ["decode"]);
  assertEquals(point(METRIC_NAMES.bytesWritten).map((p) => p.value), [1234]);
  assertEquals(point(METRIC_NAMES.filesWritten).map((p) => p.value), [1]);
  assertEquals(point(METRIC_NAMES.recordsDeadLettered).map((p) => p.value), [1]);
  const latency = point(METRIC_NAMES.batchDuration);
  assertEquals(latency.map((p) => [p.kind, p.count, p.sum]), [["histogram", 2, 0.1]]);
  const lag = point(METRIC_NAMES.consumerLag);
  assertEquals(lag.map((p) => [p.kind, p.value, p.attributes[ATTR.stream], p.attributes[ATTR.partition]]), [
    ["gauge", 17, "orders/0", 0],
  ]);

  // The log line written inside the batch span carries that span's ids.
  const logged = lines.map((l) => JSON.parse(l)).find((l) => l.message === "Writing batch");
  assert(logged, "the log line written inside the batch span is missing");
  assertEquals(logged.name, "fs_data_sink.pipeline");
  assertEquals(logged.level, "INFO");
  assertEquals(logged.records, 3);
  assertEquals(logged.trace_id, batch.traceId);
  assertEquals(logged.span_id, batch.spanId);
}

for (const protocol of ["http/protobuf", "http/json", "grpc"] as OtlpProtocol[]) {
  Deno.test(`telemetry exports spans and metrics over ${protocol} to a real receiver`, async () => {
    const receiver = await startReceiver();
    try {
      const endpoint = protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl;
      const { lines } = await captureLogs(async () => {
        const telemetry = await startTelemetry(
          section({ otlp_endpoint: endpoint, otlp_protocol: protocol, service_name: "fsds-test" }),
          {
            env: {
              OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test",
              OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=s3cr%21t",
            },
            configureLogging: false,
          },
        );
        await simulateRun(telemetry);
        await telemetry.shutdown();
      });
      assertReceivedRun(receiver, lines);
      const paths = new Set(receiver.requests.map((r) => r.path));
      if (protocol === "grpc") {
        assertEquals(
          paths,
          new Set([
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
          ]),
        );
        assert(receiver.requests.every((r) => r.transport === "grpc" && r.contentType === "application/grpc"));
      } else {
        assertEquals(paths, new Set(["/v1/traces", "/v1/metrics"]));
        const type = protocol === "http/json" ? "application/json" : "application/x-protobuf";
        assert(receiver.requests.every((r) => r.contentType === type));
      }
      assert(receiver.requests.every((r) => r.headers["x-api-key"] === "s3cr!t"));
    } finally {
      await receiver.close();
    }
  });
}

Deno.test("telemetry exports metrics periodically while the pipeline runs", async () => {
  const receiver = await startReceiver();
  const telemetry = await startTelemetry(
    section({ otlp_endpoint: receiver.httpUrl, trace_enabled: false, metrics_export_interval_seconds: 0.1 }),
    { env: {}, configureLogging: false },
  );
  try {
    telemetry.metrics.recordsProcessed(7);
    await receiver.waitFor(() => receiver.points.some((p) => p.metric === METRIC_NAMES.recordsProcessed));
    assertEquals(receiver.points.find((p) => p.metric === METRIC_NAMES.recordsProcessed)?.value, 7);
    assertEquals(receiver.spans, []);
  } finally {
    await telemetry.shutdown();
    await receiver.close();
  }
});

Deno.test("telemetry shutdown completes and nothing throws when the collector is down", async () => {
  for (const protocol of ["http/protobuf", "grpc"] as OtlpProtocol[]) {
    const { lines } = await captureLogs(async () => {
      const telemetry = await startTelemetry(
        section({
          otlp_endpoint: `http://127.0.0.1:${closedPort()}`,
          otlp_protocol: protocol,
          shutdown_timeout_seconds: 2,
        }),
        { env: {}, configureLogging: false },
      );
      await simulateRun(telemetry);
      await telemetry.forceFlush();
      await telemetry.shutdown();
    });
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === "WARNING");
    assert(
      warnings.some((w) => w.message.startsWith("Cannot export telemetry") && w.signal === "traces"),
      `${protocol}: expected a warning about the failed export, got ${JSON.stringify(warnings)}`,
    );
  }
});

Deno.test("telemetry shutdown gives up after its timeout when the collector never answers", async () => {
  for (const protocol of ["http/protobuf", "grpc"] as OtlpProtocol[]) {
    const receiver = await startReceiver("hang");
    try {
      const { lines } = await captureLogs(async () => {
        const telemetry = await startTelemetry(
          section({
            otlp_endpoint: protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl,
            otlp_protocol: protocol,
            shutdown_timeout_seconds: 0.5,
            export_timeout_seconds: 30,
          }),
          { env: {}, configureLogging: false },
        );
        await simulateRun(telemetry);
        await telemetry.shutdown();
      });
      assert(receiver.requests.length > 0, `${protocol}: the receiver saw no request`);
      assert(
        lines.some((l) => JSON.parse(l).message.startsWith("Telemetry flush timed out")),
        `${protocol}: expected the flush timeout warning`,
      );
    } finally {
      await receiver.close();
    }
  }
});
