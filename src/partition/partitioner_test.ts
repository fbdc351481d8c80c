import assert, { deepEqual as assertEquals } from "node:assert/strict";
import type { SourceMessage } from "../core/source.ts";
import { Partitioner } from "./partitioner.ts";
import { toEpochMs } from "./record_time.ts";
import { referenceFolder } from "./_test_reference.ts";

const lookup = (value: unknown, column: string) => (value as Record<string, unknown>)[column];
const message = (extra: Partial<SourceMessage> = {}): SourceMessage => ({
  stream: "orders+3",
  position: "00000000000000000001",
  value: null,
  metadata: ["orders"],
  ...extra,
});
const base = { metadataColumns: [{ name: "kafka_topic", type: "utf8" as const }], lookup };

Deno.test("partitioner derives date and hour from the timestamp field in UTC", () => {
  const p = new Partitioner({ ...base, partitionBy: ["date", "hour"], timestampField: "ts" });
  assertEquals(p.folderFor({ ts: "2025-10-17T23:30:00Z" }, message()), "date=2025-10-17/hour=23/");
  assertEquals(p.folderFor({ ts: 1760743800 }, message()), "date=2025-10-17/hour=23/");
});

Deno.test("partitioner honours a time zone with a 30-minute offset", () => {
  const p = new Partitioner({ ...base, partitionBy: ["date", "hour"], timestampField: "ts", timezone: "Asia/Kolkata" });
  assertEquals(p.folderFor({ ts: "2025-10-17T23:30:00Z" }, message()), "date=2025-10-18/hour=05/");
});

Deno.test("partitioner falls back to the source timestamp, then the default partition", () => {
  const p = new Partitioner({ ...base, partitionBy: ["date"] });
  assertEquals(p.folderFor({}, message({ timestampMs: Date.UTC(2024, 0, 2) })), "date=2024-01-02/");
  assertEquals(p.folderFor({}, message()), "date=__HIVE_DEFAULT_PARTITION__/");
  const q = new Partitioner({ ...base, partitionBy: ["date"], timestampField: "ts" });
  assertEquals(q.folderFor({ ts: "not a time" }, message()), "date=__HIVE_DEFAULT_PARTITION__/");
});

Deno.test("partitioner escapes values so they never leave the output root", () => {
  const p = new Partitioner({ ...base, partitionBy: ["key"] });
  assertEquals(p.folderFor({ key: "../../etc" }, message()), "key=..%2F..%2Fetc/");
  assertEquals(p.folderFor({ key: "/abs" }, message()), "key=%2Fabs/");
  assertEquals(p.folderFor({ key: "流:事件" }, message()), "key=流%3A事件/");
  assertEquals(p.folderFor({ key: null }, message()), "key=__HIVE_DEFAULT_PARTITION__/");
  assertEquals(p.folderFor({}, message()), "key=__HIVE_DEFAULT_PARTITION__/");
});

Deno.test("partitioner reads metadata columns by name", () => {
  const p = new Partitioner({ ...base, partitionBy: ["kafka_topic"] });
  assertEquals(p.folderFor({ kafka_topic: "spoofed" }, message()), "kafka_topic=orders/");
});

Deno.test("partitioner renders the collector's YYYY/MM/DD/topic template", () => {
  const p = new Partitioner({ ...base, partitionBy: [], pathTemplate: "{year}/{month}/{day}/{topic}" });
  assertEquals(p.folderFor({}, message({ timestampMs: Date.UTC(2025, 9, 17, 10) })), "2025/10/17/orders/");
});

Deno.test("partitioner rejects an unknown template token", () => {
  assert.throws(() => new Partitioner({ ...base, partitionBy: [], pathTemplate: "{yr}" }), RangeError);
});

Deno.test("toEpochMs() tells seconds, ms, us and ns apart", () => {
  const ms = Date.UTC(2025, 0, 1);
  assertEquals(toEpochMs(ms / 1000), ms);
  assertEquals(toEpochMs(ms), ms);
  assertEquals(toEpochMs(ms * 1000), ms);
  assertEquals(toEpochMs(BigInt(ms) * 1_000_000n), ms);
  assertEquals(toEpochMs("2025-01-01"), ms);
  assertEquals(toEpochMs("2025-01-01 00:00:00"), ms);
  assertEquals(toEpochMs(true), undefined);
});

