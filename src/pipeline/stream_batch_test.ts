import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { StreamBatch } from "./stream_batch.ts";

/** The batch as plain arrays: each position with the seq it was sent as (null: not sent). */
interface Model {
  entries: { position: string; seq: number | null }[];
}

function check(batch: StreamBatch, model: Model, label: string): void {
  assertEquals(batch.positions.toArray(), model.entries.map((e) => e.position), `${label}: positions`);
  model.entries.forEach((entry, index) => {
    if (entry.seq !== null) assertEquals(batch.indexOfSeq(entry.seq), index, `${label}: seq ${entry.seq}`);
  });
}

Deno.test("StreamBatch maps sent seqs to positions through skips and cuts at any seq, as a plain list would", () => {
  let x = 12345;
  const random = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const batch = new StreamBatch("s", "s", 0, "", 0, [1, 3, 16, undefined][round % 4]);
    let model: Model = { entries: [] };
    let offset = 0;
    let seq = 0;
    for (let step = 0; step < 60; step++) {
      const roll = random();
      if (roll < 0.7) {
        // Mostly consecutive offsets (one run), sometimes a gap.
        offset += random() < 0.9 ? 1 : 3;
        const position = String(offset).padStart(8, "0");
        batch.positions.push(position);
        if (random() < 0.8) {
          batch.markSent();
          model.entries.push({ position, seq: seq++ });
        } else {
          batch.markSkipped();
          model.entries.push({ position, seq: null });
        }
      } else if (roll < 0.85) {
        const sent = model.entries.filter((e) => e.seq !== null);
        if (sent.length === 0) continue;
        const through = sent[Math.floor(random() * sent.length)]!.seq!;
        const cut = model.entries.findIndex((e) => e.seq === through) + 1;
        const head = batch.take(through, 0);
        check(head, { entries: model.entries.slice(0, cut) }, `round ${round} head`);
        model = { entries: model.entries.slice(cut) };
        check(batch, model, `round ${round} rest`);
      } else if (roll < 0.9) {
        const head = batch.take(undefined, 0);
        check(head, model, `round ${round} whole`);
        model = { entries: [] };
        check(batch, model, `round ${round} emptied`);
      }
    }
    check(batch, model, `round ${round} end`);
  }
});
