/**
 * The health and Prometheus endpoints over real HTTP on loopback: readiness, stall detection, scrape output.
 */
import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { telemetrySectionSchema } from "../src/telemetry/config.ts";
import { ATTR, startTelemetry } from "../src/telemetry/mod.ts";

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

Deno.test("health endpoint goes from not ready to ready to stalled and back to healthy", async () => {
  let now = 1_000_000;
  const telemetry = await startTelemetry(
    telemetrySectionSchema.parse({ health_port: 0, stall_timeout_seconds: 60 }),
    { env: {}, now: () => now, configureLogging: false },
  );
  try {
    const port = telemetry.healthAddress!.port;
    assertEquals(telemetry.healthAddress!.hostname, "127.0.0.1");
    // Starting: alive, not ready.
    assertEquals((await get(port, "/healthz")).status, 200);
    const starting = await get(port, "/readyz");
    assertEquals(starting.status, 503);
    assertEquals(JSON.parse(starting.body).status, "not_ready");

    // Source and sink connected.
    telemetry.health.markReady();
    assertEquals((await get(port, "/readyz")).status, 200);

    // Data in hand, progress keeps coming: healthy.
    telemetry.health.setPending(4096);
    now += 50_000;
    telemetry.health.heartbeat();
    now += 50_000;
    assertEquals((await get(port, "/healthz")).status, 200);

    // No progress for longer than the stall timeout while holding data: unhealthy.
    now += 20_000;
    const stalled = await get(port, "/healthz");
    assertEquals(stalled.status, 503);
    const body = JSON.parse(stalled.body);
    assertEquals([body.status, body.stalled_for_ms, body.pending], ["stalled", 70_000, 4096]);
    assertEquals((await get(port, "/readyz")).status, 503);

    // Progress again: healthy.
    telemetry.health.heartbeat();
    assertEquals((await get(port, "/healthz")).status, 200);

    // Idle (nothing in hand, no lag) for hours: still healthy.
    telemetry.health.setPending(0);
    now += 10 * 3600_000;
    assertEquals((await get(port, "/healthz")).status, 200);

    // Consumer lag counts as work: lag appears, nothing moves for longer than the timeout.
    telemetry.metrics.setLag("orders/0", 12);
    now += 61_000;
    assertEquals((await get(port, "/healthz")).status, 503);
    telemetry.metrics.setLag("orders/0", 0);
    assertEquals((await get(port, "/healthz")).status, 200);

    // Lag reported by the source (Source.lag) is read at each health check.
    let sourceLag = new Map([["orders/1", 3]]);
    telemetry.metrics.trackLag(() => sourceLag);
    now += 61_000;
    assertEquals((await get(port, "/healthz")).status, 200); // the lag just appeared: the clock starts now
    now += 61_000;
    assertEquals(JSON.parse((await get(port, "/healthz")).body).backlog, 3);
    sourceLag = new Map();
    assertEquals((await get(port, "/healthz")).status, 200);

    assertEquals((await get(port, "/nope")).status, 404);
  } finally {
    await telemetry.shutdown();
  }
});

Deno.test("readiness drops at shutdown and the health server stops listening", async () => {
  const telemetry = await startTelemetry(telemetrySectionSchema.parse({ health_port: 0 }), {
    env: {},
    configureLogging: false,
  });
  const port = telemetry.healthAddress!.port;
  telemetry.health.markReady();
  assertEquals((await get(port, "/readyz")).status, 200);
  await telemetry.shutdown();
  let refused = false;
  try {
    await get(port, "/readyz");
  } catch {
    refused = true;
  }
  assert(refused, "the health server still answers after shutdown");
});

Deno.test("Prometheus endpoint serves the pipeline metrics without OTLP export", async () => {
  const telemetry = await startTelemetry(telemetrySectionSchema.parse({ prometheus_port: 0 }), {
    env: {},
    configureLogging: false,
  });
  try {
    assert(telemetry.enabled);
    assertEquals(telemetry.tracing, false);
    const attrs = { [ATTR.stream]: "orders/0" };
    telemetry.metrics.recordsProcessed(40, attrs);
    telemetry.metrics.recordsProcessed(2, attrs);
    telemetry.metrics.batchProcessed(attrs);
    telemetry.metrics.error("decode", attrs, 3);
    telemetry.metrics.batchDuration(0.007, attrs);
    telemetry.metrics.batchDuration(0.3, attrs);
    telemetry.metrics.setLag("orders/0", 5);
    const response = await fetch(`http://127.0.0.1:${telemetry.prometheusAddress!.port}/metrics`);
    assertEquals(response.status, 200);
    assert(response.headers.get("content-type")?.startsWith("text/plain; version=0.0.4"));
    const lines = (await response.text()).split("\n");
    const has = (line: string) => assert(lines.includes(line), `missing line: ${line}\n${lines.join("\n")}`);
    has("# TYPE fs_data_sink_records_processed_total counter");
    has('fs_data_sink_records_processed_total{fs_data_sink_stream="orders/0"} 42');
    has('fs_data_sink_batches_processed_total{fs_data_sink_stream="orders/0"} 1');
    has('fs_data_sink_errors_total{fs_data_sink_stream="orders/0",error_type="decode"} 3');
    has("# TYPE fs_data_sink_batch_duration_seconds histogram");
    has('fs_data_sink_batch_duration_seconds_bucket{fs_data_sink_stream="orders/0",le="0.01"} 1');
    has('fs_data_sink_batch_duration_seconds_bucket{fs_data_sink_stream="orders/0",le="0.5"} 2');
    has('fs_data_sink_batch_duration_seconds_bucket{fs_data_sink_stream="orders/0",le="+Inf"} 2');
    has('fs_data_sink_batch_duration_seconds_sum{fs_data_sink_stream="orders/0"} 0.307');
    has('fs_data_sink_batch_duration_seconds_count{fs_data_sink_stream="orders/0"} 2');
    has("# TYPE fs_data_sink_build_info gauge");
    assert(
      lines.some((l) =>
        /^fs_data_sink_build_info\{fs_data_sink_version="\d+\.\d+\.\d+",fs_data_sink_commit="[^"]+"\} 1$/.test(l)
      ),
      "the build-info gauge is 1 with version and commit",
    );
    has("# TYPE fs_data_sink_consumer_lag gauge");
    has('fs_data_sink_consumer_lag{fs_data_sink_stream="orders/0"} 5');
  } finally {
    await telemetry.shutdown();
  }
});

Deno.test("health and Prometheus share one server when their ports are equal", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const telemetry = await startTelemetry(telemetrySectionSchema.parse({ prometheus_port: port, health_port: port }), {
    env: {},
    configureLogging: false,
  });
  try {
    assertEquals(telemetry.healthAddress?.port, port);
    assertEquals(telemetry.prometheusAddress?.port, port);
    assertEquals((await get(port, "/healthz")).status, 200);
    telemetry.metrics.fileWritten();
    assert((await get(port, "/metrics")).body.includes("fs_data_sink_files_written_total 1"));
  } finally {
    await telemetry.shutdown();
  }
});

Deno.test("startTelemetry names the address when the health port is taken", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    let message = "";
    try {
      await startTelemetry(telemetrySectionSchema.parse({ health_port: port }), { env: {}, configureLogging: false });
    } catch (error) {
      message = (error as Error).message;
    }
    assert(message.startsWith(`Cannot serve the health endpoint on 127.0.0.1:${port}`), message);
  } finally {
    taken.close();
  }
});
