import { deepEqual as assertEquals } from "node:assert/strict";
import { idleConsumers, parseEntries, parseStreamReply, pendingElsewhere } from "./streams.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("parseStreamReply() reads entries per key in order, binary or text", () => {
  const reply = [
    [bytes("orders"), [[bytes("1-0"), [bytes("a"), bytes("1")]], [bytes("1-1"), [bytes("a"), bytes("2")]]]],
    ["audit", [["7-3", ["x", "y"]]]],
  ];
  const parsed = parseStreamReply(reply);
  assertEquals([...parsed.keys()], ["orders", "audit"]);
  assertEquals(parsed.get("orders")!.map((e) => e.id), ["1-0", "1-1"]);
  assertEquals(parsed.get("audit"), [{ id: "7-3", pairs: ["x", "y"] }]);
});

Deno.test("parseStreamReply() and parseEntries() accept no reply and entries deleted while pending", () => {
  assertEquals(parseStreamReply(null).size, 0);
  assertEquals(parseEntries([["5-0", null], null, ["6-0", ["f", "v"]]]), [
    { id: "5-0", pairs: null },
    { id: "6-0", pairs: ["f", "v"] },
  ]);
  assertEquals(parseEntries(undefined), []);
});

Deno.test("idleConsumers() offers other consumers idle for claim_idle_ms with pending entries, in reply order", () => {
  const rows = [
    ["name", "me", "pending", 5, "idle", 900_000],
    ["name", "dead-a", "pending", 3, "idle", 400_000],
    ["name", "busy", "pending", 2, "idle", 1_000],
    ["name", "empty", "pending", 0, "idle", 900_000],
    ["name", "seen", "pending", 4, "idle", 900_000],
    ["name", "dead-b", "pending", 1, "idle", 300_000],
  ];
  const found = idleConsumers(rows, { consumer: "me", claimIdleMs: 300_000, handedOut: (owner) => owner === "seen" });
  assertEquals(found, [{ owner: "dead-a", pending: 3 }, { owner: "dead-b", pending: 1 }]);
  assertEquals(idleConsumers([], { consumer: "me", claimIdleMs: 1, handedOut: () => false }), []);
});

Deno.test("pendingElsewhere() lists other consumers' pending entries this run did not take over", () => {
  const rows = [
    ["name", "me", "pending", 4, "idle", 10],
    ["name", "old", "pending", 10, "idle", 1200],
    ["name", "idle-empty", "pending", 0, "idle", 99_000],
    ["name", "adopted", "pending", 3, "idle", 500_000],
  ];
  assertEquals(pendingElsewhere(rows, { consumer: "me", handedOut: (owner) => owner === "adopted" }), [
    { owner: "old", pending: 10, idleMs: 1200 },
  ]);
});
