/**
 * Every record-batch codec, as an independent producer writes it: topics filled by kcat (librdkafka) with `-z none`,
 * `gzip`, `snappy`, `lz4` and `zstd` (3 partitions, keys set, seed-shaped JSON) are drained by the real CLI into local
 * Parquet and read back with DuckDB: every record exactly once (count, distinct ids and distinct
 * `(partition, offset)` equal what was produced) in a one-shot run, then incrementally, then after a kill -9 in the
 * middle of a drain.
 * @module
 */
import assert from "node:assert/strict";
import { cli, finish, runOnce, until, writeConfig } from "./helpers/kafka_cli.ts";
import { KCAT_CODECS, kcatProduce, marketDataLines } from "./helpers/kcat.ts";
import { committedOffsets, createTopic, deleteTopics, uniqueName } from "./kafka_helpers.ts";
import { readWithDuckDB } from "./readers/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const FIRST = 12_000;
const MORE = 3_000;

interface Counts {
  readonly rows: number;
  readonly ids: number;
  readonly positions: number;
  readonly keys: number;
}

/** Counts with DuckDB over every data file below `dir` (the journal is JSON, so `*.parquet` never matches it). */
async function counts(dir: string): Promise<Counts> {
  const read = await readWithDuckDB(`${dir}/out/**/*.parquet`, {
    sql: "SELECT count(*) AS rows, count(DISTINCT id) AS ids, count(DISTINCT (kafka_partition, kafka_offset)) AS " +
      "positions, count(DISTINCT kafka_key) AS keys FROM data",
  });
  const row = read.rows[0]!;
  return { rows: Number(row.rows), ids: Number(row.ids), positions: Number(row.positions), keys: Number(row.keys) };
}

/** Data files below `dir`: a cheap poll while a run writes. */
async function parquetFiles(dir: string): Promise<number> {
  let found = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) found += await parquetFiles(`${dir}/${entry.name}`);
    else if (entry.name.endsWith(".parquet")) found++;
  }
  return found;
}

function exactlyOnce(found: Counts, expected: number, what: string): void {
  assert.deepEqual(
    { rows: found.rows, ids: found.ids, positions: found.positions },
    { rows: expected, ids: expected, positions: expected },
    `${what}: every record once`,
  );
}

for (const codec of KCAT_CODECS) {
  Deno.test(`kcat -z ${codec}: one-shot, incremental and after kill -9, every record exactly once`, opts, async () => {
    const dir = await Deno.makeTempDir({ prefix: `fsds-kcat-${codec}-` });
    const topic = await createTopic(`kcat-${codec}`, 3);
    const group = uniqueName(`kcat-${codec}`);
    try {
      await kcatProduce(topic, marketDataLines(FIRST), codec);
      const file = await writeConfig(dir, {
        topics: [topic],
        group_id: group,
        batch_size: 1000,
        extra_config: { "session.timeout.ms": 8000, "heartbeat.interval.ms": 1000 },
      });
      const first = await runOnce(file);
      assert.equal(first.code, 0, first.stderr);
      const drained = await counts(dir);
      exactlyOnce(drained, FIRST, "one-shot");
      assert.equal(drained.keys, 7, "keys decoded");

      await kcatProduce(topic, marketDataLines(MORE, FIRST), codec);
      const second = await runOnce(file);
      assert.equal(second.code, 0, second.stderr);
      exactlyOnce(await counts(dir), FIRST + MORE, "incremental");

      // A continuous run killed once it has written something; a one-shot restart finishes the drain.
      await kcatProduce(topic, marketDataLines(FIRST, FIRST + MORE), codec);
      const total = 2 * FIRST + MORE;
      const child = cli(file);
      const before = await parquetFiles(`${dir}/out`);
      await until("the run writes new files", async () => await parquetFiles(`${dir}/out`) > before, 60_000);
      child.kill("SIGKILL");
      assert.notEqual((await finish(child)).code, 0);
      const restart = await runOnce(file);
      assert.equal(restart.code, 0, restart.stderr);
      exactlyOnce(await counts(dir), total, "after kill -9");
      const committed = await committedOffsets(group, topic);
      assert.equal(Object.values(committed).reduce((a, b) => a + b, 0), total, "every offset committed");
    } finally {
      await deleteTopics(topic);
      await Deno.remove(dir, { recursive: true });
    }
  });
}
