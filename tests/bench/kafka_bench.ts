/**
 * Benchmark of the Kafka source: a one-shot drain of a pre-filled topic (default 1 000 000 JSON records of about
 * 200 bytes) into local Parquet with the real CLI, reporting records/s, MB/s (payload bytes) and the peak RSS of the
 * CLI process. Next to it, ceilings measured on the same topic in their own processes: the bare fetch rate of the
 * client the source uses (an `@platformatic/kafka` message stream that only counts), the same for kafkajs (another
 * client, for comparison) and the bare source rate (the Kafka source's `read` + `ack`, no decoding or writing). Rows are counted back from the Parquet files. Not part of `deno task test`.
 *
 * The filled topic is kept (named after the record and partition counts) so that later runs skip the fill; each
 * measurement uses a new consumer group.
 *
 * The CLI runs drain a JSON topic and a MessagePack topic (`--formats json,msgpack`) once per `--workers` setting
 * (default `0,default`: the main thread only, then `pipeline.workers` at its default), at the default settings
 * unless `--batch-size N` is given. With `--python`, each CLI run is followed by the same drain with the program a user
 * would script instead (`python_reference.py`: confluent-kafka (librdkafka) and Polars, one Parquet file per batch of
 * the same size, offsets committed after each file), timed the same way, its rows counted back the same way.
 *
 * With `--iceberg`, the CLI writes an Iceberg table on the local folder (a Hadoop table, one snapshot per batch)
 * instead of plain Parquet files; its data files are counted back the same way.
 *
 * Usage: `deno run -A tests/bench/kafka_bench.ts [--count N] [--partitions N] [--batch-size N] [--workers 0,1,default]
 * [--formats json,msgpack] [--skip-ceilings] [--python] [--iceberg] [--json]`
 * @module
 */
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { Consumer, MessagesStreamModes } from "@platformatic/kafka";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import * as bench from "../helpers/bench.ts";
import { makeSource, testClient, withAdmin } from "../kafka_helpers.ts";
import { endpoints, ensureRunning } from "../services/endpoints.ts";
import { benchPython, runPythonReference } from "./python_reference.ts";

const SELF = new URL(import.meta.url).pathname;

/** The record of about 200 bytes (as JSON) the bench writes. */
function record(i: number): Record<string, unknown> {
  return {
    event_type: "quote",
    source: "bench",
    id: i,
    data: bench.quoteData(i),
    metadata: { exchange: "NASDAQ", note: "padding-padding-padding" },
    ts: 1_700_000_000_000 + i,
  };
}

/** The payload encodings the bench fills topics with. */
type Format = "json" | "msgpack";

/** A record's payload of about 200 bytes (JSON) or 170 (MessagePack). */
export function payload(i: number, format: Format = "json"): string | Uint8Array {
  return format === "json" ? JSON.stringify(record(i)) : msgpackEncode(record(i));
}

async function endOffsets(topic: string): Promise<number> {
  return await withAdmin(async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) return -1;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  });
}

