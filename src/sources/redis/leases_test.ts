import { deepEqual as assertEquals } from "node:assert/strict";
import { liveConnectionAddress } from "./leases.ts";

const list = [
  "id=7 addr=10.0.0.5:51000 laddr=10.0.0.1:6379 fd=8 name=fsds:g:c:run1 age=30 idle=2 flags=N db=0",
  "id=9 addr=10.0.0.6:52000 laddr=10.0.0.1:6379 fd=9 name=fsds:g:c:run2 age=900 idle=600 flags=N db=0",
  "id=11 addr=10.0.0.1:53000 laddr=10.0.0.1:6379 fd=10 name=fsds:g:c:run3 age=5 idle=0 flags=N db=0",
  "",
].join("\n");

Deno.test("liveConnectionAddress() finds the address of a live connection of that name", () => {
  const query = { name: "fsds:g:c:run1", ownId: "11", claimIdleMs: 300_000 };
  assertEquals(liveConnectionAddress(list, query), "10.0.0.5:51000");
  assertEquals(liveConnectionAddress(list, { ...query, name: "fsds:g:c:other" }), undefined);
  assertEquals(liveConnectionAddress("id=3 name=x idle=0", { ...query, name: "x" }), "another host");
});

Deno.test("liveConnectionAddress() ignores the asking connection and one silent for claim_idle_ms", () => {
  assertEquals(liveConnectionAddress(list, { name: "fsds:g:c:run3", ownId: "11", claimIdleMs: 300_000 }), undefined);
  assertEquals(liveConnectionAddress(list, { name: "fsds:g:c:run2", ownId: "11", claimIdleMs: 300_000 }), undefined);
  assertEquals(
    liveConnectionAddress(list, { name: "fsds:g:c:run2", ownId: "11", claimIdleMs: 0 }),
    "10.0.0.6:52000",
    "with takeover off, every connection counts as live",
  );
});