const HOUR = 3_600_000;
/** Instants around hour and day boundaries, and around the 2025 DST changes of New York (Mar 9, Nov 2). */
const INSTANTS = [
  Date.UTC(2025, 9, 17, 23, 59, 59, 999),
  Date.UTC(2025, 9, 18, 0, 0, 0, 0),
  Date.UTC(2025, 9, 18, 10, 59, 59, 999),
  Date.UTC(2025, 9, 18, 11),
  Date.UTC(2025, 9, 18, 18, 14, 59, 999), // 23:59:59.999 in Kathmandu (+05:45)
  Date.UTC(2025, 9, 18, 18, 15),
  Date.UTC(2025, 2, 9, 6, 59, 59, 999), // 01:59:59.999 EST, then 03:00 EDT
  Date.UTC(2025, 2, 9, 7),
  Date.UTC(2025, 10, 2, 5, 30), // 01:30 EDT, then an hour later 01:30 EST again
  Date.UTC(2025, 10, 2, 6, 30),
  Date.UTC(1969, 11, 31, 23, 59, 59, 999),
  0,
];
const VALUES: unknown[] = [
  "orders",
  "流:事件",
  "../../etc",
  ".",
  "..",
  "",
  "a b+c=d%",
  "x".repeat(199),
  "x".repeat(201),
  "é".repeat(150), // 300 UTF-8 bytes: shortened
  "y".repeat(300), // too long to be a cache key
  "\ud800lone",
  "emoji 😀",
  null,
  undefined,
  0,
  -0,
  42,
  1.5,
  NaN,
  true,
  12345678901234567890n,
  { nested: 1 },
  [1, "a"],
  new Date(Date.UTC(2025, 0, 1)),
];

function cases(): { value: unknown; message: SourceMessage }[] {
  const out: { value: unknown; message: SourceMessage }[] = [];
  let n = 0;
  for (const ms of INSTANTS) {
    for (const key of VALUES) {
      n++;
      const stream = ["orders+3", "orders+4", "流+0", "a/b", "+x"][n % 5]!;
      const dataset = n % 7 === 0 ? "explicit/ds" : n % 11 === 0 ? stream : undefined;
      const ts = [ms, new Date(ms).toISOString(), ms / 1000, "not a time", null][n % 5];
      out.push({
        value: { key, ts, data: { region: n % 3 === 0 ? "eu" : "流" } },
        message: message({ stream, dataset, timestampMs: n % 13 === 0 ? undefined : ms, metadata: [stream] }),
      });
    }
  }
  return out;
}

Deno.test("partitioner folders are byte-identical to rendering each record, before and after they are cached", () => {
  const layouts: { partitionBy: string[]; pathTemplate?: string; timestampField?: string }[] = [
    { partitionBy: [], pathTemplate: "{year}/{month}/{day}/{topic}" },
    { partitionBy: [], pathTemplate: "/{date}/{hour}/{stream}/" },
    { partitionBy: [], pathTemplate: "raw/{dataset}" },
    { partitionBy: ["date", "hour"], timestampField: "ts" },
    { partitionBy: ["key"] },
    { partitionBy: ["kafka_topic", "key", "region"], pathTemplate: "{topic}/{year}", timestampField: "ts" },
    { partitionBy: ["hour", "key"], pathTemplate: "{stream}-{topic}" },
  ];
  const all = cases();
  for (const timezone of ["UTC", "America/New_York", "Asia/Kathmandu", "Asia/Kolkata"]) {
    for (const layout of layouts) {
      const options = { ...base, ...layout, timezone };
      const p = new Partitioner(options);
      const expected = referenceFolder(options);
      for (let round = 0; round < 2; round++) {
        for (const { value, message } of all) {
          assertEquals(p.folderFor(value, message), expected(value, message), JSON.stringify({ layout, timezone }));
        }
      }
    }
  }
});

Deno.test("partitioner tells a stream's derived dataset from an explicit one of the same name", () => {
  const p = new Partitioner({ ...base, partitionBy: [], pathTemplate: "{topic}" });
  assertEquals(p.folderFor({}, message({ stream: "x+1" })), "x/");
  assertEquals(p.folderFor({}, message({ stream: "x+1", dataset: "x+1" })), "x%2B1/");
  assertEquals(p.folderFor({}, message({ stream: "x+1" })), "x/");
});

Deno.test("partitioner keeps at most a bounded number of folders and stays exact past it", () => {
  const options = { ...base, partitionBy: ["key"], pathTemplate: "{date}", timezone: "Europe/Berlin" };
  const p = new Partitioner(options);
  const expected = referenceFolder(options);
  for (let i = 0; i < 20_000; i++) {
    const m = message({ timestampMs: Date.UTC(2025, 0, 1) + (i % 500) * HOUR });
    const value = { key: `k${i % 3000}` };
    assertEquals(p.folderFor(value, m), expected(value, m));
    assert(p.cachedFolders <= 4096);
  }
});
