/**
 * End to end: the real CLI (file source, local sink) with telemetry enabled, exporting to a loopback OTLP receiver.
 */
import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { METRIC_NAMES, SPAN } from "../src/telemetry/mod.ts";
import { ATTR } from "../src/telemetry/metrics.ts";
import { closedPort, type OtlpReceiver, startReceiver } from "./telemetry_receiver.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function listFiles(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(root, prefix))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await listFiles(root, path));
    else out.push(path);
  }
  return out.sort();
}

/** Writes 25 JSON lines and a config; runs the CLI; returns its exit code, stderr lines and the output folder. */
async function runCli(telemetry: string, badLines = 0): Promise<{ code: number; lines: string[]; out: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-telemetry-e2e-" });
  const input = join(dir, "orders.ndjson");
  const rows = Array.from({ length: 25 }, (_, i) => JSON.stringify({ id: i, amount: i * 1.5, name: `order-${i}` }));
  for (let i = 0; i < badLines; i++) rows.splice(5 + i, 0, `{"broken": ${i}`);
  await Deno.writeTextFile(input, rows.join("\n") + "\n");
  const config = join(dir, "config.yaml");
  await Deno.writeTextFile(
    config,
    [
      "source:",
      "  type: file",
      `  path: ${input}`,
      "  value_format: json",
      "  batch_size: 10",
      "sink:",
      "  type: local",
      `  path: ${join(dir, "out")}`,
      "telemetry:",
      "  log_format: json",
      "  enabled: true",
      ...telemetry.split("\n").map((line) => `  ${line}`),
      "pipeline:",
      "  error_handling: dead_letter",
      "",
    ].join("\n"),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "run", "--config", config],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const lines = new TextDecoder().decode(output.stderr).split("\n").filter((l) => l.startsWith("{"));
  return { code: output.code, lines, out: join(dir, "out") };
}

function dataFiles(files: string[]): string[] {
  return files.filter((f) => f.endsWith(".parquet") && !f.startsWith("_"));
}

Deno.test("the CLI exports the run's spans and metrics to an OTLP receiver", async () => {
  let receiver: OtlpReceiver | undefined;
  try {
    receiver = await startReceiver();
    const { code, lines, out } = await runCli(
      `otlp_endpoint: ${receiver.httpUrl}\nservice_name: fsds-e2e\nresource_attributes:\n    team: data`,
    );
    assertEquals(code, 0, lines.join("\n"));
    const written = dataFiles(await listFiles(out));
    assertEquals(written.length, 3);

    const spans = receiver.spans;
    const run = spans.filter((s) => s.name === SPAN.pipelineRun);
    assertEquals(run.length, 1);
    assertEquals(run[0]!.attributes[ATTR.sourceType], "file");
    assertEquals(run[0]!.attributes[ATTR.sinkType], "local");
    assertEquals(run[0]!.resource["service.name"], "fsds-e2e");
    assertEquals(run[0]!.resource["team"], "data");
    for (const name of [SPAN.sourceConnect, SPAN.sinkConnect, SPAN.sourceClose, SPAN.sinkClose]) {
      assertEquals(spans.filter((s) => s.name === name).map((s) => s.parentSpanId), [run[0]!.spanId], name);
    }
    const batches = spans.filter((s) => s.name === SPAN.batch);
    // Batches that waited for their stream's earlier writes share a span (one journal entry, one acknowledgement).
    assertEquals(batches.reduce((n, b) => n + Number(b.attributes[ATTR.recordCount]), 0), 25);
    assertEquals(batches.reduce((n, b) => n + Number(b.attributes["fs_data_sink.batch_count"]), 0), 3);
    assert(batches.every((b) => b.parentSpanId === run[0]!.spanId));
    const writes = spans.filter((s) =>
      s.name === SPAN.sinkWriteBatch && String(s.attributes[ATTR.filePath]).endsWith(".parquet")
    );
    assertEquals(writes.map((w) => w.attributes[ATTR.filePath]).sort(), written);
    for (const write of writes) assert(batches.some((b) => b.spanId === write.parentSpanId), "write outside a batch");
    const reads = spans.filter((s) => s.name === SPAN.sourceReadBatch);
    assertEquals(reads.reduce((n, r) => n + Number(r.attributes[ATTR.recordCount]), 0), 25);

    const total = (metric: string) =>
      receiver!.points.filter((p) => p.metric === metric).reduce((n, p) => n + (p.value ?? p.count ?? 0), 0);
    assertEquals(total(METRIC_NAMES.recordsProcessed), 25);
    assertEquals(total(METRIC_NAMES.batchesProcessed), 3);
    assertEquals(total(METRIC_NAMES.filesWritten), 3);
    assertEquals(total(METRIC_NAMES.batchDuration), 3);
    let bytes = 0;
    for (const file of written) bytes += (await Deno.stat(join(out, file))).size;
    assertEquals(total(METRIC_NAMES.bytesWritten), bytes);

    const logs = lines.map((l) => JSON.parse(l));
    const wrote = logs.filter((l) => String(l.message).startsWith("Wrote batch"));
    assertEquals(wrote.length, 3);
    for (const log of wrote) {
      assert(typeof log.time === "string" && log.level === "INFO" && log.name === "fs_data_sink.pipeline");
      assertEquals(log.trace_id, run[0]!.traceId);
      assert(batches.some((b) => b.spanId === log.span_id), "log line not tied to its batch span");
    }
  } finally {
    await receiver?.close();
  }
});

Deno.test("the CLI finishes its run and exits 0 when the collector is down", async () => {
  for (const protocol of ["grpc", "http/protobuf"]) {
    const { code, lines, out } = await runCli(
      `otlp_endpoint: http://127.0.0.1:${closedPort()}\notlp_protocol: ${protocol}\nshutdown_timeout_seconds: 2`,
    );
    assertEquals(code, 0, lines.join("\n"));
    assertEquals(dataFiles(await listFiles(out)).length, 3);
    const warning = lines.map((l) => JSON.parse(l)).find((l) => String(l.message).startsWith("Cannot export"));
    assert(warning, `${protocol}: no warning about the failed export`);
  }
});

Deno.test("the CLI reports decode errors and dead-lettered records as metrics", async () => {
  let receiver: OtlpReceiver | undefined;
  try {
    receiver = await startReceiver();
    const { code, lines } = await runCli(`otlp_endpoint: ${receiver.grpcUrl}\notlp_protocol: grpc`, 2);
    assertEquals(code, 0, lines.join("\n"));
    const points = (metric: string) => receiver!.points.filter((p) => p.metric === metric);
    assertEquals(points(METRIC_NAMES.errors).map((p) => [p.value, p.attributes[ATTR.errorKind]]), [[2, "decode"]]);
    assertEquals(points(METRIC_NAMES.recordsDeadLettered).reduce((n, p) => n + (p.value ?? 0), 0), 2);
    assertEquals(points(METRIC_NAMES.recordsProcessed).reduce((n, p) => n + (p.value ?? 0), 0), 25);
    assert(receiver.requests.every((r) => r.transport === "grpc"));
  } finally {
    await receiver?.close();
  }
});
