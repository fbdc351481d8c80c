import assert from "node:assert/strict";
import type { SourceProgress } from "../core/source.ts";
import {
  figuresOf,
  formatBytes,
  formatCount,
  formatEta,
  formatRate,
  progressFields,
  progressLine,
  RateWindow,
} from "./progress_format.ts";

const topic = (done: number, total: number | null, lag: number | null = null): SourceProgress => ({
  label: "topic",
  name: "orders",
  done,
  total,
  lag,
  note: "3 partitions",
});

Deno.test("RateWindow gives 200/s for records arriving 1000 at a time every 5 s, sampled 5 times a second", () => {
  // What the old per-refresh rate got wrong: between two fetches it saw 0/s, at a fetch 5000/s.
  const window = new RateWindow();
  let done = 0;
  const seen: number[] = [];
  for (let at = 0; at <= 30_000; at += 200) {
    if (at > 0 && at % 5000 === 0) done += 1000;
    window.add(at, done);
    if (at >= 12_000) seen.push(window.records!);
  }
  for (const rate of seen) assert.ok(rate >= 180 && rate <= 220, `rate ${rate} is about 200/s`);
});

Deno.test("RateWindow looks back about 10 s only: a rate change shows within the window", () => {
  const window = new RateWindow();
  for (let at = 0; at <= 60_000; at += 1000) window.add(at, at < 30_000 ? at / 10 : 3000 + (at - 30_000) * 2);
  // 100/s for 30 s, then 2000/s for 30 s: the last 10 s are all at 2000/s.
  assert.equal(window.records, 2000);
});

Deno.test("RateWindow answers null until its samples span 500 ms, and starts over when a count goes back", () => {
  const window = new RateWindow();
  window.add(0, 0);
  window.add(400, 40);
  assert.equal(window.records, null);
  window.add(1000, 100);
  assert.equal(window.records, 100);
  window.add(1200, 10);
  assert.equal(window.records, null, "a count that went back restarts the window");
  window.add(2200, 110);
  assert.equal(window.records, 100);
});

Deno.test("RateWindow measures bytes beside records", () => {
  const window = new RateWindow();
  window.add(0, 0, 0);
  window.add(2000, 500, 4096);
  assert.deepEqual([window.records, window.bytes], [250, 2048]);
});

Deno.test("figuresOf() gives percent (floored) and ETA = remaining / rate in one-shot runs", () => {
  assert.deepEqual(figuresOf(topic(5200, 10_000), { records: 1200, bytes: null }), {
    percent: 52,
    recordsPerSecond: 1200,
    etaSeconds: 4,
  });
  assert.equal(figuresOf(topic(9999, 10_000), { records: 1, bytes: null }).percent, 99, "99.99% is not 100%");
  assert.deepEqual(figuresOf(topic(10, 10), { records: null, bytes: null }), {
    percent: 100,
    recordsPerSecond: null,
    etaSeconds: 0,
  });
  assert.equal(figuresOf(topic(0, 0), { records: null, bytes: null }).percent, 100, "nothing to read is done");
  assert.equal(figuresOf(topic(5, 10), { records: null, bytes: null }).etaSeconds, null, "no rate yet: no ETA");
  assert.equal(figuresOf(topic(5, 10), { records: 0, bytes: null }).etaSeconds, null, "stalled: no ETA");
  assert.equal(figuresOf(topic(12, 10), { records: 5, bytes: null }).percent, 100, "more than the total is 100%");
});

Deno.test("figuresOf() takes percent and ETA of a file from its bytes, the rate from its records", () => {
  const file: SourceProgress = {
    label: "file",
    name: "a.ndjson",
    done: 300,
    total: null,
    lag: null,
    bytes: { done: 1000, total: 4000 },
  };
  assert.deepEqual(figuresOf(file, { records: 150, bytes: 500 }), {
    percent: 25,
    recordsPerSecond: 150,
    etaSeconds: 6,
  });
});

Deno.test("figuresOf() gives no percent nor ETA in continuous runs", () => {
  assert.deepEqual(figuresOf(topic(500, null, 40), { records: 20, bytes: null }), {
    percent: null,
    recordsPerSecond: 20,
    etaSeconds: null,
  });
});

Deno.test("formatEta(), formatRate(), formatCount() and formatBytes() read as people write them", () => {
  assert.deepEqual([0, 4, 4.2, 59.5, 61, 3599, 3600, 7620].map(formatEta), [
    "0s",
    "4s",
    "5s",
    "1m00s",
    "1m01s",
    "59m59s",
    "1h00m",
    "2h07m",
  ]);
  assert.equal(formatEta(null), "--");
  assert.deepEqual([null, 0, 2.5, 12, 999, 12_345, 2_500_000].map(formatRate), [
    "-/s",
    "0/s",
    "2.5/s",
    "12/s",
    "999/s",
    "12.3k/s",
    "2.5M/s",
  ]);
  assert.equal(formatCount(1_234_567), "1,234,567");
  assert.deepEqual([512, 4096, 12.3 * 1024 * 1024].map(formatBytes), ["512 B", "4.0 KiB", "12.3 MiB"]);
});

Deno.test("progressLine() shows done/total, %, rate and ETA one-shot; records, rate and lag continuous", () => {
  const oneShot = progressLine(topic(5200, 10_000), { percent: 52, recordsPerSecond: 1200, etaSeconds: 4 }, 8);
  assert.equal(oneShot, "orders    |████████████░░░░░░░░░░░░|   52%  5,200/10,000  1.2k/s  ETA 4s  3 partitions");
  const continuous = progressLine(
    topic(12_345, null, 340),
    { percent: null, recordsPerSecond: 20, etaSeconds: null },
    6,
  );
  assert.equal(continuous, "orders  12,345 records  20/s  lag 340  3 partitions");
  assert.ok(!continuous.includes("%"), "no percent without a total");
});

Deno.test("progressFields() names the item by its label and leaves out what is unknown", () => {
  assert.deepEqual(progressFields(topic(40, 100), { percent: 40, recordsPerSecond: 12.4, etaSeconds: 4.2 }), {
    topic: "orders",
    done: 40,
    total: 100,
    percent: 40,
    records_per_second: 12,
    eta_seconds: 5,
    note: "3 partitions",
  });
  assert.deepEqual(
    progressFields({ label: "key", name: "k", done: 3, total: null, lag: 7 }, {
      percent: null,
      recordsPerSecond: null,
      etaSeconds: null,
    }),
    { key: "k", done: 3, lag: 7 },
  );
});
