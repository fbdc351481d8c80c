/**
 * End-to-end tests of the HDFS sink: the real CLI (`main.ts run`) moves records from a file, Kafka or Redis into
 * the kit's HDFS; the files are then listed and fetched with plain WebHDFS calls (LISTSTATUS, OPEN) written here,
 * independent of the sink's client, and decoded to check every row, the layout and that no temporary file is left.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { decodeParquet } from "../src/parquet/writer.ts";
import { adminClient } from "./redis_helpers.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";
import { kafkaToSinkWithOutage } from "./helpers/sink_outage.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** A Parquet file read back: its path below the base folder and its rows. */
interface ReadBack {
  readonly path: string;
  readonly rows: Record<string, unknown>[];
}

/** One plain WebHDFS request as the test user; redirects to the DataNode are followed. */
async function webhdfs(path: string, op: string): Promise<Response> {
  const { url, user } = endpoints().hdfs;
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return await fetch(`${url}/webhdfs/v1${encoded}?op=${op}&user.name=${encodeURIComponent(user)}`, {
    signal: AbortSignal.timeout(30_000),
  });
}

/** Every file below `folder` (absolute paths), hidden ones included. */
async function listTree(folder: string): Promise<string[]> {
  const response = await webhdfs(folder, "LISTSTATUS");
  if (response.status === 404) {
    await response.body?.cancel();
    return [];
  }
  assert(response.ok, `LISTSTATUS ${folder}: ${response.status} ${await response.clone().text()}`);
  const entries = (await response.json()).FileStatuses.FileStatus as { pathSuffix: string; type: string }[];
  const out: string[] = [];
  for (const entry of entries) {
    const full = `${folder}/${entry.pathSuffix}`;
    if (entry.type === "DIRECTORY") out.push(...await listTree(full));
    else out.push(full);
  }
  return out.sort();
}

/** Fetches (OPEN) and decodes every Parquet data file below `base` (journals and dead letters aside). */
async function readParquetFiles(base: string): Promise<{ files: ReadBack[]; paths: string[] }> {
  const paths = (await listTree(base)).map((p) => p.slice(base.length + 1));
  const files: ReadBack[] = [];
  for (const path of paths) {
    if (!path.endsWith(".parquet") || path.startsWith("_fsds/") || path.startsWith("_dead_letter/")) continue;
    const response = await webhdfs(`${base}/${path}`, "OPEN");
    assert(response.ok, `OPEN ${path}: ${response.status}`);
    const table = decodeParquet(new Uint8Array(await response.arrayBuffer()));
    files.push({ path, rows: table.toArray().map((row) => row.toJSON() as Record<string, unknown>) });
  }
  for (const path of paths) assert(!path.endsWith(".fsds-tmp"), `temporary file left behind: ${path}`);
  return { files, paths };
}

/** The `sink` section pointing at the kit's HDFS under `base`. */
function hdfsSink(base: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { url, user } = endpoints().hdfs;
  return { type: "hdfs", url, user, base_path: base, ...extra };
}

