/**
 * End-to-end tests of the redis source: the real CLI (`main.ts run`) reads the kit's Redis and writes Parquet to a
 * local folder; rows are read back and counted exactly. Includes kill -9 mid-run and poison entries under each
 * error policy.
 * @module
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { decodeParquet } from "../src/parquet/writer.ts";
import type { RedisClient } from "../src/sources/redis/client.ts";
import { listKeysOf } from "../src/sources/redis/lists.ts";
import { addEntries, adminClient, pendingCount, uniqueKey } from "./redis_helpers.ts";
import { endpoints, ensureRunning, startService, stopService } from "./services/endpoints.ts";

await ensureRunning(["redis"]);

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Writes a config file into `dir` and returns its path. */
async function writeConfig(
  dir: string,
  source: Record<string, unknown>,
  pipeline: Record<string, unknown>,
  name = "config",
) {
  const { host, port } = endpoints().redis;
  const config = {
    source: { type: "redis", host, port, ...source },
    sink: { type: "local", path: `${dir}/out` },
    telemetry: { log_level: "WARNING" },
    pipeline,
  };
  const path = `${dir}/${name}.yaml`;
  await Deno.writeTextFile(path, JSON.stringify(config)); // JSON is YAML
  return path;
}

function cli(config: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "run", "--config", config],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function runCli(config: string): Promise<{ code: number; stderr: string }> {
  const out = await cli(config).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

async function files(dir: string, suffix: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(path: string) {
    try {
      for await (const entry of Deno.readDir(path)) {
        const full = `${path}/${entry.name}`;
        if (entry.isDirectory) await walk(full);
        else if (entry.name.endsWith(suffix)) found.push(full);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  await walk(dir);
  return found.sort();
}

/** Every row of every Parquet file under `dir` (dead letters and journals are not Parquet). */
async function rows(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const file of await files(dir, ".parquet")) {
    const table = decodeParquet(await Deno.readFile(file));
    for (const row of table.toArray()) out.push({ ...row.toJSON() });
  }
  return out;
}

async function pushJson(client: RedisClient, key: string, count: number, item: (i: number) => unknown) {
  for (let i = 0; i < count; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, count - i) }, (_, j) => JSON.stringify(item(i + j)));
    await client.call("RPUSH", key, ...chunk);
  }
}

async function cleanup(client: RedisClient, streams: string[], lists: string[], consumer: string) {
  const bookkeeping = lists.flatMap((k) => Object.values(listKeysOf(k, "fs-data-sink", consumer)));
  await client.call("DEL", ...streams, ...lists, ...bookkeeping);
}

function countBy(values: unknown[]): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Adds ids `from`..`from + count - 1` to `stream` (src "s", in field `data`) and to `list` (src "l"). */
async function seedStreamAndList(client: RedisClient, stream: string, list: string, count: number, from = 0) {
  await addEntries(client, stream, count, (i) => ({ data: JSON.stringify({ id: from + i, src: "s" }) }));
  await pushJson(client, list, count, (i) => ({ id: from + i, src: "l" }));
}

/** Asserts that the rows of each `src` carry exactly the ids 0..count-1, once each. */
function assertIdsExactly(all: Record<string, unknown>[], sources: string[], count: number) {
  for (const src of sources) {
    const ids = all.filter((r) => r.src === src).map((r) => Number(r.id)).sort((a, b) => a - b);
    assertEquals(ids, Array.from({ length: count }, (_, i) => i), `ids of ${src}`);
  }
}

/** Asserts that the rows of src "s" and of src "l" each hold `count` distinct ids, none written twice. */
function assertEachIdOnce(all: Record<string, unknown>[], count: number) {
  for (const src of ["s", "l"]) {
    const counts = countBy(all.filter((r) => r.src === src).map((r) => Number(r.id)));
    const dup = [...counts].filter(([, c]) => c > 1);
    assertEquals(dup.length, 0, `${src}: ids written twice: ${dup.slice(0, 5).map(([id]) => id)}`);
    assertEquals(counts.size, count, `${src}: distinct ids`);
  }
}

/** Asserts that nothing is left unacknowledged: no pending stream entry, no held list item of any `consumers`. */
async function assertNothingHeld(client: RedisClient, streams: string[], lists: string[], consumers: string[]) {
  for (const key of streams) assertEquals(await pendingCount(client, key), 0, `pending entries of ${key}`);
  for (const key of lists) {
    for (const name of consumers) {
      assertEquals(await client.call("LLEN", listKeysOf(key, "fs-data-sink", name).processing), 0, `held by ${name}`);
    }
  }
}

