/**
 * The chaos scenario ("exactly once at the edges"), shared by `tests/chaos_test.ts` (a size CI can afford) and
 * `tests/chaos.ts` (`deno task chaos`, bigger): for one pipeline (Kafka -> S3, Redis stream -> HDFS, Redis list ->
 * local) records with unique ids are produced, the real CLI runs continuously and is killed with SIGKILL at moments
 * drawn from a seeded PRNG, each time while it is writing (after the first batch written since its start, plus a
 * random 0-1500 ms), and restarted; then one run lives through an outage of each of its servers (the source's, then
 * the sink's, each stopped for a few seconds while the run reads or writes, then started again) and is stopped with
 * SIGTERM; a one-shot run finishes the work. Everything written is then read back with
 * DuckDB (objects and HDFS files are downloaded first, without the sink's code) and must hold every id exactly once.
 * The seed and every kill are printed on stderr, so a failing run is repeated with `FSDS_CHAOS_SEED` or `--seed`.
 * @module
 */
import assert, { equal } from "node:assert/strict";
import { DeleteObjectsCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { committedOffsets, createTopic, deleteTopics, jsonMessages, produce, uniqueName } from "../kafka_helpers.ts";
import { addEntries, adminClient, pendingCount, uniqueKey } from "../redis_helpers.ts";
import { readWithDuckDB } from "../readers/mod.ts";
import { endpoints, kitS3Sink, type ServiceName, startService, stopService } from "../services/endpoints.ts";
import { listKeysOf } from "../../src/sources/redis/lists.ts";
import { LineSplitter } from "./sink_outage.ts";
import { hdfsTree, rawS3Client, s3KeysUnder, webhdfs } from "./raw_stores.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
/** What the pipeline logs once a batch's files are durable. */
const WROTE_BATCH = /Wrote batch \d+: (\d+) records?\b/;
/** The suffix of the sinks' temporary files. */
const TEMP_SUFFIX = ".fsds-tmp";
/** The longest a run may take to write its first batch after a start (a Kafka restart waits for a session). */
const FIRST_BATCH_TIMEOUT_MS = 90_000;
/** The longest the final one-shot run may take. */
const ONE_SHOT_TIMEOUT_MS = 180_000;
/** Kill moments fall this many milliseconds at most after the batch that triggers them. */
const MAX_KILL_DELAY_MS = 500;
/** Records per batch (`source.batch_size`). */
const BATCH_SIZE = 200;
/** The Redis consumer group (the source's default). */
const REDIS_GROUP = "fs-data-sink";
/** How long each server of a pipeline is down in the outage run. */
const OUTAGE_MS = 5000;
/** After the outages, how long the run may take to write what was produced meanwhile. */
const CATCH_UP_TIMEOUT_MS = 120_000;
/** The Redis consumer name, stable across restarts so a restarted run finds its pending work. */
const REDIS_CONSUMER = "chaos";

/** The three pipelines of the scenario. */
export const CHAOS_PIPELINES = ["kafka-s3", "redis-stream-hdfs", "redis-list-local"] as const;

/** One pipeline of the scenario. */
export type ChaosPipeline = typeof CHAOS_PIPELINES[number];

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions {
  /** Seed of the kill moments. */
  readonly seed: number;
  /** Records to produce, each with a unique id. */
  readonly records: number;
  /** SIGKILLs before the final one-shot run. */
  readonly kills: number;
  /** Run one continuous run through an outage of each server of the pipeline (default true). */
  readonly outages?: boolean;
}

/** What {@linkcode runChaos} checked. */
export interface ChaosReport {
  /** The pipeline. */
  readonly pipeline: ChaosPipeline;
  /** Rows read back. */
  readonly rows: number;
  /** Distinct ids among them. */
  readonly distinct: number;
  /** Milliseconds after the first batch of each run at which it was killed. */
  readonly killDelaysMs: number[];
  /** Records the killed runs reported durable, per run (replays of a cut-short batch count again). */
  readonly writtenPerRun: number[];
  /** Wall time of the scenario in seconds. */
  readonly seconds: number;
}

/** The seed: `FSDS_CHAOS_SEED` when set, else a random one (printed by {@linkcode runChaos} either way). */
export function chaosSeed(): number {
  const text = Deno.env.get("FSDS_CHAOS_SEED");
  if (text === undefined || text === "") return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Cannot use FSDS_CHAOS_SEED: "${text}" is not an integer`);
  return seed;
}

/** A small seeded PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a pipeline provides to the scenario. */
interface Fixture {
  /** The kit's servers the pipeline uses: its source's, then its sink's (none for a local folder). */
  readonly servers: readonly ServiceName[];
  /** The configuration of the runs (continuous). */
  readonly config: Record<string, unknown>;
  /** The id column of the rows. */
  readonly idColumn: string;
  /** Produces records `from`..`to - 1`. */
  produce(from: number, to: number): Promise<void>;
  /** Copies every data file into `dir` (local files are read in place) and returns the folder DuckDB reads. */
  download(dir: string): Promise<{ folder: string; temps: string[] }>;
  /** Records produced so far that the source holds unacknowledged (read or not): the work a kill cut short. */
  unacknowledged(produced: number): Promise<number>;
  /** Checks the source's side after the final run: everything acknowledged. */
  checkAcknowledged(): Promise<void>;
  /** Deletes what the pipeline made. */
  cleanup(): Promise<void>;
}

function say(line: string): void {
  console.error(`chaos: ${line}`);
}

/** Runs the scenario for `pipeline`; throws an AssertionError naming what went wrong. */
export async function runChaos(pipeline: ChaosPipeline, options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  // One sequence per pipeline, so a pipeline's kills repeat with the seed whichever pipelines run before it.
  const random = seededRandom(options.seed + CHAOS_PIPELINES.indexOf(pipeline));
  say(
    `${pipeline}: seed ${options.seed} (FSDS_CHAOS_SEED=${options.seed}), ${options.records} records, ${options.kills} kills`,
  );
  const dir = await Deno.makeTempDir({ prefix: `fsds-chaos-${pipeline}-` });
  const fixture = await makeFixture(pipeline, dir, options.records);
  try {
    const configFile = `${dir}/config.json`;
    await Deno.writeTextFile(configFile, JSON.stringify(fixture.config, null, 2));
    const killDelaysMs: number[] = [];
    const writtenPerRun: number[] = [];
    // The records arrive in one chunk per run (the last one for the final run), so every run starts with a
    // backlog; it is killed after its first durable batch and a random delay, in the middle of the next batches'
    // reads, encoding, writes and acknowledgements.
    const outages = options.outages ?? true;
    const chunk = Math.ceil(options.records / (options.kills + (outages ? 2 : 1)));
    for (let run = 0; run < options.kills; run++) {
      await produceRange(fixture, run * chunk, (run + 1) * chunk, options.records);
      const delay = Math.floor(random() * (MAX_KILL_DELAY_MS + 1));
      const label = `${pipeline} run ${run + 1}/${options.kills}`;
      const written = await killWhileWriting(configFile, { afterBatches: 1, delayMs: delay, label });
      const produced = Math.min(options.records, (run + 1) * chunk);
      say(`${label}: ${await fixture.unacknowledged(produced)} of ${produced} records unacknowledged after the kill`);
      killDelaysMs.push(delay);
      writtenPerRun.push(written);
    }
    let producedBefore = options.kills * chunk;
    if (outages) {
      const half = Math.ceil(chunk / 2);
      await produceRange(fixture, producedBefore, producedBefore + half, options.records);
      await outagesWhileRunning(configFile, fixture, {
        label: `${pipeline} outage run`,
        produceMeanwhile: () => produceRange(fixture, producedBefore + half, producedBefore + chunk, options.records),
        expected: Math.min(options.records, producedBefore + chunk) - producedBefore,
      });
      producedBefore += chunk;
    }
    await produceRange(fixture, producedBefore, options.records, options.records);
    say(`${pipeline}: final one-shot run`);
    const final = await runOneShot(configFile);
    equal(final.code, 0, `the final one-shot run exits 0; its log ends:\n${final.tail}`);
    const { folder, temps } = await fixture.download(`${dir}/download`);
    assert.deepEqual(temps, [], "no temporary file is left after the final run");
    const id = fixture.idColumn;
    const result = await readWithDuckDB(`${folder}/**/*.parquet`, {
      sql: `SELECT count(*)::BIGINT AS n, count(DISTINCT "${id}")::BIGINT AS d, min("${id}")::BIGINT AS lo, ` +
        `max("${id}")::BIGINT AS hi FROM data`,
    });
    const row = result.rows[0] ?? {};
    const [rows, distinct] = [Number(row.n), Number(row.d)];
    say(
      `${pipeline}: ${rows} rows, ${distinct} distinct ids (${row.lo}..${row.hi}), written per killed run ${writtenPerRun}`,
    );
    equal(distinct, options.records, `every id arrives (seed ${options.seed})`);
    equal(rows, options.records, `no id is written twice (seed ${options.seed})`);
    equal([Number(row.lo), Number(row.hi)].join(".."), `0..${options.records - 1}`, "the ids are the ones produced");
    await fixture.checkAcknowledged();
    const seconds = (Date.now() - started) / 1000;
    say(`${pipeline}: passed in ${seconds.toFixed(1)} s`);
    return { pipeline, rows, distinct, killDelaysMs, writtenPerRun, seconds };
  } finally {
    await fixture.cleanup().catch((error) => say(`${pipeline}: cleanup failed: ${error}`));
    await Deno.remove(dir, { recursive: true });
  }
}

/** Produces records `from`..`to - 1`, none past `records`. */
async function produceRange(fixture: Fixture, from: number, to: number, records: number): Promise<void> {
  if (Math.min(to, records) > from) await fixture.produce(from, Math.min(to, records));
}

function spawnCli(configFile: string, flags: string[], signal?: AbortSignal): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "main.ts", "run", "--config", configFile, ...flags],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal,
  }).spawn();
}

/** Keeps the last lines of a log for error messages. */
class Tail {
  readonly #lines: string[] = [];
  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > 40) this.#lines.shift();
  }
  toString(): string {
    return this.#lines.join("\n");
  }
}

/** A continuous run of the CLI whose log is followed: durable records and batches, the last lines, its exit. */
class WatchedRun {
  readonly child: Deno.ChildProcess;
  readonly tail = new Tail();
  readonly reading: Promise<void>;
  written = 0;
  batches = 0;
  exited = false;

  constructor(configFile: string) {
    const child = spawnCli(configFile, []);
    this.child = child;
    child.status.then(() => this.exited = true);
    this.reading = (async () => {
      const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new LineSplitter());
      for await (const line of lines) {
        this.tail.push(line);
        const wrote = WROTE_BATCH.exec(line);
        if (wrote) {
          this.written += Number(wrote[1]);
          this.batches++;
        }
      }
    })();
  }
}

/** When {@linkcode killWhileWriting} kills. */
interface KillOptions {
  /** Kill once the run reported this many durable batches... */
  readonly afterBatches: number;
  /** ...and this many milliseconds later. */
  readonly delayMs: number;
  /** Names the run on stderr. */
  readonly label: string;
}

/**
 * Starts a continuous run, waits (bounded) for its `afterBatches`-th durable batch, then `delayMs` more, and kills
 * it with SIGKILL. Returns the records the run reported durable.
 */
async function killWhileWriting(configFile: string, options: KillOptions): Promise<number> {
  const run = new WatchedRun(configFile);
  const started = Date.now();
  while (run.batches < options.afterBatches) {
    if (run.exited) {
      await run.reading;
      throw new Error(`${options.label}: the run exited before it was killed; its log ends:\n${run.tail}`);
    }
    if (run.batches === 0 && Date.now() - started > FIRST_BATCH_TIMEOUT_MS) {
      run.child.kill("SIGKILL");
      await run.child.status;
      await run.reading;
      throw new Error(
        `${options.label}: no batch written in ${FIRST_BATCH_TIMEOUT_MS} ms; the log ends:\n${run.tail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  run.child.kill("SIGKILL");
  const status = await run.child.status;
  await run.reading;
  const when = `${options.delayMs} ms after batch ${options.afterBatches}`;
  say(
    `${options.label}: SIGKILL ${when} (${
      ((Date.now() - started) / 1000).toFixed(1)
    } s after start, signal ${status.signal}), ${run.written} records durable`,
  );
  return run.written;
}

/** What {@linkcode outagesWhileRunning} does besides the outages. */
interface OutageOptions {
  /** Names the run on stderr. */
  readonly label: string;
  /** Produces more records while the sink's server is down (after the outages when the sink has none). */
  readonly produceMeanwhile: () => Promise<void>;
  /** Records the run should report durable (at least) before it is stopped. */
  readonly expected: number;
}

/**
 * Starts a continuous run and, after its first durable batch, stops each server of the pipeline in turn for
 * `OUTAGE_MS` and starts it again (the source's while the run reads; the sink's while it has records to write, since
 * more are produced meanwhile, or after the outage for a local sink); once the run has written what was produced it is stopped with SIGTERM and must exit 0.
 */
async function outagesWhileRunning(configFile: string, fixture: Fixture, options: OutageOptions): Promise<void> {
  const run = new WatchedRun(configFile);
  const down = new Set<ServiceName>();
  try {
    const started = Date.now();
    while (run.written === 0) {
      if (run.exited || Date.now() - started > FIRST_BATCH_TIMEOUT_MS) {
        throw new Error(`${options.label}: no batch written before the outages; the log ends:
${run.tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const servers = fixture.servers;
    for (const [i, server] of servers.entries()) {
      say(`${options.label}: ${server} down for ${OUTAGE_MS} ms (${run.written} records durable so far)`);
      await stopService(server);
      down.add(server);
      // The source is up again while the sink is down: the run reads what is produced then and cannot write it.
      if (i === 1) await options.produceMeanwhile();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await startService(server);
      down.delete(server);
      if (run.exited) {
        throw new Error(`${options.label}: the run exited during the ${server} outage:
${run.tail}`);
      }
    }
    if (servers.length === 1) await options.produceMeanwhile();
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    while (run.written < options.expected && !run.exited && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    run.child.kill("SIGTERM");
    const status = await run.child.status;
    await run.reading;
    say(`${options.label}: stopped with SIGTERM, exit ${status.code}, ${run.written} records durable`);
    equal(status.code, 0, `${options.label} exits 0 after the outages; its log ends:\n${run.tail}`);
    assert(
      run.written >= options.expected,
      `${options.label} wrote what was produced (${run.written} of ${options.expected})`,
    );
  } finally {
    for (const server of down) await startService(server);
    if (!run.exited) {
      run.child.kill("SIGKILL");
      await run.child.status;
    }
    await run.reading.catch(() => {});
  }
}

/** The final `--until-caught-up` run, bounded in time. */
async function runOneShot(configFile: string): Promise<{ code: number; tail: string }> {
  const child = spawnCli(configFile, ["--until-caught-up"], AbortSignal.timeout(ONE_SHOT_TIMEOUT_MS));
  const tail = new Tail();
  for await (const line of child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new LineSplitter())) {
    tail.push(line);
  }
  const status = await child.status;
  return { code: status.code, tail: tail.toString() };
}

function pipelineSection(): Record<string, unknown> {
  return { batch_timeout_seconds: 1 };
}

async function makeFixture(pipeline: ChaosPipeline, dir: string, records: number): Promise<Fixture> {
  switch (pipeline) {
    case "kafka-s3":
      return await kafkaToS3(records);
    case "redis-stream-hdfs":
      return redisStreamToHdfs();
    case "redis-list-local":
      return redisListToLocal(dir);
  }
}

/** A flat local name for a remote data file (its path below the base, `/` replaced). */
function localName(path: string): string {
  return path.replaceAll("/", "__");
}

function isDataFile(path: string): boolean {
  return path.endsWith(".parquet") && !path.startsWith("_fsds/") && !path.startsWith("_dead_letter/");
}

async function kafkaToS3(records: number): Promise<Fixture> {
  const topic = await createTopic("chaos", 3);
  const group = uniqueName("chaos-group");
  const prefix = `chaos/${topic}`;
  const s3 = endpoints().s3;
  return {
    servers: ["kafka", "s3"],
    config: {
      source: {
        type: "kafka",
        bootstrap_servers: endpoints().kafka.brokers,
        topics: [topic],
        group_id: group,
        batch_size: BATCH_SIZE,
        progress: "log",
        // A killed member stays in the group until its session expires: keep that short.
        extra_config: { "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000 },
      },
      sink: kitS3Sink(prefix),
      telemetry: { log_level: "INFO", enabled: false },
      pipeline: pipelineSection(),
    },
    idColumn: "n",
    produce: (from, to) => produce(topic, jsonMessages(to - from, 3, from)),
    async download(folder) {
      await Deno.mkdir(folder, { recursive: true });
      const client = rawS3Client();
      try {
        const paths = (await s3KeysUnder(client, prefix)).map((key) => key.slice(prefix.length + 1));
        for (const path of paths.filter(isDataFile)) {
          const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${path}` }));
          await Deno.writeFile(`${folder}/${localName(path)}`, await object.Body!.transformToByteArray());
        }
        return { folder, temps: paths.filter((path) => path.endsWith(TEMP_SUFFIX)) };
      } finally {
        client.destroy();
      }
    },
    async unacknowledged(produced) {
      const offsets = await committedOffsets(group, topic);
      return produced - Object.values(offsets).reduce((sum, offset) => sum + Math.max(0, offset), 0);
    },
    async checkAcknowledged() {
      const offsets = await committedOffsets(group, topic);
      const total = Object.values(offsets).reduce((sum, offset) => sum + Math.max(0, offset), 0);
      equal(total, records, `the group's committed offsets sum to the records produced: ${JSON.stringify(offsets)}`);
    },
    async cleanup() {
      await deleteTopics(topic);
      const client = rawS3Client();
      try {
        const keys = await s3KeysUnder(client, prefix);
        for (let i = 0; i < keys.length; i += 1000) {
          const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
          await client.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: batch } }));
        }
      } finally {
        client.destroy();
      }
    },
  };
}

