import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { readWithDuckDB } from "./readers/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface Sample {
  event_type: string;
  source: string;
  seq: number;
  timestamp: string;
  data: { symbol: string; bid: number; ask: number; volume: number; halted: boolean };
  metadata: { exchange: string; feed: string };
  tags?: string[];
}

Deno.test("deno task demo writes Parquet whose rows, read back by DuckDB, equal the sample input", async () => {
  const output = await Deno.makeTempDir({ prefix: "fsds_demo_" });
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "tests/demo.ts", "--output", output],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(run.stdout);
  assert.ok(run.success, new TextDecoder().decode(run.stderr));
  assert.match(stdout, /Wrote \d+ Parquet files, 1200 rows/);

  const input = (await Deno.readTextFile(`${ROOT}config/demo/market_data.ndjson`)).trim().split("\n")
    .map((line) => JSON.parse(line) as Sample);
  const read = await readWithDuckDB(`${output}/**/*.parquet`, {
    hivePartitioning: true,
    sql: "SELECT * FROM data ORDER BY seq",
  });
  const types = Object.fromEntries(read.columns.map((c) => [c.name, c.type]));
  assertEquals(types.seq, "BIGINT");
  assertEquals(types.bid, "DOUBLE");
  assertEquals(types.halted, "BOOLEAN");
  assertEquals(types.timestamp, "TIMESTAMP WITH TIME ZONE");
  assertEquals(read.rows.length, input.length);
  input.forEach((record, i) => {
    const row = read.rows[i]!;
    const expected = {
      event_type: record.event_type,
      source: record.source,
      seq: record.seq,
      symbol: record.data.symbol,
      bid: record.data.bid,
      ask: record.data.ask,
      volume: record.data.volume,
      halted: record.data.halted,
      metadata_exchange: record.metadata.exchange,
      metadata_feed: record.metadata.feed,
      tags: record.tags ? JSON.stringify(record.tags) : null,
      date: record.timestamp.slice(0, 10),
    };
    const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, row[k]]));
    actual.seq = Number(actual.seq);
    actual.volume = Number(actual.volume);
    actual.date = String(actual.date);
    assertEquals(actual, expected, `row ${i + 1}`);
    assertEquals(Date.parse(String(row.timestamp)), Date.parse(record.timestamp), `timestamp of row ${i + 1}`);
  });
  await Deno.remove(output, { recursive: true });
});
