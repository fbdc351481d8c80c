/**
 * The "file -> sink in Hive date folders" scenario shared by the S3 and HDFS end-to-end tests: 2,500 NDJSON lines
 * over three days are moved by the real CLI into `date=YYYY-MM-DD` folders, and every row must be read back exactly
 * once, in its own day's folder, with its nested `data` object lifted to top-level columns. Optionally a second run
 * over the same file must replace the files it wrote, not duplicate them.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { isoDay, runCliWithConfig, type SinkContents } from "./sink_e2e.ts";

/** What the scenario needs to know about the sink under test. */
export interface FileToSinkOptions<C extends SinkContents> {
  /** A short name of the sink (`s3`, `hdfs`) for temporary folders. */
  readonly name: string;
  /** Builds the `sink` section from the extra keys the scenario needs (partitioning by date, compression). */
  readonly sink: (extra: Record<string, unknown>) => Record<string, unknown>;
  /** Reads back what the run wrote. */
  readonly read: () => Promise<C>;
  /** Run a second time over the same file and check that no row is duplicated. */
  readonly rerun?: boolean;
}

const TOTAL = 2500;

/** Runs the scenario; returns the first run's log and what was read back, for the sink's own checks. */
export async function fileToSinkByDate<C extends SinkContents>(
  options: FileToSinkOptions<C>,
): Promise<{ log: string; contents: C }> {
  const dir = await Deno.makeTempDir({ prefix: `fsds-${options.name}-e2e-data-` });
  const days = ["2024-03-01", "2024-03-02", "2024-03-03"];
  const note = (id: number) => id % 11 === 0 ? null : `n ${id}+`;
  const lines: string[] = [];
  for (let id = 0; id < TOTAL; id++) {
    const day = days[id % days.length]!;
    lines.push(JSON.stringify({
      id,
      ts: `${day}T${String(id % 24).padStart(2, "0")}:15:00Z`,
      data: { symbol: `S${id % 7}`, price: id / 4 },
      note: note(id),
    }));
  }
  await Deno.writeTextFile(`${dir}/events.ndjson`, lines.join("\n") + "\n");
  const config = {
    source: { type: "file", path: `${dir}/events.ndjson`, batch_size: 1000 },
    sink: options.sink({ partition_by: ["date"], timestamp_field: "ts", compression: "zstd" }),
    telemetry: { log_level: "INFO" },
  };
  const tempPrefix = `fsds-${options.name}-e2e-`;
  try {
    const run = await runCliWithConfig(config, [], { tempPrefix });
    equal(run.code, 0, run.log);

    const contents = await options.read();
    const { files } = contents;
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
        equal(row.symbol, `S${id % 7}`, "the data object is lifted to top-level columns");
        equal(row.price, id / 4);
        equal(row.note, note(id));
      }
    }
    assertEquals([...seen].sort((a, b) => a - b), Array.from({ length: TOTAL }, (_, i) => i));

    if (options.rerun) {
      // A second run over the same file writes the same file names again: they must be replaced, not duplicated.
      const again = await runCliWithConfig(config, [], { tempPrefix });
      equal(again.code, 0, again.log);
      const after = await options.read();
      equal(after.files.flatMap((f) => f.rows).length, TOTAL, "no duplicate rows after a rerun");
    }
    return { log: run.log, contents };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
