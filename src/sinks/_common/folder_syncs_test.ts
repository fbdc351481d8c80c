import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FolderSyncs } from "./folder_syncs.ts";

/** A sync function whose calls finish when the test says, recording the folder of each. */
function controlled() {
  const calls: { folder: string; finish: (error?: Error) => void }[] = [];
  const sync = (folder: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ folder, finish: (error) => error ? reject(error) : resolve() });
    });
  return { calls, sync };
}

/** Lets settled promises run their callbacks. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("callers during a running sync share one sync that starts after it; none is answered by the running one", async () => {
  const { calls, sync } = controlled();
  const syncs = new FolderSyncs(sync);
  const answered: number[] = [];
  const first = syncs.sync("/d").then(() => answered.push(0));
  const later = [1, 2, 3, 4].map((i) => syncs.sync("/d").then(() => answered.push(i)));
  await turn();
  assertEquals(calls.map((c) => c.folder), ["/d"]);
  calls[0]!.finish();
  await first;
  await turn();
  assertEquals(answered, [0]); // the later callers asked while the first sync ran: it does not cover them
  assertEquals(calls.length, 2);
  const late = syncs.sync("/d").then(() => answered.push(5)); // asks while the second runs: needs a third
  calls[1]!.finish();
  await Promise.all(later);
  assertEquals(answered, [0, 1, 2, 3, 4]);
  await turn();
  assertEquals(calls.length, 3);
  calls[2]!.finish();
  await late;
  assertEquals(answered, [0, 1, 2, 3, 4, 5]);
});

Deno.test("folders sync independently, and a failed sync fails its sharers but not the next caller", async () => {
  const { calls, sync } = controlled();
  const syncs = new FolderSyncs(sync);
  const a = syncs.sync("/a");
  const b = syncs.sync("/b");
  assertEquals(calls.map((c) => c.folder), ["/a", "/b"]);
  const shared = [syncs.sync("/a"), syncs.sync("/a")];
  calls[0]!.finish();
  calls[1]!.finish();
  await Promise.all([a, b]);
  await turn();
  assertEquals(calls.length, 3);
  calls[2]!.finish(new Error("EIO"));
  for (const p of shared) await assert.rejects(p, /EIO/);
  const again = syncs.sync("/a");
  assertEquals(calls.length, 4);
  calls[3]!.finish();
  await again;
});
