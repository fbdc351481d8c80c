/**
 * End-to-end tests of `sink.catalog: rest` against the kit's Iceberg REST catalog server (Iceberg's own
 * RESTCatalogServer): the real CLI commits, pyiceberg loads the table through the catalog with its own REST client,
 * and ClickHouse (chdb) counts the folder. A table written before the catalog was configured is registered with its
 * history; a name the catalog already holds at another place is refused before anything is written.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { runCliWithConfig } from "./helpers/sink_e2e.ts";
import { availableReaders } from "./readers/mod.ts";
import {
  countWithClickHouse,
  latestMetadataFile,
  readWithPyIceberg,
  readWithPyIcebergRest,
} from "./readers/iceberg.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";

const available = await availableReaders();
const ignore = !available.pyiceberg;

async function ndjson(path: string, rows: readonly Record<string, unknown>[]): Promise<string> {
  await Deno.writeTextFile(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

/** A namespace of its own per test: the kit's catalog outlives test runs. */
function freshNamespace(): string {
  return `rest_${crypto.randomUUID().slice(0, 8)}`;
}

function fileRun(path: string, sink: Record<string, unknown>) {
  return runCliWithConfig({
    source: { type: "file", path, batch_size: 500 },
    sink: { type: "local", table_format: "iceberg", table: "events", partition_by: ["kind"], ...sink },
    telemetry: { log_level: "INFO" },
  });
}

Deno.test({
  name:
    "REST catalog: the CLI creates the table, evolves its schema mid-run, and pyiceberg reads it through the catalog",
  ignore,
  async fn() {
    await ensureRunning(["iceberg"]);
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-rest-" });
    try {
      const namespace = freshNamespace();
      const uri = endpoints().iceberg.uri;
      const first = Array.from({ length: 1200 }, (_, id) => ({ id, kind: id % 2 ? "odd" : "even" }));
      // The second file adds a column and widens none: a new schema id, a new field id, old rows read as null.
      const second = Array.from({ length: 800 }, (_, i) => ({ id: 1200 + i, kind: "odd", score: i / 2 }));
      const sink = {
        path: `${dir}/out`,
        catalog: "rest",
        catalog_uri: uri,
        catalog_namespace: namespace,
        // OAuth2 client credentials: the server's token endpoint hands out the bearer token.
        catalog_credential: "fsds:secret",
      };
      const run1 = await fileRun(await ndjson(`${dir}/a.ndjson`, first), sink);
      equal(run1.code, 0, run1.log);
      const run2 = await fileRun(await ndjson(`${dir}/b.ndjson`, second), sink);
      equal(run2.code, 0, run2.log);
      const table = await readWithPyIcebergRest(uri, `${namespace}.events`, { idColumn: "id" });
      equal(table.rows, 2000);
      equal(table.distinct_ids, 2000);
      assert(
        table.metadata_location.replace(/^file:\/+/, "/").startsWith(`${dir}/out/events/metadata/`),
        table.metadata_location,
      );
      assertEquals(table.columns.map((c) => [c.id, c.name, c.type]), [
        [1, "id", "long"],
        [2, "kind", "string"],
        [3, "score", "double"],
      ]);
      equal(table.schema_id, 1);
      equal(table.values!.score![0], null);
      equal(table.values!.score![1999], 399.5);
      assertEquals(JSON.parse(table.summary["fsds.positions"]!), {
        "a.ndjson": "000000001200",
        "b.ndjson": "000000000800",
      });
      // No Hadoop-table bookkeeping beside a catalog's table: readers must not find two truths.
      const names: string[] = [];
      for await (const entry of Deno.readDir(`${dir}/out/events/metadata`)) names.push(entry.name);
      assert(!names.includes("version-hint.text"), names.join(", "));
      assert(!names.some((n) => /^v\d+\.metadata\.json$/.test(n)), names.join(", "));
      if (available.clickhouse) {
        assertEquals(await countWithClickHouse(`${dir}/out/events`, { idColumn: "id" }), {
          rows: 2000,
          distinct_ids: 2000,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "REST catalog: a table written without a catalog is registered with its snapshots and positions, then grows",
  ignore,
  async fn() {
    await ensureRunning(["iceberg"]);
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-rest-register-" });
    try {
      const namespace = freshNamespace();
      const uri = endpoints().iceberg.uri;
      const path = `${dir}/a.ndjson`;
      const rows = Array.from({ length: 1000 }, (_, id) => ({ id, kind: id % 3 ? "x" : "y" }));
      const hadoop = await fileRun(await ndjson(path, rows), { path: `${dir}/out` });
      equal(hadoop.code, 0, hadoop.log);
      const before = await readWithPyIceberg(await latestMetadataFile(`${dir}/out/events`), { idColumn: "id" });
      equal(before.rows, 1000);

      const later = Array.from({ length: 500 }, (_, i) => ({ id: 1000 + i, kind: "z" }));
      const rest = await fileRun(await ndjson(`${dir}/b.ndjson`, later), {
        path: `${dir}/out`,
        catalog: "rest",
        catalog_uri: uri,
        catalog_namespace: namespace,
      });
      equal(rest.code, 0, rest.log);
      assert(rest.log.includes("Registered"), rest.log);
      const table = await readWithPyIcebergRest(uri, `${namespace}.events`, { idColumn: "id" });
      equal(table.rows, 1500);
      equal(table.distinct_ids, 1500);
      equal(table.snapshots, before.snapshots + 1, "the Hadoop table's snapshots carry over, one more on top");
      assertEquals(JSON.parse(table.summary["fsds.positions"]!), {
        "a.ndjson": "000000001000",
        "b.ndjson": "000000000500",
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "REST catalog: a table name the catalog holds at another location exits 2 naming both, writing nothing",
  ignore,
  async fn() {
    await ensureRunning(["iceberg"]);
    const dir = await Deno.makeTempDir({ prefix: "fsds-iceberg-rest-clash-" });
    try {
      const namespace = freshNamespace();
      const sink = { catalog: "rest", catalog_uri: endpoints().iceberg.uri, catalog_namespace: namespace };
      const path = await ndjson(`${dir}/a.ndjson`, [{ id: 1, kind: "x" }, { id: 2, kind: "y" }]);
      const first = await fileRun(path, { ...sink, path: `${dir}/one` });
      equal(first.code, 0, first.log);
      const clash = await fileRun(path, { ...sink, path: `${dir}/two` });
      equal(clash.code, 2, clash.log);
      assert(clash.log.includes(`${namespace}.events`), clash.log);
      assert(clash.log.includes(`${dir}/one/events`), clash.log);
      const written: string[] = [];
      try {
        for await (const entry of Deno.readDir(`${dir}/two/events/data`)) written.push(entry.name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      assertEquals(written, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
