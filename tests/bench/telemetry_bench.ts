/**
 * Benchmark of telemetry's cost, off versus on (traces and metrics exported over OTLP/HTTP protobuf to a loopback
 * receiver):
 *
 * 1. Facade calls: `metrics.recordsProcessed(n, attrs)` 1,000,000 times; `withSpan` per batch (a `batch` span
 *    with a nested `sink.write_batch` span) 100,000 times; the pipeline's per-batch hook 100,000 times.
 * 2. The real CLI (file source -> local Parquet sink) over the same JSON lines with telemetry off and on.
 *
 * Run: `deno run -A tests/bench/telemetry_bench.ts [--calls N] [--batches N] [--records N] [--no-cli]`.
 * @module
 */
import { join } from "node:path";
import { telemetrySectionSchema } from "../../src/telemetry/config.ts";
import { pipelineHooks } from "../../src/pipeline/instrument.ts";
import { configureLogging } from "../../src/telemetry/log.ts";
import { ATTR, SPAN, startTelemetry, type Telemetry } from "../../src/telemetry/mod.ts";
import { startReceiver } from "../telemetry_receiver.ts";

function flag(name: string, fallback: number): number {
  const index = Deno.args.indexOf(`--${name}`);
  return index >= 0 ? Number(Deno.args[index + 1]) : fallback;
}

const CALLS = flag("calls", 1_000_000);
const BATCHES = flag("batches", 100_000);
const RECORDS = flag("records", 200_000);

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function facade(telemetry: Telemetry): Promise<Record<string, number>> {
  const attrs = { [ATTR.stream]: "orders/0" };
  const metrics = telemetry.metrics;
  const counterMs = time(() => {
    for (let i = 0; i < CALLS; i++) metrics.recordsProcessed(1000, attrs);
  });
  const spanMs = await timeAsync(async () => {
    for (let i = 0; i < BATCHES; i++) {
      await telemetry.withSpan(
        SPAN.batch,
        attrs,
        () => telemetry.withSpan(SPAN.sinkWriteBatch, { [ATTR.filePath]: "a/b.parquet" }, () => Promise.resolve()),
      );
    }
  });
  const hooks = pipelineHooks(telemetry);
  const info = {
    stream: "orders/0",
    reason: "records" as const,
    first: "00000000000000000001",
    last: "00000000000000001000",
    records: 1000,
    files: ["orders/orders+00000000000000000001.parquet"],
    bytes: 123_456,
    deadLettered: 0,
    failed: 0,
    millis: 12.5,
  };
  const hookMs = time(() => {
    for (let i = 0; i < BATCHES; i++) hooks.batchWritten!(info);
  });
  return {
    "recordsProcessed() ns/call": (counterMs * 1e6) / CALLS,
    "withSpan x2 per batch µs/batch": (spanMs * 1e3) / BATCHES,
    "batchWritten hook µs/batch": (hookMs * 1e3) / BATCHES,
  };
}

async function runCli(dir: string, telemetryYaml: string): Promise<number> {
  const config = join(dir, `config-${crypto.randomUUID()}.yaml`);
  await Deno.writeTextFile(
    config,
    `source:\n  type: file\n  path: ${join(dir, "input.ndjson")}\n  value_format: json\n  batch_size: 10000\n` +
      `sink:\n  type: local\n  path: ${join(dir, crypto.randomUUID())}\n  compression: snappy\n` +
      `telemetry:\n  log_level: WARNING\n${telemetryYaml}`,
  );
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main, "run", "--config", config],
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  if (output.code !== 0) throw new Error(`CLI failed: ${new TextDecoder().decode(output.stderr)}`);
  return ms;
}

async function cli(endpoint: string): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-telemetry-bench-" });
  const lines: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    lines.push(JSON.stringify({ id: i, symbol: "AAPL", bid: 150.25 + i % 7, ask: 150.3, ts: 1_700_000_000_000 + i }));
  }
  await Deno.writeTextFile(join(dir, "input.ndjson"), lines.join("\n") + "\n");
  const on = `  enabled: true\n  otlp_endpoint: ${endpoint}\n  metrics_export_interval_seconds: 1\n`;
  const results: Record<string, number> = {};
  try {
    // Alternate off/on twice so a warm page cache or a busy neighbour does not favour one side.
    const off: number[] = [];
    const onTimes: number[] = [];
    for (let round = 0; round < 2; round++) {
      off.push(await runCli(dir, "  enabled: false\n"));
      onTimes.push(await runCli(dir, on));
    }
    results["CLI off ms (best of 2)"] = Math.min(...off);
    results["CLI on ms (best of 2)"] = Math.min(...onTimes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return results;
}

if (import.meta.main) {
  configureLogging({ level: "ERROR" });
  const receiver = await startReceiver();
  try {
    const off = await startTelemetry(telemetrySectionSchema.parse({}), { env: {}, configureLogging: false });
    const offResults = await facade(off);
    await off.shutdown();
    const on = await startTelemetry(
      telemetrySectionSchema.parse({ enabled: true, otlp_endpoint: receiver.httpUrl }),
      { env: {}, configureLogging: false },
    );
    const onResults = await facade(on);
    await on.shutdown();
    console.log(`Facade (${CALLS} counter calls, ${BATCHES} batches):`);
    for (const key of Object.keys(offResults)) {
      console.log(
        `  ${key.padEnd(34)} off ${offResults[key]!.toFixed(3).padStart(9)}   on ${
          onResults[key]!.toFixed(3).padStart(9)
        }`,
      );
    }
    console.log(`  spans received by the loopback collector: ${receiver.spans.length}`);
    if (!Deno.args.includes("--no-cli")) {
      const results = await cli(receiver.httpUrl);
      console.log(`CLI, ${RECORDS} JSON records -> local Parquet:`);
      for (const [key, value] of Object.entries(results)) console.log(`  ${key.padEnd(34)} ${value.toFixed(0)}`);
    }
  } finally {
    await receiver.close();
  }
}
