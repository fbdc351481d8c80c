/**
 * A Kafka broker outage mid-run: the real CLI drains a topic continuously into local Parquet, the kit's broker is
 * stopped after the first durable batch (in the middle of the drain) and started again 28 s later (longer than one
 * fetch's own retries, so the outage is reported and retried by the source), more records are produced, and the
 * run is stopped with SIGTERM once everything is written. Every record must be in the files exactly once (DuckDB) and
 * the group's commits must cover them all; the run ends with exit 0. A second test acknowledges records while the
 * broker is down: the commit waits through the outage (the client's own retries give up after about 20 s) and lands.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { LineSplitter } from "./helpers/sink_outage.ts";
import {
  committedOffsets,
  createTopic,
  deleteTopics,
  drain,
  makeSource,
  produce,
  uniqueName,
} from "./kafka_helpers.ts";
import { readWithDuckDB } from "./readers/mod.ts";
import { endpoints, ensureRunning, startService, stopService } from "./services/endpoints.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("..", import.meta.url).pathname;
const FIRST = 30_000;
const MORE = 2000;
const OUTAGE_MS = 28_000;

function records(from: number, count: number) {
  return Array.from(
    { length: count },
    (_, i) => ({ partition: (from + i) % 2, value: JSON.stringify({ id: from + i }) }),
  );
}

async function counts(dir: string): Promise<{ rows: number; ids: number }> {
  try {
    const read = await readWithDuckDB(`${dir}/out/**/*.parquet`, {
      sql: "SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM data",
    });
    return { rows: Number(read.rows[0]!.rows), ids: Number(read.rows[0]!.ids) };
  } catch {
    return { rows: 0, ids: 0 };
  }
}

Deno.test("kafka to local through a broker outage: every record once, all committed, exit 0", opts, async () => {
  await ensureRunning(["kafka"]);
  const topic = await createTopic("broker-outage", 2);
  const group = uniqueName("outage");
  const dir = await Deno.makeTempDir({ prefix: "fsds-kafka-outage-" });
  let down = false;
  try {
    await produce(topic, records(0, FIRST));
    const config = {
      source: {
        type: "kafka",
        bootstrap_servers: endpoints().kafka.brokers,
        topics: [topic],
        group_id: group,
        batch_size: 200,
        progress: "off",
      },
      sink: { type: "local", path: `${dir}/out` },
      telemetry: { log_level: "INFO", enabled: false },
      pipeline: { batch_timeout_seconds: 1 },
    };
    await Deno.writeTextFile(`${dir}/config.yaml`, JSON.stringify(config));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "main.ts", "run", "--config", `${dir}/config.yaml`],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(300_000),
    }).spawn();
    const log: string[] = [];
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new LineSplitter());
    const reading = (async () => {
      for await (const line of lines) log.push(line);
    })();
    const deadline = Date.now() + 120_000;
    while (!log.some((line) => line.includes("Wrote batch")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopService("kafka");
    down = true;
    const atStop = await counts(dir);
    // Longer than one fetch's own retries (about 20 s), so the source's retry loop is exercised too.
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await startService("kafka");
    down = false;
    await produce(topic, records(FIRST, MORE));
    while ((await counts(dir)).rows < FIRST + MORE && Date.now() < deadline + 120_000) {
      await new Promise((r) => setTimeout(r, 500));
    }
    // Let the last commit land before stopping.
    const committedDeadline = Date.now() + 30_000;
    let committed = await committedOffsets(group, topic);
    while ((committed[0] ?? 0) + (committed[1] ?? 0) < FIRST + MORE && Date.now() < committedDeadline) {
      await new Promise((r) => setTimeout(r, 500));
      committed = await committedOffsets(group, topic);
    }
    try {
      child.kill("SIGTERM");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // it exited on its own: its status and log say why
    }
    const status = await child.status;
    await reading;
    equal(status.code, 0, log.join("\n"));
    console.log(log.filter((line) => line.includes("WARNING")).map((line) => line.slice(0, 240)).join("\n"));
    assert(atStop.rows < FIRST, `the broker stopped in the middle of the drain (${atStop.rows} rows written then)`);
    assert(
      log.some((line) => /WARNING.*Kafka (fetch|heartbeat) failed; retrying/.test(line)),
      "the outage was reported while retried",
    );
    assertEquals(await counts(dir), { rows: FIRST + MORE, ids: FIRST + MORE }, "every record once");
    assertEquals(committed, { 0: (FIRST + MORE) / 2, 1: (FIRST + MORE) / 2 }, "the group committed every record");
  } finally {
    if (down) await startService("kafka");
    await deleteTopics(topic);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "kafka source: an acknowledgement made while the broker is down is committed once it is back",
  opts,
  async () => {
    await ensureRunning(["kafka"]);
    const topic = await createTopic("commit-outage", 1);
    const group = uniqueName("commit-outage");
    let down = false;
    try {
      await produce(topic, records(0, 10).map((r) => ({ ...r, partition: 0 })));
      const source = makeSource({ topics: [topic], group_id: group });
      await source.connect();
      const messages = await drain(source, { ack: false, limit: 10 });
      equal(messages.length, 10);
      await stopService("kafka");
      down = true;
      let settled = false;
      const acked = source.ack(messages[0]!.stream, messages.map((m) => m.position)).finally(() => settled = true);
      // Longer than the client's own commit retries: the source's retry carries the commit over the outage.
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      equal(settled, false, "the commit waits while the broker is down");
      await startService("kafka");
      down = false;
      await acked;
      await source.close();
      assertEquals(await committedOffsets(group, topic), { 0: 10 });
    } finally {
      if (down) await startService("kafka");
      await deleteTopics(topic);
    }
  },
);
