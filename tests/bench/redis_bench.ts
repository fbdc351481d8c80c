/**
 * Benchmark of the redis source: N JSON entries (default 1 000 000) through a Redis stream and through a Redis
 * list into local Parquet with the real CLI, in one-shot mode. For each it reports records/s and the peak RSS of
 * the CLI process, next to the bare read rate (the source alone: read + ack, no decoding or writing), which is the
 * ceiling. Rows are counted back from the Parquet files. Not part of `deno task test`.
 *
 * The CLI runs once per `--workers` setting (default `0,default`: the main thread only, then `pipeline.workers` at its
 * default), each stream run in its own consumer group, each list run on its own seeded list.
 *
 * Usage: `deno run -A tests/bench/redis_bench.ts [--count N] [--batch-size N] [--workers 0,1,default] [--json]`
 * @module
 */
import { parseArgs } from "node:util";
import type { RedisClient } from "../../src/sources/redis/client.ts";
import { listKeysOf } from "../../src/sources/redis/lists.ts";
import { adminClient, makeSource } from "../redis_helpers.ts";
import { endpoints, ensureRunning } from "../services/endpoints.ts";
import * as bench from "../helpers/bench.ts";

const SELF = new URL(import.meta.url).pathname;

function payload(i: number): string {
  return JSON.stringify({
    event_type: "quote",
    id: i,
    data: bench.quoteData(i),
    ts: 1_700_000_000_000 + i,
  });
}

async function seedStream(client: RedisClient, key: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 2000) {
    const commands: [string, ...string[]][] = [];
    for (let i = start; i < Math.min(count, start + 2000); i++) commands.push(["XADD", key, "*", "data", payload(i)]);
    await client.batch(commands);
  }
}

async function seedList(client: RedisClient, key: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 2000) {
    const items = Array.from({ length: Math.min(2000, count - start) }, (_, j) => payload(start + j));
    await client.call("RPUSH", key, ...items);
  }
}

/** Child mode: read everything with the bare source (read + ack), print the count. */
async function bareRead(kind: "stream" | "list", key: string, group: string): Promise<void> {
  const source = makeSource({
    [kind === "stream" ? "stream_keys" : "list_keys"]: [key],
    consumer_group: group,
    consumer_name: "bench",
    payload_field: "data",
    continuous: false,
  });
  await source.connect();
  const signal = new AbortController().signal;
  let count = 0;
  for (;;) {
    const r = await source.read({ maxMessages: 1000, maxWaitMs: 1000, signal });
    if (r.kind === "end") break;
    if (r.kind !== "messages") continue;
    count += r.messages.length;
    const stream = r.messages[0]!.stream;
    await source.ack(stream, r.messages.map((m) => m.position));
  }
  await source.close();
  console.log(JSON.stringify({ count }));
}

async function pipelineRun(
  kind: "stream" | "list",
  key: string,
  group: string,
  batchSize: number,
  workers: number | undefined,
): Promise<bench.Measure> {
  const { host, port } = endpoints().redis;
  const run = await bench.measureCliRun(`fsds-redis-bench-${kind}-`, (out) => ({
    source: {
      type: "redis",
      host,
      port,
      [kind === "stream" ? "stream_keys" : "list_keys"]: [key],
      consumer_group: group,
      consumer_name: "bench",
      payload_field: "data",
      batch_size: batchSize,
    },
    sink: { type: "local", path: out, compression: "snappy" },
    telemetry: { log_level: "WARNING" },
    pipeline: { until_caught_up: true, ...(workers === undefined ? {} : { workers }) },
  }));
  const { records, seconds, peakRssMiB } = run;
  return { records, seconds, recordsPerSecond: records / seconds, peakRssMiB };
}

async function bareRun(kind: "stream" | "list", key: string, group: string): Promise<bench.Measure> {
  const run = await bench.measureProcess(["run", "--allow-all", SELF, "--bare", kind, "--key", key, "--group", group]);
  const { count } = bench.lastJsonLine<{ count: number }>(run);
  return { records: count, seconds: run.seconds, recordsPerSecond: count / run.seconds, peakRssMiB: run.peakRssMiB };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      count: { type: "string", default: "1000000" },
      "batch-size": { type: "string", default: "100000" },
      workers: { type: "string", default: "0,default" },
      bare: { type: "string" },
      key: { type: "string" },
      group: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (values.bare) return await bareRead(values.bare as "stream" | "list", values.key!, values.group!);
  const count = Number(values.count);
  const batchSize = Number(values["batch-size"]);
  await ensureRunning(["redis"]);
  const admin = await adminClient();
  const tag = crypto.randomUUID().slice(0, 8);
  const stream = `fsds-bench:stream:${tag}`;
  const settings = values.workers.split(",");
  const lists = {
    bare: `fsds-bench:list-bare:${tag}`,
    pipeline: settings.map((_, i) => `fsds-bench:list-pipeline-${i}:${tag}`),
  };
  const results: Record<string, bench.Measure> = {};
  try {
    const seedStart = performance.now();
    await seedStream(admin, stream, count);
    await seedList(admin, lists.bare, count);
    for (const list of lists.pipeline) await seedList(admin, list, count);
    console.error(
      `seeded ${count} stream entries and ${1 + settings.length} x ${count} list items in ${
        ((performance.now() - seedStart) / 1000).toFixed(1)
      } s`,
    );
    // Two consumer groups read the same stream: one for the bare source, one for the pipeline.
    results.streamBare = await bareRun("stream", stream, "bench-bare");
    console.error(bench.showMeasure("stream: bare read + ack", results.streamBare));
    for (const [i, setting] of settings.entries()) {
      const workers = setting === "default" ? undefined : Number(setting);
      const key = `streamPipeline-workers-${setting}-${i}`;
      results[key] = await pipelineRun("stream", stream, `bench-pipeline-${i}`, batchSize, workers);
      console.error(bench.showMeasure(`stream -> local Parquet, workers ${setting}`, results[key]!));
    }
    results.listBare = await bareRun("list", lists.bare, "bench-bare");
    console.error(bench.showMeasure("list: bare read + ack", results.listBare));
    for (const [i, setting] of settings.entries()) {
      const workers = setting === "default" ? undefined : Number(setting);
      const key = `listPipeline-workers-${setting}-${i}`;
      results[key] = await pipelineRun("list", lists.pipeline[i]!, "bench-pipeline", batchSize, workers);
      console.error(bench.showMeasure(`list -> local Parquet, workers ${setting}`, results[key]!));
    }
    if (values.json) console.log(JSON.stringify({ count, batchSize, ...results }));
  } finally {
    const bookkeeping = [lists.bare, ...lists.pipeline].flatMap((k) =>
      ["bench-bare", "bench-pipeline"].flatMap((g) => Object.values(listKeysOf(k, g, "bench")))
    );
    await admin.call("DEL", stream, lists.bare, ...lists.pipeline, ...bookkeeping);
    admin.close();
  }
}

if (import.meta.main) await main();