/** Runs the real CLI with a JSON (valid YAML) config file; returns its exit code and output. */
async function runCli(config: Record<string, unknown>, flags: string[] = []): Promise<{ code: number; log: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-hdfs-e2e-" });
  const file = `${dir}/config.yaml`;
  await Deno.writeTextFile(file, JSON.stringify(config, null, 2));
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "main.ts", "run", "--config", file, ...flags],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(240_000),
    }).output();
    return {
      code: output.code,
      log: new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function freshBase(name: string): string {
  return `${endpoints().hdfs.home}/e2e/${name}-${crypto.randomUUID().slice(0, 8)}`;
}

async function removeTree(base: string): Promise<void> {
  const { url, user } = endpoints().hdfs;
  await fetch(`${url}/webhdfs/v1${base}?op=DELETE&recursive=true&user.name=${user}`, { method: "DELETE" })
    .then((r) => r.body?.cancel()).catch(() => {});
}

function isoDay(value: unknown): string {
  if (typeof value === "string") return value.slice(0, 10);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return new Date(Number(value)).toISOString().slice(0, 10);
}

await ensureRunning(["hdfs"]);

Deno.test("file -> HDFS end to end: every row read back via OPEN, once, in Hive date folders", async () => {
  const base = freshBase("file");
  const dir = await Deno.makeTempDir({ prefix: "fsds-hdfs-e2e-data-" });
  const days = ["2024-03-01", "2024-03-02", "2024-03-03"];
  const lines: string[] = [];
  for (let id = 0; id < 2500; id++) {
    const day = days[id % days.length]!;
    lines.push(JSON.stringify({
      id,
      ts: `${day}T${String(id % 24).padStart(2, "0")}:15:00Z`,
      data: { symbol: `S${id % 7}`, price: id / 4 },
      note: id % 11 === 0 ? null : `n ${id}+`,
    }));
  }
  await Deno.writeTextFile(`${dir}/events.ndjson`, lines.join("\n") + "\n");
  try {
    const run = await runCli({
      source: { type: "file", path: `${dir}/events.ndjson`, batch_size: 1000 },
      sink: hdfsSink(base, { partition_by: ["date"], timestamp_field: "ts", compression: "zstd" }),
      telemetry: { log_level: "INFO" },
    });
    equal(run.code, 0, run.log);

    const { files } = await readParquetFiles(base);
    assert(files.length >= 3, `one file per day at least, got ${files.length}`);
    const seen = new Set<number>();
    for (const file of files) {
      const match = /^date=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/.exec(file.path);
      assert(match, `Hive layout: ${file.path}`);
      for (const row of file.rows) {
        const id = Number(row.id);
        assert(!seen.has(id), `row ${id} written twice`);
        seen.add(id);
        equal(isoDay(row.ts), match[1], `row ${id} sits in its own date folder`);
        equal(row.symbol, `S${id % 7}`);
        equal(row.price, id / 4);
        equal(row.note, id % 11 === 0 ? null : `n ${id}+`);
      }
    }
    assertEquals([...seen].sort((a, b) => a - b), Array.from({ length: 2500 }, (_, i) => i));

    // A second run over the same file writes the same file names again: HDFS RENAME must replace, not duplicate.
    const again = await runCli({
      source: { type: "file", path: `${dir}/events.ndjson`, batch_size: 1000 },
      sink: hdfsSink(base, { partition_by: ["date"], timestamp_field: "ts", compression: "zstd" }),
      telemetry: { log_level: "INFO" },
    });
    equal(again.code, 0, again.log);
    const after = await readParquetFiles(base);
    equal(after.files.flatMap((f) => f.rows).length, 2500, "no duplicate rows after a rerun");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await removeTree(base);
  }
});

Deno.test("kafka -> HDFS end to end: two one-shot runs write every message once", async () => {
  await ensureRunning(["kafka"]);
  const base = freshBase("kafka");
  const topic = `fsds-hdfs-e2e-${crypto.randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({
    clientId: "fsds-hdfs-e2e",
    brokers: endpoints().kafka.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  const send = async (from: number, to: number) => {
    const messages = [];
    for (let id = from; id < to; id++) {
      messages.push({
        key: `k${id % 5}`,
        value: JSON.stringify({ id, kind: id % 2 ? "odd" : "even", amount: id * 3 }),
      });
    }
    await producer.send({ topic, messages });
  };
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const config = {
      source: { type: "kafka", bootstrap_servers: endpoints().kafka.brokers, topics: [topic], group_id: topic },
      sink: hdfsSink(base, { partition_by: ["kind"] }),
      telemetry: { log_level: "INFO" },
    };
    await send(0, 700);
    const first = await runCli(config, ["--until-caught-up", "--batch-size", "300"]);
    equal(first.code, 0, first.log);
    await send(700, 1000);
    const second = await runCli(config, ["--until-caught-up", "--batch-size", "300"]);
    equal(second.code, 0, second.log);

    const { files, paths } = await readParquetFiles(base);
    assert(paths.some((p) => p.startsWith("_fsds/journal/")), "the journal lives on HDFS too");
    const ids: number[] = [];
    for (const file of files) {
      const match = /^kind=(odd|even)\/([^/]+)\.parquet$/.exec(file.path);
      assert(match, `Hive layout: ${file.path}`);
      assert(match[2]!.startsWith(`${topic}+`), `file named <stream>+<first position>: ${file.path}`);
      for (const row of file.rows) {
        const id = Number(row.id);
        ids.push(id);
        equal(match[1], id % 2 ? "odd" : "even");
        equal(Number(row.amount), id * 3);
      }
    }
    assertEquals(ids.sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await removeTree(base);
  }
});

Deno.test("redis -> HDFS end to end: a stream and a list drained one-shot, every entry once", async () => {
  await ensureRunning(["redis"]);
  const base = freshBase("redis");
  const tag = crypto.randomUUID().slice(0, 8);
  const stream = `fsds-hdfs-e2e:${tag}:stream`;
  const list = `fsds-hdfs-e2e:${tag}:list`;
  const redis = await adminClient();
  try {
    for (let i = 0; i < 400; i += 50) {
      const commands: Promise<unknown>[] = [];
      for (let id = i; id < i + 50; id++) {
        commands.push(redis.call("XADD", stream, "*", "payload", JSON.stringify({ id, origin: "stream" })));
      }
      await Promise.all(commands);
    }
    const items = Array.from({ length: 250 }, (_, id) => JSON.stringify({ id: 1000 + id, origin: "list" }));
    await redis.call("RPUSH", list, ...items);

    const run = await runCli({
      source: {
        type: "redis",
        ...endpoints().redis,
        stream_keys: [stream],
        list_keys: [list],
        payload_field: "payload",
        consumer_group: `g${tag}`,
        batch_size: 150,
      },
      sink: hdfsSink(base, { partition_by: ["origin"] }),
      telemetry: { log_level: "INFO" },
    }, ["--until-caught-up"]);
    equal(run.code, 0, run.log);

    const { files } = await readParquetFiles(base);
    const ids: number[] = [];
    for (const file of files) {
      const match = /^origin=(stream|list)\/[^/]+\.parquet$/.exec(file.path);
      assert(match, `Hive layout: ${file.path}`);
      for (const row of file.rows) {
        ids.push(Number(row.id));
        equal(row.origin, match[1]);
      }
    }
    const expected = [...Array.from({ length: 400 }, (_, i) => i), ...Array.from({ length: 250 }, (_, i) => 1000 + i)];
    assertEquals(ids.sort((a, b) => a - b), expected);
  } finally {
    await redis.call("DEL", stream, list);
    redis.close();
    await removeTree(base);
  }
});

Deno.test("kafka -> HDFS with HDFS stopped mid-run: nothing acknowledged past what is durable, all rows once after", async () => {
  const base = freshBase("kafka-outage");
  try {
    await kafkaToSinkWithOutage({
      service: "hdfs",
      sink: hdfsSink(base, { max_retries: 1, timeout_ms: 10_000 }),
      total: 10_000,
      readIds: async () => (await readParquetFiles(base)).files.flatMap((f) => f.rows.map((r) => Number(r.id))),
    });
  } finally {
    await removeTree(base);
  }
});
