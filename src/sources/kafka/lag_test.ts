import assert from "node:assert/strict";
import { Logger } from "../../telemetry/log.ts";
import { KafkaLag, partitionLag, type PartitionLagState } from "./lag.ts";
import { PartitionTracker } from "./offsets.ts";

const log = new Logger("test.kafka_lag");

function tracker(committed: bigint | null, start: bigint, high: bigint): PartitionTracker {
  const t = new PartitionTracker("orders", 0, { committed, start, end: null });
  t.highWatermark = high;
  return t;
}

Deno.test("partitionLag() is the high watermark minus the committed offset", () => {
  const t = tracker(40n, 40n, 100n);
  assert.deepEqual(partitionLag(t), 60);
  for (let offset = 40n; offset < 70n; offset++) t.delivered(offset);
  // Delivered but not yet durable: still waiting.
  assert.deepEqual(partitionLag(t), 60);
  t.committedTo(55n);
  assert.deepEqual(partitionLag(t), 45);
  t.committedTo(70n);
  assert.deepEqual(partitionLag(t), 30);
});

Deno.test("partitionLag() of a new group counts from the start point", () => {
  assert.deepEqual(partitionLag(tracker(null, 0n, 25n)), 25);
  assert.deepEqual(partitionLag(tracker(null, 10n, 25n)), 15);
});

Deno.test("partitionLag() ignores records removed by retention below the start", () => {
  // Committed 5, but the log starts at 20: the 15 records between are gone, not waiting.
  assert.deepEqual(partitionLag(tracker(5n, 20n, 50n)), 30);
});

Deno.test("partitionLag() of a caught-up consumer on a transactional topic is 0", () => {
  const t = tracker(0n, 0n, 11n);
  for (let offset = 0n; offset < 10n; offset++) t.delivered(offset);
  // Offset 10 is a commit marker: fetched, never delivered, so never acknowledged.
  t.fetched(10n);
  assert.deepEqual(partitionLag(t), 11);
  t.committedTo(10n);
  assert.deepEqual(partitionLag(t), 0);
});

Deno.test("partitionLag() keeps counting from the commit while delivered records are unacknowledged", () => {
  const t = tracker(0n, 0n, 11n);
  for (let offset = 0n; offset < 10n; offset++) t.delivered(offset);
  t.fetched(10n);
  t.committedTo(5n);
  assert.deepEqual(partitionLag(t), 6);
});

Deno.test("partitionLag() is never negative and takes an explicit high watermark", () => {
  const t = tracker(30n, 30n, 20n);
  assert.deepEqual(partitionLag(t), 0);
  assert.deepEqual(partitionLag(t, 45n), 15);
});

Deno.test("KafkaLag.lags() refreshes high watermarks in the background at most once per interval", async () => {
  let now = 0;
  const partitions: PartitionLagState[] = [tracker(10n, 10n, 20n)];
  const asked: string[][] = [];
  let high = 50n;
  const lag = new KafkaLag({
    partitions: () => partitions,
    fetchHighWatermarks: (topics) => {
      asked.push([...topics]);
      return Promise.resolve(new Map([["orders+0", high]]));
    },
    log,
    intervalMs: 5000,
    now: () => now,
  });
  // First read: the fetched watermark; a refresh starts.
  assert.deepEqual(lag.lags(), new Map([["orders+0", 10]]));
  await lag.settled();
  assert.deepEqual(lag.lags(), new Map([["orders+0", 40]]));
  high = 80n;
  now = 4999;
  assert.deepEqual(lag.lags(), new Map([["orders+0", 40]]));
  assert.deepEqual(asked.length, 1);
  now = 5000;
  lag.lags();
  await lag.settled();
  assert.deepEqual(lag.lags(), new Map([["orders+0", 70]]));
  assert.deepEqual(asked, [["orders"], ["orders"]]);
});

Deno.test("KafkaLag.lags() keeps the last values when a refresh fails, and drops revoked partitions", async () => {
  let now = 0;
  let fail = false;
  const second = new PartitionTracker("orders", 1, { committed: 0n, start: 0n, end: null });
  let partitions: PartitionLagState[] = [tracker(0n, 0n, 5n), second];
  const lag = new KafkaLag({
    partitions: () => partitions,
    fetchHighWatermarks: () =>
      fail ? Promise.reject(new Error("broker down")) : Promise.resolve(
        new Map([["orders+0", 9n], ["orders+1", 7n]]),
      ),
    log,
    intervalMs: 1000,
    now: () => now,
  });
  lag.lags();
  await lag.settled();
  assert.deepEqual(lag.lags(), new Map([["orders+0", 9], ["orders+1", 7]]));
  fail = true;
  now = 1000;
  lag.lags();
  await lag.settled();
  assert.deepEqual(lag.lags(), new Map([["orders+0", 9], ["orders+1", 7]]));
  partitions = [second];
  assert.deepEqual(lag.lags(), new Map([["orders+1", 7]]));
});

Deno.test("KafkaLag.lags() asks nothing while no partition is assigned", async () => {
  let asked = 0;
  const lag = new KafkaLag({
    partitions: () => [],
    fetchHighWatermarks: () => {
      asked++;
      return Promise.resolve(new Map());
    },
    log,
  });
  assert.deepEqual(lag.lags().size, 0);
  await lag.settled();
  assert.deepEqual(asked, 0);
});
