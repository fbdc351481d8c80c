/**
 * A large file of an Iceberg table streamed while its rows arrive, end to end: the real CLI drains an NDJSON file
 * one-shot into a local Hadoop table as one batch whose rows pass the streaming threshold, so its row groups are
 * prepared (field ids, microsecond timestamps) and written as they fill; a new column late in the input starts a
 * second file. pyiceberg reads the table back: every row once, the columns' ids and types, full row groups, and
 * statistics that cover every row group (a filter on the last rows keeps their file; on a range no file holds, none).
 * @module
 */
import assert, { deepStrictEqual as assertEquals, equal } from "node:assert/strict";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { availableReaders, readParquetMetadata } from "./readers/mod.ts";
import { latestMetadataFile, readWithPyIceberg } from "./readers/iceberg.ts";

const available = await availableReaders();
const RECORDS = 100_000;
/** Records from this one on carry a column the earlier ones lack. */
const LATE = 80_000;
const ROW_GROUP = 10_000;

Deno.test({
  name: "an Iceberg data file past the streaming threshold is written while its rows arrive; pyiceberg reads it whole",
  ignore: !available.pyiceberg || !available.pyarrow,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-streamed-" });
    try {
      const note = "n".repeat(180);
      const lines = Array.from({ length: RECORDS }, (_, id) => {
        const record: Record<string, unknown> = {
          id,
          symbol: `SYM${id % 13}`,
          price: id / 100,
          ts: new Date(Date.UTC(2024, 2, 1) + id * 100).toISOString(), // all on one day
          note: `${id}:${note}`,
        };
        if (id >= LATE) record.late = `late-${id}`;
        return JSON.stringify(record);
      });
      const path = `${dir}/events.ndjson`;
      await Deno.writeTextFile(path, lines.join("\n") + "\n");
      const run = await runCliWithConfig({
        source: { type: "file", path, batch_size: RECORDS + 1 },
        pipeline: { batch_timeout_seconds: 3600 },
        sink: {
          type: "local",
          path: `${dir}/out`,
          table_format: "iceberg",
          table: "events",
          row_group_size: ROW_GROUP,
          partition_by: ["date"],
          timestamp_field: "ts",
        },
        telemetry: { log_level: "INFO", log_format: "json" },
      });
      equal(run.code, 0, run.log);
      const finished = run.log.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
        .find((l) => l.message === "Pipeline finished");
      assertEquals([finished?.records_written, finished?.files_written], [RECORDS, 2]);

      const metadata = await latestMetadataFile(`${dir}/out/events`);
      const table = await readWithPyIceberg(metadata, {
        idColumn: "id",
        values: false,
        filter: `id >= ${RECORDS - 5}`,
      });
      assertEquals([table.rows, table.distinct_ids, table.files, table.snapshots], [RECORDS, RECORDS, 2, 1]);
      assertEquals(table.columns.map((c) => [c.id, c.name, c.type]), [
        [1, "id", "long"],
        [2, "symbol", "string"],
        [3, "price", "double"],
        [4, "ts", "timestamptz"],
        [5, "note", "string"],
        [6, "late", "string"],
      ]);
      // The upper bound of id in the second file is its last row group's: the filter keeps that file alone.
      assertEquals(table.filtered, { rows: 5, files: 1 });
      const none = await readWithPyIceberg(metadata, { values: false, filter: `id > ${RECORDS}` });
      assertEquals(none.filtered, { rows: 0, files: 0 });
      const early = await readWithPyIceberg(metadata, { values: false, filter: "id < 3" });
      assertEquals(early.filtered, { rows: 3, files: 1 });
      // A timestamp filter goes through the microsecond bounds of every row group too.
      const last = new Date(Date.UTC(2024, 2, 1) + (RECORDS - 2) * 100).toISOString().replace("Z", "+00:00");
      const late = await readWithPyIceberg(metadata, { values: false, filter: `ts >= '${last}'` });
      assertEquals(late.filtered, { rows: 2, files: 1 });

      const files: string[] = [];
      for await (const entry of Deno.readDir(`${dir}/out/events/data/date=2024-03-01`)) files.push(entry.name);
      equal(files.length, 2, files.join(", "));
      const [first, second] = (await Promise.all(
        files.map(async (name) => await readParquetMetadata(`${dir}/out/events/data/date=2024-03-01/${name}`)),
      )).sort((a, b) => b.row_groups[0]!.columns.length - a.row_groups[0]!.columns.length).reverse();
      equal(first!.num_rows + second!.num_rows, RECORDS);
      // The rows the builder held when the new column came go to the second file with it.
      assert(first!.num_rows < LATE && first!.num_rows >= LATE - ROW_GROUP, `first file: ${first!.num_rows} rows`);
      for (const meta of [first!, second!]) {
        const sizes = meta.row_groups.map((g) => g.num_rows);
        assert(sizes.slice(0, -1).every((n) => n === ROW_GROUP), `full row groups: ${sizes}`);
      }
      assert(first!.row_groups.length >= 7, `row groups streamed: ${first!.row_groups.length}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
