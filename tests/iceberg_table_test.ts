/**
 * Integration tests of Iceberg table bookkeeping on a real local sink: metadata versions past the metadata log are
 * deleted by expiry, the newest version is found without (or with a stale) version hint, and a store that ignores
 * create-if-absent writes is refused before any commit.
 * @module
 */
import assert, { deepStrictEqual as assertEquals, equal, rejects } from "node:assert/strict";
import { Int64, Table, vectorFromArray } from "apache-arrow";
import { encodeParquet } from "../src/parquet/writer.ts";
import type { Sink } from "../src/core/sink.ts";
import { LocalSink } from "../src/sinks/local.ts";
import { Logger } from "../src/telemetry/log.ts";
import { IcebergLog } from "../src/table/iceberg/delivery.ts";
import { expireTable } from "../src/table/iceberg/expire.ts";
import { compactTable } from "../src/table/iceberg/compact.ts";
import { liveFiles, manifestsOf } from "../src/table/iceberg/live_files.ts";
import { currentSnapshot } from "../src/table/iceberg/metadata.ts";
import { TableStore } from "../src/table/iceberg/table_store.ts";
import { metadataVersions } from "../src/table/iceberg/hadoop_catalog.ts";

const log = new Logger("test.iceberg");
const paths = { isOwnPath: () => true, probePath: () => "_fsds/probe/x", probeFolder: "_fsds/probe/" };
const encode = (table: Table) => encodeParquet(table, { compression: "none", rowGroupSize: 100 });

async function commits(sink: LocalSink, count: number, stream = "s"): Promise<void> {
  const delivery = new IcebergLog(sink, { log, tableOf: () => "t/", partitionBy: [], encode });
  const compare = (a: string, b: string) => Number(a) - Number(b);
  await delivery.recover(stream, { dataset: "d", first: "0", compare });
  for (let i = 0; i < count; i++) {
    const tableFile = delivery.tableFile("d");
    const table = tableFile.prepare(new Table({ id: vectorFromArray([BigInt(i)], new Int64()) }));
    const path = delivery.dataPath("d", "", `${stream}+${i}.parquet`);
    const data = encode(table);
    await sink.write(path, data);
    await delivery.commit({
      stream,
      dataset: "d",
      first: String(i),
      last: String(i),
      files: [{ path, bytes: data.length, rows: 1, tableFile }],
    });
  }
}

