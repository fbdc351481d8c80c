import assert, { deepEqual as assertEquals } from "node:assert/strict";
import type { SourceMessage } from "../core/source.ts";
import { Partitioner } from "./partitioner.ts";
import { toEpochMs } from "./record_time.ts";

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
