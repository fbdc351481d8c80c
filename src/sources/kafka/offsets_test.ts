import assert from "node:assert/strict";
import {
  formatPosition,
  parsePosition,
  parseStream,
  type PartitionOffsets,
  PartitionTracker,
  startOffset,
  streamName,
  unfinishedElsewhere,
} from "./offsets.ts";

Deno.test("positions are 20-digit offsets that sort as text in offset order", () => {
  assert.equal(formatPosition(1200n), "00000000000000001200");
  assert.equal(parsePosition("00000000000000001200"), 1200n);
  const offsets = [9n, 10n, 100n, 2n, 9_223_372_036_854_775_807n];
  const sorted = offsets.map(formatPosition).sort().map(parsePosition);
  assert.deepEqual(sorted, [2n, 9n, 10n, 100n, 9_223_372_036_854_775_807n]);
  assert.equal(streamName("orders.v1", 3), "orders.v1+3");
  assert.deepEqual(parseStream("orders.v1+3"), { topic: "orders.v1", partition: 3 });
  assert.throws(() => parseStream("orders"), RangeError);
});

Deno.test("PartitionTracker commits the offset after the last acknowledged one, never backwards", () => {
  const tracker = new PartitionTracker("t", 0, { committed: 5n, start: 5n, end: null });
  for (let offset = 5n; offset < 10n; offset++) tracker.delivered(offset);
  assert.equal(tracker.commitTarget(7n), 8n);
  tracker.committedTo(8n);
  assert.equal(tracker.commitTarget(6n), undefined);
  assert.equal(tracker.commitTarget(9n), 10n);
});

Deno.test("PartitionTracker is caught up at the one-shot end, at once when the partition is empty", () => {
  const empty = new PartitionTracker("t", 0, { committed: null, start: 0n, end: 0n });
  assert.equal(empty.caughtUp, true);
  const done = new PartitionTracker("t", 1, { committed: 10n, start: 10n, end: 10n });
  assert.equal(done.caughtUp, true);
  const tracker = new PartitionTracker("t", 2, { committed: 3n, start: 3n, end: 6n });
  assert.equal(tracker.caughtUp, false);
  assert.equal(tracker.toDo, 3n);
  assert.deepEqual(tracker.checkBatch(3n, 7n), { kind: "deliver", from: 3n, until: 6n });
  tracker.fetched(4n);
  assert.equal(tracker.caughtUp, false);
  tracker.fetched(5n);
  assert.equal(tracker.caughtUp, true);
  assert.deepEqual(tracker.checkBatch(6n, 8n), { kind: "past_end" });
});

Deno.test("PartitionTracker skips records before a start point and detects offsets going backwards", () => {
  const fresh = new PartitionTracker("t", 0, { committed: null, start: 50n, end: null });
  assert.deepEqual(fresh.checkBatch(0n, 20n), { kind: "seek", seekTo: 50n });
  assert.deepEqual(fresh.checkBatch(40n, 60n), { kind: "deliver", from: 50n, until: null });

  const recreated = new PartitionTracker("t", 0, { committed: 100n, start: 100n, end: null });
  recreated.fetched(120n);
  assert.deepEqual(recreated.checkBatch(0n, 9n), { kind: "reset", from: 0n, expected: 121n });
  assert.equal(recreated.committed, null, "commits may go below the old committed offset afterwards");
  assert.equal(recreated.commitTarget(9n), 10n);

  const running = new PartitionTracker("t", 0, { committed: 0n, start: 0n, end: null });
  running.delivered(0n);
  running.fetched(30n);
  assert.deepEqual(running.checkBatch(31n, 40n), { kind: "deliver", from: 31n, until: null });
  assert.equal(running.checkBatch(5n, 8n).kind, "reset");
});

const at = (offsets: Partial<PartitionOffsets>): PartitionOffsets => ({
  committed: null,
  low: 10n,
  high: 100n,
  atTime: null,
  ...offsets,
});

Deno.test("startOffset() takes the committed offset when the group has one, whatever start_from says", () => {
  for (const startFrom of [{ kind: "earliest" }, { kind: "latest" }, { kind: "timestamp", ms: 5 }] as const) {
    assert.deepEqual(startOffset(at({ committed: 42n, atTime: 70n }), startFrom), {
      kind: "committed",
      start: 42n,
      committed: 42n,
    });
  }
  assert.deepEqual(startOffset(at({ committed: 100n }), { kind: "latest" }), {
    kind: "committed",
    start: 100n,
    committed: 100n,
  }, "a commit at the high watermark is caught up, not past the end");
});

Deno.test("startOffset() starts at the low watermark when retention deleted the committed records", () => {
  assert.deepEqual(startOffset(at({ committed: 3n }), { kind: "earliest" }), {
    kind: "committed",
    start: 10n,
    committed: 3n,
  });
});

Deno.test("startOffset() reads from the low watermark when the committed offset is past the end (recreated topic)", () => {
  assert.deepEqual(startOffset(at({ committed: 500n }), { kind: "latest" }), {
    kind: "past_end",
    start: 10n,
    committed: 500n,
  });
});

Deno.test("startOffset() without a committed offset follows start_from: earliest, latest, a time", () => {
  assert.deepEqual(startOffset(at({}), { kind: "earliest" }), { kind: "earliest", start: 10n });
  assert.deepEqual(startOffset(at({ atTime: 70n }), { kind: "latest" }), { kind: "start_from", start: 100n });
  assert.deepEqual(startOffset(at({ atTime: 70n }), { kind: "timestamp", ms: 5 }), { kind: "start_from", start: 70n });
  assert.deepEqual(
    startOffset(at({ atTime: null }), { kind: "timestamp", ms: 5 }),
    { kind: "start_from", start: 100n },
    "a time after the last record starts at the end",
  );
});

Deno.test("unfinishedElsewhere() waits for partitions of other members committed short of their end at start", () => {
  const ends = new Map([
    ["t+0", { low: 0n, high: 100n }],
    ["t+1", { low: 0n, high: 100n }],
    ["t+2", { low: 0n, high: 100n }],
    ["t+3", { low: 50n, high: 50n }],
    ["t+4", { low: 0n, high: 10n }],
  ]);
  const committed = new Map([["t+1", 100n], ["t+2", 58n]]);
  // t+0 is ours; t+1 is done by the group; t+2 is held short of its end; t+3 was empty; t+4 was never committed.
  assert.deepEqual(unfinishedElsewhere(ends, new Set(["t+0"]), committed), ["t+2", "t+4"]);
  assert.deepEqual(unfinishedElsewhere(ends, new Set(["t+0", "t+2", "t+4"]), committed), []);
});
