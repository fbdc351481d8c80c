import { deepEqual as assertEquals } from "node:assert/strict";
import { Logger } from "../../telemetry/log.ts";
import type { RedisCommand } from "./client.ts";
import { consumerPendingOf, groupLagOf, RedisLag } from "./lag.ts";

const log = new Logger("test.redis_lag");

Deno.test("groupLagOf() reads the lag of the named group from XINFO GROUPS", () => {
  const reply = [
    ["name", "other", "consumers", 1, "pending", 3, "last-delivered-id", "5-0", "entries-read", 5, "lag", 7],
    ["name", "fs-data-sink", "consumers", 2, "pending", 4, "last-delivered-id", "9-0", "entries-read", 9, "lag", 3],
  ];
  assertEquals(groupLagOf(reply, "fs-data-sink"), 3);
  assertEquals(groupLagOf(reply, "other"), 7);
  assertEquals(groupLagOf(reply, "missing"), null);
});

Deno.test("groupLagOf() is null when Redis cannot tell the lag or is older than 7", () => {
  assertEquals(groupLagOf([["name", "g", "pending", 0, "lag", null]], "g"), null);
  assertEquals(groupLagOf([["name", "g", "pending", 0, "last-delivered-id", "0-0"]], "g"), null);
  assertEquals(groupLagOf(null, "g"), null);
});

Deno.test("consumerPendingOf() reads one consumer's pending count from XINFO CONSUMERS, 0 when absent", () => {
  const reply = [["name", "a", "pending", 4, "idle", 10], ["name", "b", "pending", 2, "idle", 5]];
  assertEquals(consumerPendingOf(reply, "b"), 2);
  assertEquals(consumerPendingOf(reply, "c"), 0);
  assertEquals(consumerPendingOf([], "a"), 0);
});

/** A double of the client: answers each command from `answers`, counting round trips. */
function fakeClient(answers: (command: RedisCommand) => unknown) {
  const calls: RedisCommand[][] = [];
  let fail = false;
  return {
    calls,
    setFail(value: boolean) {
      fail = value;
    },
    batch(commands: readonly RedisCommand[]): Promise<unknown[]> {
      calls.push([...commands]);
      if (fail) return Promise.reject(new Error("connection lost"));
      return Promise.resolve(commands.map(answers));
    },
  };
}

Deno.test("RedisLag sums group lag and own pending for streams, waiting and held items for lists", async () => {
  const client = fakeClient(([name, ...args]) => {
    if (name === "XINFO" && args[0] === "GROUPS") return [["name", "g", "lag", args[1] === "s1" ? 10 : null]];
    if (name === "XINFO") return [["name", "me", "pending", 4], ["name", "other", "pending", 100]];
    if (args[0] === "l1") return 20;
    if (String(args[0]).endsWith(":staging")) return 1;
    return 3;
  });
  let now = 0;
  const lag = new RedisLag({
    client,
    group: "g",
    consumer: "me",
    streamKeys: ["s1", "s2"],
    listKeys: ["l1"],
    log,
    intervalMs: 5000,
    now: () => now,
  });
  assertEquals(lag.lags(), new Map());
  await lag.settled();
  // s2: Redis cannot tell its lag, so it is left out.
  assertEquals(lag.lags(), new Map([["s1+me", 14], ["l1+me", 24]]));
  assertEquals(client.calls.length, 1);
  assertEquals(client.calls[0]!.map((c) => c.join(" ")), [
    "XINFO GROUPS s1",
    "XINFO CONSUMERS s1 g",
    "XINFO GROUPS s2",
    "XINFO CONSUMERS s2 g",
    "LLEN l1",
    "LLEN l1:fsds:g:me:staging",
    "LLEN l1:fsds:g:me:processing",
  ]);
  now = 4999;
  lag.lags();
  lag.lags();
  assertEquals(client.calls.length, 1);
});

Deno.test("RedisLag keeps the last values when a refresh fails", async () => {
  const client = fakeClient(() => 5);
  let now = 0;
  const lag = new RedisLag({
    client,
    group: "g",
    consumer: "me",
    streamKeys: [],
    listKeys: ["l"],
    log,
    intervalMs: 1000,
    now: () => now,
  });
  lag.lags();
  await lag.settled();
  assertEquals(lag.lags(), new Map([["l+me", 15]]));
  client.setFail(true);
  now = 1000;
  lag.lags();
  await lag.settled();
  assertEquals(client.calls.length, 2);
  assertEquals(lag.lags(), new Map([["l+me", 15]]));
});
