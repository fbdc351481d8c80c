/**
 * End-to-end tests of the Kafka source: the real CLI (`main.ts run`) moves records from the kit's broker into a
 * local folder; the Parquet files are then decoded independently and every row is checked against what was
 * produced (exactly once, with its topic, partition and offset), as are the group's committed offsets.
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { decodeParquet } from "../src/parquet/writer.ts";
import { cli, finish, runOnce, until, writeConfig } from "./helpers/kafka_cli.ts";
import {
  committedOffsets,
  createTopic,
  deleteTopics,
  jsonMessages,
  produce,
  recreateTopic,
  uniqueName,
  withAdmin,
} from "./kafka_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A row read back from a Parquet file, with the file it came from. */
interface Row {
  readonly file: string;
  readonly [column: string]: unknown;
}

/** Every row of every Parquet file below `dir` (journals and dead letters aside). */
async function readRows(dir: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const file of await walk(dir)) {
    if (!file.endsWith(".parquet") || file.includes("/_fsds/") || file.includes("/_dead_letter/")) continue;
    const table = decodeParquet(await Deno.readFile(`${dir}/${file}`));
    for (const row of table.toArray()) {
      // JSON integers arrive as int64 columns: compare them as numbers.
      const values = Object.entries(row.toJSON() as Record<string, unknown>)
        .map(([key, value]) => [key, typeof value === "bigint" ? Number(value) : value]);
      rows.push({ file, ...Object.fromEntries(values) });
    }
  }
  return rows;
}

async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory) out.push(...await walk(dir, path));
      else out.push(path);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort();
}

/** `topic+partition+offset` of every row; fails on a duplicate. */
function keysOf(rows: readonly Row[]): string[] {
  const keys = rows.map((row) => `${row.kafka_topic}+${row.kafka_partition}+${row.kafka_offset}`);
  const unique = new Set(keys);
  assert.equal(unique.size, keys.length, `no record written twice (${keys.length - unique.size} duplicates)`);
  return keys;
}

function expectedKeys(topic: string, counts: Record<number, number>): string[] {
  return Object.entries(counts).flatMap(([partition, count]) =>
    Array.from({ length: count }, (_, offset) => `${topic}+${partition}+${offset}`)
  );
}