/** Deletes the Redis keys named `key` or starting with `key:` (the source's bookkeeping). */
async function deleteRedisKeys(key: string): Promise<void> {
  const client = await adminClient();
  try {
    const found: string[] = [key];
    let cursor = "0";
    do {
      const [next, keys] = await client.call("SCAN", cursor, "MATCH", `${key}:*`, "COUNT", "1000") as [
        string,
        string[],
      ];
      found.push(...keys);
      cursor = next;
    } while (cursor !== "0");
    for (let i = 0; i < found.length; i += 500) await client.call("DEL", ...found.slice(i, i + 500));
  } finally {
    client.close();
  }
}

function redisSource(section: Record<string, unknown>): Record<string, unknown> {
  const { host, port } = endpoints().redis;
  return { type: "redis", host, port, consumer_name: REDIS_CONSUMER, batch_size: BATCH_SIZE, ...section };
}

function redisStreamToHdfs(): Fixture {
  const stream = uniqueKey("chaos-stream");
  const { url, user, home } = endpoints().hdfs;
  const base = `${home}/chaos-${crypto.randomUUID().slice(0, 8)}`;
  return {
    servers: ["redis", "hdfs"],
    config: {
      source: redisSource({ stream_keys: [stream], payload_field: "data" }),
      sink: { type: "hdfs", url, user, base_path: base },
      telemetry: { log_level: "INFO", enabled: false },
      pipeline: pipelineSection(),
    },
    idColumn: "id",
    async produce(from, to) {
      const client = await adminClient();
      try {
        await addEntries(client, stream, to - from, (i) => ({ data: JSON.stringify({ id: from + i }) }));
      } finally {
        client.close();
      }
    },
    async download(folder) {
      await Deno.mkdir(folder, { recursive: true });
      const paths = (await hdfsTree(base)).map((path) => path.slice(base.length + 1));
      for (const path of paths.filter(isDataFile)) {
        const response = await webhdfs(`${base}/${path}`, "OPEN");
        assert(response.ok, `OPEN ${path}: ${response.status}`);
        await Deno.writeFile(`${folder}/${localName(path)}`, new Uint8Array(await response.arrayBuffer()));
      }
      return { folder, temps: paths.filter((path) => path.endsWith(TEMP_SUFFIX)) };
    },
    async unacknowledged(produced) {
      const client = await adminClient();
      try {
        const lastAcked = (await client.call("XINFO", "GROUPS", stream) as unknown[][])[0];
        const entriesRead = Number(lastAcked?.[lastAcked.indexOf("entries-read") + 1] ?? 0);
        return produced - entriesRead + await pendingCount(client, stream, REDIS_GROUP);
      } finally {
        client.close();
      }
    },
    async checkAcknowledged() {
      const client = await adminClient();
      try {
        equal(await pendingCount(client, stream, REDIS_GROUP), 0, "no stream entry is left pending");
      } finally {
        client.close();
      }
    },
    async cleanup() {
      await deleteRedisKeys(stream);
      const response = await webhdfs(base, "DELETE&recursive=true", "DELETE");
      await response.body?.cancel();
    },
  };
}

