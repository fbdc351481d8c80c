/**
 * End-to-end tests of Iceberg tables on the local sink: the real CLI writes a table, and independent readers load it
 * from its metadata (pyiceberg) or its folder (ClickHouse's `icebergLocal`, through chdb) and count rows and
 * distinct ids. Covers partitioning (identity and day), column statistics, and schema changes mid-run.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { availableReaders } from "./readers/mod.ts";
import { countWithClickHouse, latestMetadataFile, readWithPyIceberg } from "./readers/iceberg.ts";

const available = await availableReaders();
const ignore = !available.pyiceberg;

async function ndjson(dir: string, rows: readonly Record<string, unknown>[]): Promise<string> {
  const path = `${dir}/events.ndjson`;
  await Deno.writeTextFile(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

Deno.test({
  name:
    "a file run writes an Iceberg table that pyiceberg and ClickHouse read: every row once, partitions by region and day",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-local-" });
    try {
      const days = ["2024-03-01", "2024-03-02", "2024-03-03"];
      const rows = Array.from({ length: 2500 }, (_, id) => ({
        id,
        region: ["eu", "us", "ap"][id % 3],
        ts: `${days[id % 3]}T${String(id % 24).padStart(2, "0")}:15:00Z`,
        price: id / 4,
        note: id % 11 === 0 ? null : `n ${id}`,
      }));
      const path = await ndjson(dir, rows);
      const run = await runCliWithConfig({
        source: { type: "file", path, batch_size: 1000 },
        sink: {
          type: "local",
          path: `${dir}/out`,
          table_format: "iceberg",
          table: "events",
          partition_by: ["region", "date"],
          timestamp_field: "ts",
        },
        telemetry: { log_level: "INFO" },
      });
      equal(run.code, 0, run.log);
      const table = await readWithPyIceberg(await latestMetadataFile(`${dir}/out/events`), { idColumn: "id" });
      equal(table.rows, 2500);
      equal(table.distinct_ids, 2500);
      // Three batches of 1000, 1000 and 500 records: one snapshot each, or fewer when batches that waited for the
      // stream's previous write were committed as one group.
      assert(table.snapshots >= 1 && table.snapshots <= 3, `${table.snapshots} snapshots for 3 batches`);
      equal(table.operation, "append");
      equal(table.summary["total-records"], "2500");
      assertEquals(JSON.parse(table.summary["fsds.positions"]!), { "events.ndjson": "000000002500" });
      assertEquals(table.columns.map((c) => [c.id, c.name, c.type]), [
        [1, "id", "long"],
        [2, "region", "string"],
        [3, "ts", "timestamptz"],
        [4, "price", "double"],
        [5, "note", "string"],
      ]);
      // Nine region-day partitions per batch at most: every file holds one region and one day.
      assert(table.files >= 9, `files: ${table.files}`);
      assertEquals(table.values!.price!.slice(0, 3), [0, 0.25, 0.5]);
      for (const [i, region] of (table.values!.region as string[]).entries()) equal(region, rows[i]!.region);
      const folders = new Set<string>();
      for await (const entry of Deno.readDir(`${dir}/out/events/data`)) folders.add(entry.name);
      assertEquals([...folders].sort(), ["region=ap", "region=eu", "region=us"]);
      if (available.clickhouse) {
        assertEquals(await countWithClickHouse(`${dir}/out/events`, { idColumn: "id" }), {
          rows: 2500,
          distinct_ids: 2500,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "schema changes mid-run (a new column, int widened to float) become new schemas; every row stays readable",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-schema-" });
    try {
      const rows = Array.from(
        { length: 1500 },
        (_, id) =>
          id < 500
            ? { id, qty: id, price: id }
            : id < 1000
            ? { id, qty: id, price: id + 0.5, tag: `t${id % 5}` }
            : { id, qty: id, price: id, tag: `t${id % 5}` },
      );
      const path = await ndjson(dir, rows);
      const run = await runCliWithConfig({
        source: { type: "file", path, batch_size: 500 },
        sink: { type: "local", path: `${dir}/out`, table_format: "iceberg", table: "t" },
        telemetry: { log_level: "INFO" },
      });
      equal(run.code, 0, run.log);
      const table = await readWithPyIceberg(await latestMetadataFile(`${dir}/out/t`), { idColumn: "id" });
      equal(table.rows, 1500);
      equal(table.distinct_ids, 1500);
      assert(table.schema_id >= 1, `a new schema id: ${table.schema_id}`);
      const byName = new Map(table.columns.map((c) => [c.name, c]));
      equal(byName.get("tag")?.type, "string");
      equal(byName.get("price")?.type, "double");
      equal(byName.get("qty")?.type, "long");
      const ids = table.columns.map((c) => c.id);
      equal(new Set(ids).size, ids.length, "field ids are unique");
      // The tag is null where the column did not exist yet; qty reads through every schema.
      equal((table.values!.tag as unknown[]).filter((t) => t === null).length, 500);
      assertEquals(table.values!.qty, rows.map((r) => r.id));
      // Rows written after the widening read back as doubles.
      assertEquals((table.values!.price as number[]).slice(500), rows.slice(500).map((r) => r.price));
      if (available.clickhouse) {
        equal((await countWithClickHouse(`${dir}/out/t`, { idColumn: "id" })).rows, 1500);
      }

      // A later run infers int again for price (double in the table) and brings another column.
      const later = Array.from({ length: 300 }, (_, i) => ({ id: 1500 + i, qty: i, price: i, extra: true }));
      await ndjson(dir, later);
      const again = await runCliWithConfig({
        source: { type: "file", path, batch_size: 500 },
        sink: { type: "local", path: `${dir}/out`, table_format: "iceberg", table: "t" },
        telemetry: { log_level: "INFO" },
      });
      equal(again.code, 0, again.log);
      assert(!/Rewrote a data file/.test(again.log), "the second run's files carry the table's field ids");
      const evolved = await readWithPyIceberg(await latestMetadataFile(`${dir}/out/t`), { idColumn: "id" });
      equal(evolved.rows, 1800);
      equal(evolved.distinct_ids, 1800);
      const columns = new Map(evolved.columns.map((c) => [c.name, c]));
      equal(columns.get("price")?.id, byName.get("price")?.id, "ints written as the table's double");
      equal(columns.get("extra")?.type, "boolean");
      assertEquals((evolved.values!.price as number[]).slice(1500), later.map((r) => r.price));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