// On the main thread and in worker threads (the default depends on the machine's cores, see defaultWorkers()).
for (const workers of [0, 2]) {
  Deno.test(
    `kafka to local: multi-topic, multi-partition one-shot drain writes each record once, then only new ones (workers: ${workers})`,
    opts,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
      const orders = await createTopic("orders", 3);
      const trades = await createTopic("trades", 2);
      const group = uniqueName("group");
      try {
        await produce(orders, jsonMessages(300, 3));
        await produce(trades, jsonMessages(100, 2));
        const file = await writeConfig(dir, { topics: [orders, trades], group_id: group, batch_size: 40 }, { workers });
        const first = await runOnce(file);
        assert.equal(first.code, 0, first.stderr);
        const rows = await readRows(`${dir}/out`);
        assert.deepEqual(
          keysOf(rows).sort(),
          [...expectedKeys(orders, { 0: 100, 1: 100, 2: 100 }), ...expectedKeys(trades, { 0: 50, 1: 50 })].sort(),
        );
        for (const row of rows) {
          const n = row.n as number;
          const topic = row.kafka_topic as string;
          const partitions = topic === orders ? 3 : 2;
          assert.equal(n % partitions, row.kafka_partition, "payload matches its partition");
          assert.equal(row.kafka_offset, Math.floor(n / partitions), "payload matches its offset");
          assert.match(row.file, new RegExp(`${topic}\\+${row.kafka_partition}\\+\\d{20}\\.parquet$`));
        }
        const files = new Set(rows.map((row) => row.file));
        assert.ok(files.size >= 3 * 3 + 2 * 2, `files are cut at batch_size (${files.size} files)`);
        assert.deepEqual(await committedOffsets(group, orders), { 0: 100, 1: 100, 2: 100 });
        assert.deepEqual(await committedOffsets(group, trades), { 0: 50, 1: 50 });

        await produce(orders, [{ partition: 2, value: '{"n":"late"}' }]);
        const second = await runOnce(file);
        assert.equal(second.code, 0, second.stderr);
        const after = await readRows(`${dir}/out`);
        const fresh = after.filter((row) => !files.has(row.file));
        assert.deepEqual(fresh.map((row) => [row.kafka_topic, row.kafka_partition, row.kafka_offset, row.n]), [
          [orders, 2, 100, "late"],
        ]);
        assert.equal(keysOf(after).length, 401);
      } finally {
        await deleteTopics(orders, trades);
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

Deno.test(
  "kafka to local: kill -9 in the middle of a run, restart, every record appears exactly once",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
    const topic = await createTopic("crash", 2);
    const group = uniqueName("group");
    try {
      await produce(topic, jsonMessages(20_000, 2));
      // The killed member stays in the group until its session times out: keep that short (covers extra_config too).
      const file = await writeConfig(dir, {
        topics: [topic],
        group_id: group,
        batch_size: 500,
        extra_config: { "session.timeout.ms": 8000, "heartbeat.interval.ms": 1000 },
      });
      const child = cli(file);
      await until("some files are written", async () => (await walk(`${dir}/out`)).some((f) => f.endsWith(".parquet")));
      child.kill("SIGKILL");
      const killed = await finish(child);
      assert.notEqual(killed.code, 0);
      const partial = (await readRows(`${dir}/out`)).length;
      assert.ok(partial < 20_000, `the run was interrupted (${partial} rows written)`);
      const restart = await runOnce(file);
      assert.equal(restart.code, 0, restart.stderr);
      const rows = await readRows(`${dir}/out`);
      assert.deepEqual(keysOf(rows).sort(), expectedKeys(topic, { 0: 10_000, 1: 10_000 }).sort());
      assert.deepEqual(await committedOffsets(group, topic), { 0: 10_000, 1: 10_000 });
    } finally {
      await deleteTopics(topic);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "kafka to local: a continuous run stopped with SIGTERM writes what it holds; a restart resumes",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
    const topic = await createTopic("service", 3);
    const group = uniqueName("group");
    try {
      const file = await writeConfig(dir, { topics: [topic], group_id: group, batch_size: 1000 }, {
        batch_timeout_seconds: 60,
      });
      const child = cli(file);
      await until("the consumer joined", async () => {
        const offsets = await committedOffsets(group, topic).catch(() => ({}));
        return Object.keys(offsets).length > 0;
      });
      await produce(topic, jsonMessages(600, 3));
      // Nothing is due yet (batch_size 1000, timeout 60 s): the records are in hand when the stop signal comes.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      child.kill("SIGTERM");
      const stopped = await finish(child);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(keysOf(await readRows(`${dir}/out`)).length, 600, "the stop wrote what was in hand");
      assert.deepEqual(await committedOffsets(group, topic), { 0: 200, 1: 200, 2: 200 });
      await produce(topic, jsonMessages(300, 3, 600));
      const resumed = await runOnce(file);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(
        keysOf(await readRows(`${dir}/out`)).sort(),
        expectedKeys(topic, { 0: 300, 1: 300, 2: 300 }).sort(),
      );
    } finally {
      await deleteTopics(topic);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "kafka to local: two instances in one group split the partitions and write each record once",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
    const topic = await createTopic("scaleout", 4);
    const group = uniqueName("group");
    try {
      const file = await writeConfig(dir, { topics: [topic], group_id: group, batch_size: 250 });
      const a = cli(file);
      const b = cli(file);
      await until("both instances are members of the group", async () => {
        const { groups } = await withAdmin((admin) => admin.describeGroups([group]));
        return groups[0]?.state === "Stable" && groups[0]?.members.length === 2;
      });
      await produce(topic, jsonMessages(8000, 4));
      await until("every partition is committed to its end", async () => {
        const offsets = await committedOffsets(group, topic);
        return [0, 1, 2, 3].every((p) => offsets[p] === 2000);
      });
      a.kill("SIGTERM");
      b.kill("SIGTERM");
      const [ra, rb] = [await finish(a), await finish(b)];
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(rb.code, 0, rb.stderr);
      for (const run of [ra, rb]) {
        assert.match(
          run.stderr,
          /partitions assigned.*partitions=2/,
          `each instance held two partitions:\n${run.stderr}`,
        );
      }
      assert.deepEqual(
        keysOf(await readRows(`${dir}/out`)).sort(),
        expectedKeys(topic, { 0: 2000, 1: 2000, 2: 2000, 3: 2000 }).sort(),
      );
    } finally {
      await deleteTopics(topic);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("kafka to local: poison messages under each error policy", opts, async () => {
  const topic = await createTopic("poison", 1);
  try {
    await produce(topic, [
      { value: '{"ok":1}' },
      { value: "{not json" },
      { value: '{"ok":2}' },
      { value: Buffer.from([0xc1, 0xff]) },
      { value: '{"ok":3}' },
    ]);
    for (const policy of ["log", "ignore", "dead_letter", "raise"] as const) {
      const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
      const group = uniqueName(`group-${policy}`);
      try {
        const file = await writeConfig(dir, { topics: [topic], group_id: group }, { error_handling: policy });
        const run = await runOnce(file);
        const rows = await readRows(`${dir}/out`);
        const committed = await committedOffsets(group, topic);
        if (policy === "raise") {
          assert.equal(run.code, 1, run.stderr);
          assert.match(run.stderr, new RegExp(`topic \\\\?"${topic}\\\\?" partition 0 offset 1`));
          assert.ok((committed[0] ?? -1) <= 1, "nothing committed past the poison message");
          continue;
        }
        // Records skipped under `log` end the run with exit 3; `ignore` and `dead_letter` keep 0.
        assert.equal(run.code, policy === "log" ? 3 : 0, `${policy}: ${run.stderr}`);
        assert.deepEqual(rows.map((row) => row.ok), [1, 2, 3], policy);
        assert.deepEqual(committed, { 0: 5 }, policy);
        const letters = (await walk(`${dir}/out`)).filter((f) => f.includes("_dead_letter/"));
        if (policy === "dead_letter") assert.ok(letters.length > 0, "dead letters written");
        else assert.deepEqual(letters, []);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  } finally {
    await deleteTopics(topic);
  }
});

Deno.test("kafka to local: MessagePack, JSON and Arrow IPC payloads", opts, async () => {
  const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
  const mixed = await createTopic("auto", 1);
  const arrow = await createTopic("arrow", 1);
  try {
    await produce(mixed, [
      { value: Buffer.from(encodeMsgpack({ id: 1, name: "packed", data: { price: 1.5 } })) },
      { value: JSON.stringify({ id: 2, name: "json", data: { price: 2.5 } }) },
    ]);
    const ipc = tableToIPC(tableFromArrays({ id: Int32Array.from([10, 11]), name: ["x", "y"] }), "stream");
    await produce(arrow, [{ value: Buffer.from(ipc) }]);
    const autoFile = await writeConfig(dir, { topics: [mixed], group_id: uniqueName("g"), value_format: "auto" });
    const autoRun = await runOnce(autoFile);
    assert.equal(autoRun.code, 0, autoRun.stderr);
    const arrowDir = `${dir}/arrow`;
    await Deno.mkdir(arrowDir);
    const arrowFile = await writeConfig(arrowDir, {
      topics: [arrow],
      group_id: uniqueName("g"),
      value_format: "arrow_ipc",
    });
    const arrowRun = await runOnce(arrowFile);
    assert.equal(arrowRun.code, 0, arrowRun.stderr);
    const autoRows = (await readRows(`${dir}/out`)).sort((a, b) => (a.id as number) - (b.id as number));
    assert.deepEqual(autoRows.map((row) => [row.id, row.name, row.price]), [[1, "packed", 1.5], [2, "json", 2.5]]);
    const arrowRows = await readRows(`${arrowDir}/out`);
    assert.deepEqual(arrowRows.map((row) => [row.id, row.name, row.kafka_offset]), [[10, "x", 0], [
      11,
      "y",
      0,
    ]]);
  } finally {
    await deleteTopics(mixed, arrow);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "kafka to local: one-shot waits for partitions another member holds, drains them once it dies, exit 0 with all",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
    const topic = await createTopic("held", 3);
    const group = uniqueName("group");
    // Another instance joins first and holds every partition without committing (its batch stays open), then is
    // killed: a dead member whose session has not expired yet, as after a crash.
    await Deno.mkdir(`${dir}/holder`);
    const holderConfig = await writeConfig(`${dir}/holder`, {
      topics: [topic],
      group_id: group,
      batch_size: 100_000,
      extra_config: { "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000 },
    }, { batch_timeout_seconds: 3600 });
    let holder: Deno.ChildProcess | undefined;
    try {
      await produce(topic, jsonMessages(3_000, 3));
      holder = cli(holderConfig);
      await until("the other member holds the partitions", () =>
        withAdmin(async (admin) => {
          const [described] = (await admin.describeGroups([group])).groups;
          return described?.state === "Stable" && described.members.length === 1;
        }));
      const file = await writeConfig(dir, {
        topics: [topic],
        group_id: group,
        batch_size: 500,
        extra_config: { "session.timeout.ms": 8000, "heartbeat.interval.ms": 1000 },
      });
      const run = cli(file, ["--until-caught-up"]);
      // Long enough for the run to take its share and finish it; the other member still holds the rest.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      holder.kill("SIGKILL");
      const held = holder;
      holder = undefined;
      assert.notEqual((await finish(held)).code, 0);
      const done = await finish(run);
      assert.equal(done.code, 0, done.stderr);
      const rows = await readRows(`${dir}/out`);
      assert.deepEqual(keysOf(rows).sort(), expectedKeys(topic, { 0: 1_000, 1: 1_000, 2: 1_000 }).sort());
      assert.deepEqual(await committedOffsets(group, topic), { 0: 1_000, 1: 1_000, 2: 1_000 });
      assert.match(done.stderr, /waiting for partitions held by another member/);
    } finally {
      try {
        holder?.kill("SIGKILL");
      } catch { /* already gone */ }
      await holder?.output();
      await deleteTopics(topic);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/**
 * One batch of 100 records (offsets 0..99) is written and committed; then, with the tool stopped, the topic is deleted
 * and recreated with `fresh` records, which start at offset 0 again like the old batch. The second one-shot run must
 * write every new record once and keep the earlier file, with a warning.
 */
async function recreatedWhileStopped(fresh: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
  const topic = await createTopic("recreated", 1);
  const group = uniqueName("group");
  try {
    await produce(topic, jsonMessages(100, 1));
    const file = await writeConfig(dir, { topics: [topic], group_id: group, batch_size: 1000 });
    const first = await runOnce(file);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await readRows(`${dir}/out`)).length, 100, "one batch, offsets 0..99");
    await recreateTopic(topic, 1);
    await produce(topic, jsonMessages(fresh, 1, 1000));
    const second = await runOnce(file);
    assert.equal(second.code, 0, second.stderr);
    const rows = await readRows(`${dir}/out`);
    const written = rows.filter((row) => Number(row.n) >= 1000).map((row) => Number(row.n)).sort((a, b) => a - b);
    assert.deepEqual(written, Array.from({ length: fresh }, (_, i) => 1000 + i), `the ${fresh} new records, once each`);
    assert.equal(rows.length, 100 + fresh, "the earlier incarnation's file is kept");
    assert.deepEqual(await committedOffsets(group, topic), { 0: fresh });
    assert.match(second.stderr, /deleted and recreated since the last batch|ends past the end/, "a warning says so");
  } finally {
    await deleteTopics(topic);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(
  "kafka to local: a topic recreated with fewer records than its last batch is written, not taken as durable",
  opts,
  () => recreatedWhileStopped(10),
);

Deno.test(
  "kafka to local: a topic recreated while stopped with more records than its last batch is written in full",
  opts,
  // Offsets 0..99 look like the old batch again and the end is past it: only the topic id tells them apart.
  () => recreatedWhileStopped(150),
);

Deno.test(
  "kafka: an unreachable bootstrap address ends the start within seconds, one error naming it, exit 2",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-e2e-" });
    try {
      // Port 1 on loopback: nothing listens there, the connection is refused at once.
      const file = await writeConfig(dir, { topics: ["none"], bootstrap_servers: ["127.0.0.1:1"] });
      const started = performance.now();
      const run = await runOnce(file);
      const seconds = (performance.now() - started) / 1000;
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /Cannot connect to Kafka at "127\.0\.0\.1:1"/);
      assert.match(run.stderr, /hint: check source\.bootstrap_servers/);
      assert.doesNotMatch(run.stderr, /kafkajs:/, "no client log lines");
      // Not a timing assertion of speed, a bound on the retries: the client's own retries took about 70 s.
      assert.ok(seconds < 30, `ended after ${seconds.toFixed(1)} s`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