Deno.test("expireTable() deletes metadata versions past the metadata log; latest() finds the newest without a hint", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-iceberg-store-" });
  try {
    const sink = new LocalSink(root, { paths, fsync: false });
    await commits(sink, 104);
    const store = new TableStore(sink, "t/");
    const result = await expireTable(store, { retainMs: 3_600_000, orphanGraceMs: 0, log });
    equal(result.snapshotsExpired, 0);
    const versions = await metadataVersions(sink, "t/");
    // The newest lists the 100 before it.
    assertEquals([versions[0], versions.at(-1), versions.length], [4, 104, 101]);
    // A missing hint (or one naming a deleted version) falls back to listing the folder.
    await sink.write("t/metadata/version-hint.text", new TextEncoder().encode("2"));
    equal((await store.latest())!.version, 104);
    await sink.delete("t/metadata/version-hint.text");
    equal((await store.latest())!.version, 104);
    // And a writer commits on top of it instead of creating the table again.
    await commits(sink, 1, "other");
    const latest = (await store.latest())!;
    equal(latest.version, 105);
    equal(latest.metadata.snapshots.length, 105);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("IcebergLog refuses a store whose create-if-absent write does not refuse a second create", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-iceberg-probe-" });
  try {
    const sink = new LocalSink(root, { paths, fsync: false });
    const options = { log, tableOf: () => "t/", partitionBy: [], encode, probePath: () => "_fsds/probe/p" };
    await new IcebergLog(sink, options).open("d"); // the local sink honours it
    const careless: Sink = {
      connect: () => sink.connect(),
      write: (path, data) => sink.write(path, data),
      writeIfAbsent: async (path, data) => (await sink.write(path, data), true),
      read: (path) => sink.read(path),
      list: (prefix) => sink.list(prefix),
      delete: (path) => sink.delete(path),
      describe: (path) => sink.describe(path),
      close: () => sink.close(),
    };
    await rejects(() => new IcebergLog(careless, options).open("d"), /does not honour create-if-absent writes/);
    assertEquals(await sink.list("_fsds/probe/"), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("IcebergLog refuses to append to a table partitioned otherwise than partition_by says", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-iceberg-spec-" });
  try {
    const sink = new LocalSink(root, { paths, fsync: false });
    await commits(sink, 1);
    const options = { log, tableOf: () => "t/", partitionBy: ["id"], encode };
    await rejects(
      () => new IcebergLog(sink, options).open("d"),
      /it is partitioned by nothing, sink.partition_by asks for identity\(id\)/,
    );
    await new IcebergLog(sink, { ...options, partitionBy: [] }).open("d");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("compactTable() with nothing to merge rewrites the manifests of many appends as one, rows unchanged", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-iceberg-manifests-" });
  try {
    const sink = new LocalSink(root, { paths, fsync: false });
    await commits(sink, 5);
    const store = new TableStore(sink, "t/");
    // Every file is young: none is merged, but five manifests become one.
    const result = await compactTable(store, { olderThanMs: 3_600_000, targetFileBytes: 1 << 20, encode, log });
    equal(result.rewritten, 0);
    equal(result.version, 6);
    const latest = (await store.latest())!;
    const snapshot = currentSnapshot(latest.metadata)!;
    equal(snapshot.summary.operation, "replace");
    equal(snapshot.summary["total-records"], "5");
    equal((await manifestsOf(store, snapshot)).length, 1);
    equal((await liveFiles(store, snapshot)).length, 5);
    equal(
      (await compactTable(store, { olderThanMs: 3_600_000, targetFileBytes: 1 << 20, encode, log })).version,
      undefined,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a commit whose create went through but answered 'exists' (a retried request) is not committed twice", async () => {
  const root = await Deno.makeTempDir({ prefix: "fsds-iceberg-retried-" });
  try {
    const inner = new LocalSink(root, { paths, fsync: false });
    let lies = 0;
    const sink: Sink = {
      connect: () => inner.connect(),
      write: (path, data) => inner.write(path, data),
      // Every second metadata create succeeds but reports the file as already there.
      writeIfAbsent: async (path, data) => {
        const created = await inner.writeIfAbsent(path, data);
        return created && path.endsWith(".metadata.json") && lies++ % 2 === 1 ? false : created;
      },
      read: (path) => inner.read(path),
      list: (prefix) => inner.list(prefix),
      delete: (path) => inner.delete(path),
      describe: (path) => inner.describe(path),
      uri: (path) => inner.uri(path),
      close: () => inner.close(),
    };
    // No recover(): a source without durable positions, so only the snapshot ids can tell.
    const delivery = new IcebergLog(sink, { log, tableOf: () => "t/", partitionBy: [], encode });
    for (let i = 0; i < 4; i++) {
      const tableFile = delivery.tableFile("d");
      const table = tableFile.prepare(new Table({ id: vectorFromArray([BigInt(i)], new Int64()) }));
      const path = delivery.dataPath("d", "", `f+${i}.parquet`);
      const data = encode(table);
      await sink.write(path, data);
      await delivery.commit({
        stream: "f",
        dataset: "d",
        first: String(i),
        last: String(i),
        files: [{ path, bytes: data.length, rows: 1, tableFile }],
      });
    }
    const store = new TableStore(sink, "t/");
    const compacted = await compactTable(store, { olderThanMs: 0, targetFileBytes: 1 << 20, encode, log });
    equal(compacted.written, 1);
    const latest = (await store.latest())!;
    equal(latest.version, 5, "four appends and one replace, none twice");
    equal(currentSnapshot(latest.metadata)!.summary["total-records"], "4");
    assert(lies >= 4, `the sink reported lost races: ${lies}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
