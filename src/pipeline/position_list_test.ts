import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { PositionList } from "./position_list.ts";

function listOf(positions: string[], foldAt?: number): PositionList {
  const list = new PositionList(foldAt);
  for (const position of positions) list.push(position);
  return list;
}

const KAFKA = Array.from({ length: 25 }, (_, i) => String(1195 + i).padStart(20, "0"));
const MIXED = [
  "00000000000000000009",
  "00000000000000000010",
  "00000000000000000012", // a gap (a compacted topic)
  "1700000000000-8",
  "1700000000000-9",
  "1700000000000-10", // wider: a new run
  "1700000000001-0",
  "abc",
  "abd",
  "99",
  "100",
  "99",
];

/** Folding after every 1, 4 or 7 positions, and never (the plain tail only). */
const FOLDS = [1, 4, 7, undefined];

Deno.test("PositionList gives back every position, in order, from runs and single ones alike", () => {
  for (const [positions, foldAt] of [KAFKA, MIXED, []].flatMap((p) => FOLDS.map((f) => [p, f] as const))) {
    const list = listOf(positions, foldAt);
    assertEquals(list.length, positions.length);
    assertEquals(list.toArray(), positions);
    assertEquals(positions.map((_, i) => list.at(i)), positions);
    assertEquals([list.first, list.last], [positions[0], positions[positions.length - 1]]);
  }
});

Deno.test("PositionList slices at any index into lists that hold the same positions", () => {
  for (const [positions, foldAt] of [KAFKA, MIXED].flatMap((p) => FOLDS.map((f) => [p, f] as const))) {
    const list = listOf(positions, foldAt);
    for (let from = 0; from <= positions.length; from++) {
      for (let to = from; to <= positions.length; to++) {
        const slice = list.slice(from, to);
        assertEquals(slice.toArray(), positions.slice(from, to), `${from}..${to}, folding at ${foldAt}`);
        for (const extra of ["x", positions[to - 1] ?? "y"]) {
          const grown = list.slice(from, to);
          grown.push(extra); // a slice keeps growing like any list
          assertEquals(grown.toArray(), [...positions.slice(from, to), extra]);
        }
        assertEquals(slice.last, positions[to - 1] && to > from ? positions[to - 1] : undefined);
      }
    }
  }
});

Deno.test("PositionList stores consecutive offsets as one run, and carries through 9s at the same width", () => {
  const list = listOf(["0998", "0999", "1000", "1001"], 1);
  assertEquals(list.toArray(), ["0998", "0999", "1000", "1001"]);
  const many = new PositionList(1000);
  for (let i = 0; i < 100_000; i++) many.push(String(i).padStart(12, "0"));
  assertEquals([many.length, many.at(54_321), many.last], [100_000, "000000054321", "000000099999"]);
  throws(() => many.at(100_000), RangeError);
});
