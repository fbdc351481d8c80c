import { deepEqual as assertEquals } from "node:assert/strict";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { ATTR, MeterPipelineMetrics, METRIC_NAMES } from "./metrics.ts";
import { PrometheusReader } from "./prometheus.ts";

function setup(): { metrics: MeterPipelineMetrics; scrape: () => Promise<string[]> } {
  const reader = new PrometheusReader();
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = new MeterPipelineMetrics(provider.getMeter("test"));
  return { metrics, scrape: async () => (await reader.render()).split("\n").filter((l) => !l.startsWith("#")) };
}

Deno.test("counters merge equal attribute sets whatever the object or key order", async () => {
  const { metrics, scrape } = setup();
  const reused = { [ATTR.stream]: "a", [ATTR.topic]: "t" };
  metrics.recordsProcessed(1, reused);
  metrics.recordsProcessed(2, reused);
  metrics.recordsProcessed(4, { [ATTR.topic]: "t", [ATTR.stream]: "a" });
  metrics.recordsProcessed(8, { [ATTR.stream]: "b" });
  metrics.recordsProcessed(16);
  const lines = (await scrape()).filter((l) => l.startsWith("fs_data_sink_records_processed_total"));
  assertEquals(lines.sort(), [
    "fs_data_sink_records_processed_total 16",
    'fs_data_sink_records_processed_total{fs_data_sink_stream="a",messaging_destination_name="t"} 7',
    'fs_data_sink_records_processed_total{fs_data_sink_stream="b"} 8',
  ]);
});

Deno.test("a counter series keeps its attributes when the caller's object changes later", async () => {
  const { metrics, scrape } = setup();
  const attrs: Record<string, string> = { [ATTR.stream]: "a" };
  metrics.fileWritten(attrs);
  attrs[ATTR.stream] = "changed";
  assertEquals((await scrape()).filter((l) => l.includes("files_written")), [
    'fs_data_sink_files_written_total{fs_data_sink_stream="a"} 1',
  ]);
});

Deno.test("lag is reported per stream, cleared on revoke and summed for the health check", async () => {
  const { metrics, scrape } = setup();
  metrics.setLag("orders/0", 5, { [ATTR.partition]: 0 });
  metrics.setLag("orders/1", 7);
  metrics.setLag("orders/0", 3);
  assertEquals(metrics.totalLag(), 10);
  metrics.clearLag("orders/1");
  assertEquals(metrics.totalLag(), 3);
  const name = METRIC_NAMES.consumerLag.replace(".", "_");
  assertEquals((await scrape()).filter((l) => l.startsWith(name)), [
    `${name}{fs_data_sink_stream="orders/0",messaging_destination_partition_id="0"} 3`,
  ]);
});

Deno.test("lags pulled from a provider replace the streams it reported before and keep pushed ones", async () => {
  const { metrics, scrape } = setup();
  let current = new Map([["orders/0", 4], ["orders/1", 6]]);
  metrics.trackLag(() => current);
  metrics.setLag("redis:events", 1);
  const name = "fs_data_sink_consumer_lag";
  assertEquals((await scrape()).filter((l) => l.startsWith(name)).sort(), [
    `${name}{fs_data_sink_stream="orders/0"} 4`,
    `${name}{fs_data_sink_stream="orders/1"} 6`,
    `${name}{fs_data_sink_stream="redis:events"} 1`,
  ]);
  current = new Map([["orders/1", 2]]);
  assertEquals((await scrape()).filter((l) => l.startsWith(name)).sort(), [
    `${name}{fs_data_sink_stream="orders/1"} 2`,
    `${name}{fs_data_sink_stream="redis:events"} 1`,
  ]);
  assertEquals(metrics.totalLag(), 3);
});
