import { deepEqual as assertEquals, ok as assert, rejects, throws } from "node:assert/strict";
import { telemetrySectionSchema } from "./config.ts";
import { configureLogging } from "./log.ts";
import { NOOP_METRICS, SPAN, startTelemetry } from "./mod.ts";

Deno.test("startTelemetry() with telemetry off hands out the shared no-op facade", async () => {
  const telemetry = await startTelemetry(telemetrySectionSchema.parse({}), { env: {}, configureLogging: false });
  assertEquals([telemetry.enabled, telemetry.tracing], [false, false]);
  assert(telemetry.metrics === NOOP_METRICS);
  assertEquals([telemetry.healthAddress, telemetry.prometheusAddress], [undefined, undefined]);
  // withSpan still runs the work and passes results and errors through.
  assertEquals(telemetry.withSpan(SPAN.batch, undefined, (span) => span.isRecording()), false);
  assertEquals(await telemetry.withSpan(SPAN.batch, { a: 1 }, () => Promise.resolve(42)), 42);
  throws(() =>
    telemetry.withSpan(SPAN.batch, undefined, () => {
      throw new RangeError("sync");
    }), RangeError);
  await rejects(telemetry.withSpan(SPAN.batch, undefined, () => Promise.reject(new TypeError("async"))), TypeError);
  telemetry.metrics.recordsProcessed(5);
  assertEquals(telemetry.metrics.totalLag(), 0);
  await telemetry.shutdown();
  await telemetry.shutdown();
});

Deno.test("startTelemetry() with tracing on passes results and errors through withSpan unchanged", async () => {
  // No collector listens: the export at shutdown fails quietly (its warning is muted here).
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  configureLogging({ level: "CRITICAL" });
  const telemetry = await startTelemetry(
    telemetrySectionSchema.parse({
      enabled: true,
      metrics_enabled: false,
      otlp_endpoint: `http://127.0.0.1:${port}`,
      shutdown_timeout_seconds: 1,
    }),
    { env: {}, configureLogging: false },
  );
  try {
    assert(telemetry.tracing);
    assertEquals(telemetry.withSpan(SPAN.sinkFlush, undefined, () => "sync"), "sync");
    assertEquals(await telemetry.withSpan(SPAN.sinkFlush, undefined, () => Promise.resolve("async")), "async");
    const nested = await telemetry.withSpan(SPAN.pipelineRun, undefined, async (outer) => {
      await Promise.resolve();
      return telemetry.withSpan(
        SPAN.batch,
        undefined,
        (inner) => inner.spanContext().traceId === outer.spanContext().traceId,
      );
    });
    assert(nested);
    await rejects(
      telemetry.withSpan(SPAN.sinkFlush, undefined, () => Promise.reject(new TypeError("disk full"))),
      TypeError,
    );
  } finally {
    await telemetry.shutdown();
    configureLogging({ level: "INFO" });
  }
});
