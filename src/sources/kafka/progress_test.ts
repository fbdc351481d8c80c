import assert from "node:assert/strict";
import { PartitionTracker } from "./offsets.ts";
import { progressSnapshot } from "./progress.ts";

const trackers = () => [
  new PartitionTracker("orders", 0, { committed: 10n, start: 10n, end: 60n }),
  new PartitionTracker("orders", 1, { committed: null, start: 0n, end: 50n }),
  new PartitionTracker("trades", 0, { committed: 5n, start: 5n, end: 5n }),
];
const doneByStream = new Map([["orders+0", 20], ["orders+1", 30]]);

Deno.test("progressSnapshot() one-shot: per topic the records delivered of those up to the end offsets at start", () => {
  const snapshot = progressSnapshot({
    topics: ["orders", "trades", "unassigned"],
    trackers: trackers(),
    doneByStream,
    oneShot: true,
    lags: new Map([["orders+0", 999]]),
  });
  assert.deepEqual(snapshot, [
    { label: "topic", name: "orders", done: 50, total: 100, lag: null, note: "2 partitions" },
    { label: "topic", name: "trades", done: 0, total: 0, lag: null, note: "1 partition" },
  ]);
});

Deno.test("progressSnapshot() continuous: no total, the committed lag summed per topic (unknown if one is)", () => {
  const continuous = (start: PartitionTracker[]) =>
    start.map((t) => new PartitionTracker(t.topic, t.partition, { committed: t.committed, start: t.start, end: null }));
  const snapshot = progressSnapshot({
    topics: ["orders", "trades"],
    trackers: continuous(trackers()),
    doneByStream,
    oneShot: false,
    lags: new Map([["orders+0", 7], ["orders+1", 3]]),
  });
  assert.deepEqual(snapshot.map((s) => [s.name, s.done, s.total, s.lag]), [
    ["orders", 50, null, 10],
    ["trades", 0, null, null],
  ]);
});

Deno.test("progressSnapshot() one-shot, caught up: the total is what was delivered (offsets without records skipped)", () => {
  // 3 of orders' 100 offsets held transaction markers: 97 records were all there was.
  const snapshot = progressSnapshot({
    topics: ["orders"],
    trackers: trackers().slice(0, 2),
    doneByStream: new Map([["orders+0", 48], ["orders+1", 49]]),
    oneShot: true,
    caughtUp: true,
    lags: new Map(),
  });
  assert.deepEqual(snapshot.map((s) => [s.done, s.total]), [[97, 97]]);
});