async function localTemps(folder: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const full = `${folder}/${entry.name}`;
    if (entry.isDirectory) out.push(...await localTemps(full));
    else if (entry.name.endsWith(TEMP_SUFFIX)) out.push(full);
  }
  return out;
}

function redisListToLocal(dir: string): Fixture {
  const list = uniqueKey("chaos-list");
  const out = `${dir}/out`;
  return {
    servers: ["redis"],
    config: {
      source: redisSource({ list_keys: [list] }),
      sink: { type: "local", path: out },
      telemetry: { log_level: "INFO", enabled: false },
      pipeline: pipelineSection(),
    },
    idColumn: "id",
    async produce(from, to) {
      const client = await adminClient();
      try {
        for (let start = from; start < to; start += 1000) {
          const items = Array.from({ length: Math.min(1000, to - start) }, (_, i) => JSON.stringify({ id: start + i }));
          await client.call("RPUSH", list, ...items);
        }
      } finally {
        client.close();
      }
    },
    async download() {
      return { folder: out, temps: await localTemps(out) };
    },
    async unacknowledged() {
      const client = await adminClient();
      try {
        const processing = listKeysOf(list, REDIS_GROUP, REDIS_CONSUMER).processing;
        return Number(await client.call("LLEN", list)) + Number(await client.call("LLEN", processing));
      } finally {
        client.close();
      }
    },
    async checkAcknowledged() {
      const client = await adminClient();
      try {
        equal(await client.call("LLEN", list), 0, "the list is drained");
        const processing = listKeysOf(list, REDIS_GROUP, REDIS_CONSUMER).processing;
        equal(await client.call("LLEN", processing), 0, "no item is left in the processing list");
      } finally {
        client.close();
      }
    },
    cleanup: () => deleteRedisKeys(list),
  };
}