/** What a test gets from `withKeys`: an admin connection, a temporary folder and fresh stream and list keys. */
interface Keys {
  readonly admin: RedisClient;
  readonly dir: string;
  readonly streams: string[];
  readonly lists: string[];
  /** The first of `streams`. */
  readonly stream: string;
  /** The first of `lists`. */
  readonly list: string;
}

/**
 * Runs `body` with `count` fresh stream keys and list keys named after `name`, then deletes them and the list
 * bookkeeping of each of `consumers` (over a new connection, as the body may have restarted Redis) and the folder.
 */
async function withKeys(name: string, consumers: string[], body: (keys: Keys) => Promise<void>, count = 1) {
  const admin = await adminClient();
  const dir = await Deno.makeTempDir({ prefix: `fsds-redis-${name}-` });
  const label = (kind: string, i: number) => count === 1 ? `${name}-${kind}` : `${name}-${kind}${i + 1}`;
  const streams = Array.from({ length: count }, (_, i) => uniqueKey(label("s", i)));
  const lists = Array.from({ length: count }, (_, i) => uniqueKey(label("l", i)));
  try {
    await body({ admin, dir, streams, lists, stream: streams[0]!, list: lists[0]! });
  } finally {
    const client = await adminClient();
    try {
      for (const consumer of consumers) await cleanup(client, streams, lists, consumer);
    } finally {
      client.close();
      admin.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
}

/** Waits (up to 60 s) until at least `count` Parquet files are under `out`, then kills `child` with SIGKILL. */
async function killAfterFiles(child: Deno.ChildProcess, out: string, count: number) {
  const deadline = Date.now() + 60_000;
  while ((await files(out, ".parquet")).length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  await child.status;
  await child.stderr.cancel();
}

Deno.test("redis streams and lists reach local Parquet with exact counts, values and metadata", async () => {
  await withKeys("e2e", ["e2e"], async ({ admin, dir, streams, lists }) => {
    await addEntries(admin, streams[0]!, 700, (i) => ({ data: JSON.stringify({ id: i, src: "s1", price: i / 2 }) }));
    await addEntries(admin, streams[1]!, 300, (i) => ({ data: JSON.stringify({ id: i, src: "s2", price: i / 2 }) }));
    await pushJson(admin, lists[0]!, 400, (i) => ({ id: i, src: "l1", price: i / 2 }));
    await pushJson(admin, lists[1]!, 100, (i) => ({ id: i, src: "l2", price: i / 2 }));
    const config = await writeConfig(dir, {
      stream_keys: streams,
      list_keys: lists,
      payload_field: "data",
      consumer_name: "e2e",
      batch_size: 250,
    }, { until_caught_up: true });
    const result = await runCli(config);
    assertEquals(result.code, 0, result.stderr);
    const all = await rows(`${dir}/out`);
    assertEquals(all.length, 1500);
    const bySrc = countBy(all.map((r) => r.src));
    assertEquals([bySrc.get("s1"), bySrc.get("s2"), bySrc.get("l1"), bySrc.get("l2")], [700, 300, 400, 100]);
    assertIdsExactly(all, ["s1"], 700);
    assertIdsExactly(all, ["s2"], 300);
    assertIdsExactly(all, ["l1"], 400);
    assertIdsExactly(all, ["l2"], 100);
    const s1 = all.find((r) => r.src === "s1" && Number(r.id) === 10)!;
    assertEquals(s1.redis_key, streams[0]);
    assertEquals(Number(s1.price), 5);
    assert(/^\d+-\d+$/.test(String(s1.redis_id)));
    assertEquals(Number(s1.redis_timestamp), Number(String(s1.redis_id).split("-")[0]));
    const l1 = all.find((r) => r.src === "l1" && Number(r.id) === 0)!;
    assertEquals([l1.redis_key, l1.redis_id, l1.redis_timestamp], [lists[0], "1", null]);
    await assertNothingHeld(admin, streams, lists, ["e2e"]);
  }, 2);
});

Deno.test("redis source writes every entry exactly once across kill -9 and restarts", async () => {
  const n = 20_000;
  await withKeys("kill", ["k"], async ({ admin, dir, stream, list }) => {
    await seedStreamAndList(admin, stream, list, n);
    const source = {
      stream_keys: [stream],
      list_keys: [list],
      payload_field: "data",
      consumer_name: "k",
      batch_size: 700,
    };
    const continuous = await writeConfig(dir, source, { batch_timeout_seconds: 1 });
    for (const filesBeforeKill of [3, 12]) await killAfterFiles(cli(continuous), `${dir}/out`, filesBeforeKill);
    const written = (await files(`${dir}/out`, ".parquet")).length;
    assert(written >= 12, `files before the final run: ${written}`);
    const oneShot = await writeConfig(dir, source, { until_caught_up: true });
    const result = await runCli(oneShot);
    assertEquals(result.code, 0, result.stderr);
    const all = await rows(`${dir}/out`);
    assertEachIdOnce(all, n);
    assertEquals(all.length, 2 * n);
    await assertNothingHeld(admin, [stream], [list], ["k"]);
    assertEquals(await admin.call("LLEN", list), 0);
  });
});

for (const policy of ["log", "ignore", "dead_letter", "raise"] as const) {
  Deno.test(`redis source handles poison entries under error_handling ${policy}`, async () => {
    await withKeys(`poison-${policy}`, ["p"], async ({ admin, dir, stream, list }) => {
      const payload = (i: number) => i % 5 === 4 ? `{"id": ${i}, broken` : JSON.stringify({ id: i });
      await addEntries(admin, stream, 20, (i) => ({ data: payload(i) }));
      await admin.call("RPUSH", list, ...Array.from({ length: 20 }, (_, i) => payload(i)));
      const config = await writeConfig(dir, {
        stream_keys: [stream],
        list_keys: [list],
        payload_field: "data",
        consumer_name: "p",
      }, { until_caught_up: true, error_handling: policy });
      const result = await runCli(config);
      const good = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 5 !== 4);
      if (policy === "raise") {
        assertEquals(result.code, 1, result.stderr);
        // Nothing of the failed batch was acknowledged: the poison entries are still pending or queued.
        assert(
          await pendingCount(admin, stream) +
              Number(await admin.call("LLEN", listKeysOf(list, "fs-data-sink", "p").processing)) >= 1,
        );
        return;
      }
      // Records skipped under `log` end the run with exit 3; `ignore` and `dead_letter` keep 0.
      assertEquals(result.code, policy === "log" ? 3 : 0, result.stderr);
      const all = await rows(`${dir}/out`);
      assertEquals(all.filter((r) => r.redis_key === stream).map((r) => Number(r.id)).sort((a, b) => a - b), good);
      assertEquals(all.filter((r) => r.redis_key === list).map((r) => Number(r.id)).sort((a, b) => a - b), good);
      const letters = await files(`${dir}/out/_dead_letter`, ".jsonl");
      let lines = 0;
      for (const f of letters) lines += (await Deno.readTextFile(f)).trim().split("\n").filter((l) => l).length;
      assertEquals(lines, policy === "dead_letter" ? 8 : 0);
      await assertNothingHeld(admin, [stream], [list], ["p"]);
    });
  });
}

Deno.test("two CLI instances in one group share a stream and a list, and together write each entry once", async () => {
  const n = 6000;
  await withKeys("two", ["w1", "w2"], async ({ admin, dir, stream, list }) => {
    await seedStreamAndList(admin, stream, list, n);
    const source = { stream_keys: [stream], list_keys: [list], payload_field: "data", batch_size: 400 };
    const configs = await Promise.all(
      ["w1", "w2"].map((name) => writeConfig(dir, { ...source, consumer_name: name }, { until_caught_up: true }, name)),
    );
    const results = await Promise.all(configs.map((c) => runCli(c)));
    for (const r of results) assertEquals(r.code, 0, r.stderr);
    const all = await rows(`${dir}/out`);
    assertEachIdOnce(all, n);
    assertEquals(all.length, 2 * n);
    await assertNothingHeld(admin, [stream], [list], ["w1", "w2"]);
  });
});

Deno.test("the CLI keeps running through a Redis restart and writes every entry once", async () => {
  await withKeys("bounce", ["bounce"], async ({ admin, dir, stream, list }) => {
    await seedStreamAndList(admin, stream, list, 500);
    const config = await writeConfig(dir, {
      stream_keys: [stream],
      list_keys: [list],
      payload_field: "data",
      consumer_name: "bounce",
      block_ms: 500,
    }, { batch_timeout_seconds: 1 });
    const child = cli(config);
    const waitRows = async (count: number) => {
      const deadline = Date.now() + 90_000;
      while ((await rows(`${dir}/out`)).length < count && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    await waitRows(1000);
    await stopService("redis");
    await new Promise((r) => setTimeout(r, 1000));
    await startService("redis");
    const fresh = await adminClient();
    await seedStreamAndList(fresh, stream, list, 300, 500);
    await waitRows(1600);
    child.kill("SIGTERM");
    const status = await child.status;
    const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    assertEquals(status.code, 0, stderr);
    const all = await rows(`${dir}/out`);
    assertIdsExactly(all, ["s", "l"], 800);
    await assertNothingHeld(fresh, [stream], [list], ["bounce"]);
    fresh.close();
  });
});

Deno.test("an instance killed mid-run has its work finished by another instance, each entry written once", async () => {
  const n = 15_000;
  await withKeys("adopt", ["dying", "heir"], async ({ admin, dir, stream, list }) => {
    await seedStreamAndList(admin, stream, list, n);
    const source = {
      stream_keys: [stream],
      list_keys: [list],
      payload_field: "data",
      batch_size: 600,
      claim_idle_ms: 1500,
    };
    const dying = cli(await writeConfig(dir, { ...source, consumer_name: "dying" }, { batch_timeout_seconds: 1 }, "a"));
    await killAfterFiles(dying, `${dir}/out`, 6);
    const leftStream = await pendingCount(admin, stream);
    const leftList = Number(await admin.call("LLEN", listKeysOf(list, "fs-data-sink", "dying").processing));
    assert(leftStream + leftList > 0, "the killed instance left unacknowledged work");
    await new Promise((r) => setTimeout(r, 2000)); // its lease expires; it has been idle for claim_idle_ms
    const heir = await writeConfig(dir, { ...source, consumer_name: "heir" }, { until_caught_up: true }, "b");
    const result = await runCli(heir);
    assertEquals(result.code, 0, result.stderr);
    const all = await rows(`${dir}/out`);
    assertEachIdOnce(all, n);
    await assertNothingHeld(admin, [stream], [list], ["dying", "heir"]);
  });
});

Deno.test("a one-shot run exits 4 naming entries a crashed consumer still holds; once they may be taken, exit 0", async () => {
  await withKeys("held", ["old", "new"], async ({ admin, dir, stream }) => {
    await addEntries(admin, stream, 30, (i) => ({ data: JSON.stringify({ id: i }) }));
    // A consumer that read 10 entries and died without acknowledging them, through an independent client.
    const { host, port } = endpoints().redis;
    const cli = async (...args: string[]) => {
      const out = await new Deno.Command("redis-cli", { args: ["-h", host, "-p", String(port), ...args] }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
    };
    await cli("XGROUP", "CREATE", stream, "fs-data-sink", "0");
    await cli("XREADGROUP", "GROUP", "fs-data-sink", "old", "COUNT", "10", "STREAMS", stream, ">");
    const source = { stream_keys: [stream], payload_field: "data", consumer_name: "new" };
    const held = await writeConfig(dir, { ...source, claim_idle_ms: 300_000 }, { until_caught_up: true }, "held");
    const first = await runCli(held);
    assertEquals(first.code, 4, first.stderr);
    assert(first.stderr.includes(`10 entries pending at consumer "old"`), first.stderr);
    assertEquals((await rows(`${dir}/out`)).map((r) => Number(r.id)).sort((a, b) => a - b), range(10, 30));
    // Past claim_idle_ms the entries are taken over: the drain completes, every entry once.
    const taken = await writeConfig(dir, { ...source, claim_idle_ms: 1 }, { until_caught_up: true }, "taken");
    const second = await runCli(taken);
    assertEquals(second.code, 0, second.stderr);
    assertEquals((await rows(`${dir}/out`)).map((r) => Number(r.id)).sort((a, b) => a - b), range(0, 30));
    assertEquals(await pendingCount(admin, stream), 0);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

Deno.test("a one-shot run exits 4 naming list items a killed consumer holds; after its lease expires, exit 0", async () => {
  await withKeys("heldlist", ["old", "new"], async ({ admin, dir, list }) => {
    await admin.call("RPUSH", list, ...Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i })));
    // A consumer that moved every item into its processing list, then was killed before writing any.
    const oldConfig = await writeConfig(dir, { list_keys: [list], consumer_name: "old", claim_idle_ms: 15_000 }, {
      batch_timeout_seconds: 3600,
    }, "old");
    const old = cli(oldConfig);
    const processing = listKeysOf(list, "fs-data-sink", "old").processing;
    const deadline = Date.now() + 60_000;
    while (Number(await admin.call("LLEN", processing)) < 50 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    old.kill("SIGKILL");
    await old.status;
    await old.stderr.cancel();
    assertEquals(Number(await admin.call("LLEN", processing)), 50, "the killed consumer holds every item");
    const source = { list_keys: [list], consumer_name: "new", continuous: false };
    const first = await runCli(await writeConfig(dir, source, {}, "new"));
    assertEquals(first.code, 4, first.stderr);
    assert(first.stderr.includes(`50 items held by consumer "old"`), first.stderr);
    assertEquals((await rows(`${dir}/out`)).length, 0);
    // Once the dead consumer's lease expires (claim_idle_ms of its run), the next run takes its items over.
    await new Promise((r) => setTimeout(r, 15_500));
    const second = await runCli(await writeConfig(dir, source, {}, "new"));
    assertEquals(second.code, 0, second.stderr);
    assertEquals((await rows(`${dir}/out`)).map((r) => Number(r.id)).sort((a, b) => a - b), range(0, 50));
  });
});