/** Creates and fills the topic unless it already holds exactly `count` records; returns the payload bytes. */
async function prepareTopic(topic: string, count: number, partitions: number, format: Format): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += payload(i, format).length;
  const existing = await endOffsets(topic);
  if (existing === count) return bytes;
  if (existing >= 0) await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
  await withAdmin((admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  );
  const started = performance.now();
  const producer = testClient().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const chunk = 10_000;
  for (let start = 0; start < count; start += chunk) {
    const messages = Array.from({ length: Math.min(chunk, count - start) }, (_, j) => ({
      partition: (start + j) % partitions,
      value: (() => {
        const value = payload(start + j, format);
        return typeof value === "string" ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
      })(),
    }));
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
  console.error(`filled ${topic}: ${count} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return bytes;
}

/** Child mode: a raw kafkajs consumer that only counts messages until `count`; prints the count and fetch time. */
async function bareKafkajs(topic: string, group: string, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: "fsds-bench", brokers: endpoints().kafka.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstAt = 0;
  const done = Promise.withResolvers<void>();
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      if (firstAt === 0) firstAt = performance.now();
      seen += batch.messages.length;
      if (seen >= count) done.resolve();
      await Promise.resolve();
    },
  });
  await done.promise;
  const fetchSeconds = (performance.now() - firstAt) / 1000;
  await consumer.disconnect();
  console.log(JSON.stringify({ count: seen, fetchSeconds }));
}

/** Child mode: a bare `@platformatic/kafka` message stream that only counts messages until `count`. */
async function barePlatformatic(topic: string, group: string, count: number): Promise<void> {
  const consumer = new Consumer({
    clientId: "fsds-bench",
    groupId: group,
    bootstrapBrokers: endpoints().kafka.brokers,
    autocommit: false,
    maxBytesPerPartition: 2 * 1024 * 1024,
    maxBytes: 16 * 1024 * 1024,
    maxWaitTime: 1000,
  });
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
  let seen = 0;
  let firstAt = 0;
  for await (const _message of stream) {
    if (firstAt === 0) firstAt = performance.now();
    if (++seen >= count) break;
  }
  const fetchSeconds = (performance.now() - firstAt) / 1000;
  await consumer.close(true);
  console.log(JSON.stringify({ count: seen, fetchSeconds }));
}

/** Child mode: the Kafka source alone (read + ack per stream, no decoding); prints the count and read time. */
async function bareSource(topic: string, group: string): Promise<void> {
  const source = makeSource({ topics: [topic], group_id: group }, { untilCaughtUp: true });
  await source.connect();
  const signal = new AbortController().signal;
  let count = 0;
  let firstAt = 0;
  for (;;) {
    const result = await source.read({ maxMessages: 5000, maxWaitMs: 1000, signal });
    if (result.kind === "end") break;
    if (result.kind !== "messages") continue;
    // Timed from the first message, like the bare kafkajs consumer (group join and first fetch excluded).
    if (firstAt === 0) firstAt = performance.now();
    count += result.messages.length;
    const byStream = Map.groupBy(result.messages, (message) => message.stream);
    for (const [stream, messages] of byStream) await source.ack(stream, messages.map((message) => message.position));
  }
  const readSeconds = (performance.now() - firstAt) / 1000;
  await source.close();
  console.log(JSON.stringify({ count, readSeconds }));
}

function measure(records: number, bytes: number, seconds: number, peakRssMiB: number): bench.Measure {
  return {
    records,
    seconds,
    recordsPerSecond: records / seconds,
    megabytesPerSecond: bytes / 1e6 / seconds,
    peakRssMiB,
  };
}

/** One CLI run; `batchSize` and `workers` undefined: their defaults. */
async function pipelineRun(
  topic: string,
  group: string,
  bytes: number,
  options: { format: Format; batchSize?: number; workers?: number; iceberg?: boolean },
): Promise<bench.Measure> {
  const run = await bench.measureCliRun("fsds-kafka-bench-", (out) => ({
    source: {
      type: "kafka",
      bootstrap_servers: endpoints().kafka.brokers,
      topics: [topic],
      group_id: group,
      value_format: options.format,
      progress: "off",
      ...(options.batchSize === undefined ? {} : { batch_size: options.batchSize }),
    },
    sink: {
      type: "local",
      path: out,
      compression: "snappy",
      ...(options.iceberg ? { table_format: "iceberg", table: "bench" } : {}),
    },
    telemetry: { log_level: "WARNING", enabled: false },
    pipeline: { until_caught_up: true, ...(options.workers === undefined ? {} : { workers: options.workers }) },
  }));
  return measure(run.records, bytes, run.seconds, run.peakRssMiB);
}

/** Records per file at the CLI's defaults (`source.batch_size`), which the Python program gets too. */
const DEFAULT_BATCH_SIZE = 1000;

/** One run of the Python program into a temporary folder; its rows are counted back like the CLI's. */
async function pythonRun(
  python: string,
  topic: string,
  group: string,
  bytes: number,
  options: { format: Format; batchSize: number },
): Promise<bench.Measure> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-bench-python-" });
  try {
    const brokers = endpoints().kafka.brokers.join(",");
    const run = await runPythonReference(python, { brokers, topic, group, out: dir, ...options });
    const records = await bench.countParquetRows(dir);
    if (records !== run.count) throw new Error(`The Python program read ${run.count} records but wrote ${records}`);
    return measure(records, bytes, run.seconds, run.peakRssMiB);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      count: { type: "string", default: "1000000" },
      partitions: { type: "string", default: "4" },
      "batch-size": { type: "string" },
      workers: { type: "string", default: "0,default" },
      formats: { type: "string", default: "json,msgpack" },
      "skip-ceilings": { type: "boolean", default: false },
      python: { type: "boolean", default: false },
      iceberg: { type: "boolean", default: false },
      "bare-kafkajs": { type: "boolean", default: false },
      "bare-platformatic": { type: "boolean", default: false },
      "bare-source": { type: "boolean", default: false },
      topic: { type: "string" },
      group: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const count = Number(values.count);
  if (values["bare-kafkajs"]) return await bareKafkajs(values.topic!, values.group!, count);
  if (values["bare-platformatic"]) return await barePlatformatic(values.topic!, values.group!, count);
  if (values["bare-source"]) return await bareSource(values.topic!, values.group!);
  const partitions = Number(values.partitions);
  await ensureRunning(["kafka"]);
  const topic = `fsds-bench-json-${count}-p${partitions}`;
  const bytes = await prepareTopic(topic, count, partitions, "json");
  const tag = crypto.randomUUID().slice(0, 8);
  const results: Record<string, bench.Measure> = {};
  if (!values["skip-ceilings"]) await ceilings(topic, count, bytes, tag, results);
  const batchSize = values["batch-size"] === undefined ? undefined : Number(values["batch-size"]);
  const python = values.python ? await benchPython() : undefined;
  for (const format of values.formats.split(",") as Format[]) {
    const formatTopic = format === "json" ? topic : `fsds-bench-${format}-${count}-p${partitions}`;
    const formatBytes = format === "json" ? bytes : await prepareTopic(formatTopic, count, partitions, format);
    for (const [round, setting] of values.workers.split(",").entries()) {
      const workers = setting === "default" ? undefined : Number(setting);
      const label = `CLI ${format}, workers ${setting} -> local ${values.iceberg ? "Iceberg" : "Parquet"}`;
      const group = `fsds-bench-pipeline-${format}-${setting}-${round}-${tag}`;
      const key = `${format}-workers-${setting}-${round}`;
      results[key] = await pipelineRun(formatTopic, group, formatBytes, {
        format,
        batchSize,
        workers,
        iceberg: values.iceberg,
      });
      console.error(bench.showMeasure(label, results[key]!, 44));
      if (python === undefined) continue;
      const py = await pythonRun(python, formatTopic, `${group}-python`, formatBytes, {
        format,
        batchSize: batchSize ?? DEFAULT_BATCH_SIZE,
      });
      results[`${format}-python-${round}`] = py;
      console.error(bench.showMeasure(`Python ${format}: Polars + librdkafka`, py, 44));
    }
  }
  if (values.json) console.log(JSON.stringify({ count, partitions, payloadBytes: bytes, ...results }));
}

/** The bare client, kafkajs and bare source rates on the JSON topic, each in its own process. */
async function ceilings(
  topic: string,
  count: number,
  bytes: number,
  tag: string,
  results: Record<string, bench.Measure>,
): Promise<void> {
  const platformaticRun = await bench.measureProcess([
    "run",
    "--allow-all",
    SELF,
    "--bare-platformatic",
    "--topic",
    topic,
    "--group",
    `fsds-bench-platformatic-${tag}`,
    "--count",
    String(count),
  ]);
  const ceiling = bench.lastJsonLine<{ count: number; fetchSeconds: number }>(platformaticRun);
  results.clientFetch = measure(ceiling.count, bytes, ceiling.fetchSeconds, platformaticRun.peakRssMiB);
  console.error(bench.showMeasure("bare @platformatic/kafka stream (ceiling)", results.clientFetch));

  const kafkajsRun = await bench.measureProcess([
    "run",
    "--allow-all",
    SELF,
    "--bare-kafkajs",
    "--topic",
    topic,
    "--group",
    `fsds-bench-kafkajs-${tag}`,
    "--count",
    String(count),
  ]);
  const bare = bench.lastJsonLine<{ count: number; fetchSeconds: number }>(kafkajsRun);
  results.kafkajsFetch = measure(bare.count, bytes, bare.fetchSeconds, kafkajsRun.peakRssMiB);
  console.error(bench.showMeasure("bare kafkajs fetch (eachBatch count, another client)", results.kafkajsFetch));

  const sourceRun = await bench.measureProcess([
    "run",
    "--allow-all",
    SELF,
    "--bare-source",
    "--topic",
    topic,
    "--group",
    `fsds-bench-source-${tag}`,
  ]);
  const src = bench.lastJsonLine<{ count: number; readSeconds: number }>(sourceRun);
  results.sourceRead = measure(src.count, bytes, src.readSeconds, sourceRun.peakRssMiB);
  console.error(bench.showMeasure("kafka source read + ack", results.sourceRead));
}

if (import.meta.main) await main();
