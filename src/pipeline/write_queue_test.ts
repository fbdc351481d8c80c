import assert, { deepEqual as assertEquals } from "node:assert/strict";
import type { WriteRequest } from "./batch_writer.ts";
import { StreamBatch } from "./stream_batch.ts";
import { WriteQueue, WriteSlots } from "./write_queue.ts";

function request(first: number, options: { ack?: boolean; generation?: string } = {}): WriteRequest {
  const batch = new StreamBatch("s", "s", 0, options.generation ?? "", 0);
  batch.positions.push(String(first));
  batch.positions.push(String(first + 1));
  return {
    batch,
    encoded: { files: [], records: 2, bytes: 0 },
    reason: "records",
    started: 0,
    ack: options.ack ?? true,
  };
}

Deno.test("WriteQueue writes the batches that waited together as one group, in order, acks in between kept", async () => {
  const steps: string[] = [];
  let release: (() => void) | undefined;
  const queue = new WriteQueue(
    async (requests) => {
      steps.push(`write ${requests.map((r) => r.batch.first).join(",")}`);
      if (release === undefined) await new Promise<void>((resolve) => (release = resolve));
    },
    (positions) => {
      steps.push(`ack ${positions.join(",")}`);
      return Promise.resolve();
    },
    new WriteSlots(8),
  );
  const first = queue.batch(request(0));
  await new Promise((resolve) => setTimeout(resolve, 5));
  // While the first step runs, three batches, two durable acks and a batch of a new generation queue up.
  const rest = [
    queue.batch(request(2)),
    queue.batch(request(4)),
    queue.ack(["6"]),
    queue.ack(["7"]),
    queue.batch(request(8)),
    queue.batch(request(10, { generation: "g2" })),
  ];
  release!();
  await Promise.all([first, ...rest]);
  assertEquals(steps, ["write 0", "write 2,4", "ack 6,7", "write 8", "write 10"]);
});

Deno.test("WriteQueue fails the failed group and everything after it, and takes nothing more", async () => {
  const queue = new WriteQueue(
    (requests) => requests[0]!.batch.first === "2" ? Promise.reject(new Error("sink down")) : Promise.resolve(),
    () => Promise.resolve(),
    new WriteSlots(1),
  );
  await queue.batch(request(0));
  const results = await Promise.allSettled([queue.batch(request(2)), queue.ack(["4"])]);
  assertEquals(results.map((r) => r.status), ["rejected", "rejected"]);
  await assert.rejects(queue.batch(request(6)), /sink down/);
});

Deno.test("WriteSlots lets at most that many steps of all queues run at once", async () => {
  const slots = new WriteSlots(2);
  let active = 0;
  let peak = 0;
  const step = async () => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((resolve) => setTimeout(resolve, 5));
    active--;
  };
  const queues = Array.from({ length: 5 }, () => new WriteQueue(step, () => Promise.resolve(), slots));
  await Promise.all(queues.map((queue) => queue.batch(request(0))));
  assertEquals(peak, 2);
});
