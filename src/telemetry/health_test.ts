import { deepEqual as assertEquals } from "node:assert/strict";
import { HealthState } from "./health.ts";

function clockedState(): { state: HealthState; advance: (ms: number) => void } {
  let now = 0;
  const state = new HealthState({ stallTimeoutMs: 1000, now: () => now });
  return { state, advance: (ms) => (now += ms) };
}

Deno.test("HealthState counts a batch write that hangs as a stall even with nothing else buffered", async () => {
  const { state, advance } = clockedState();
  state.markReady();
  advance(5000);
  let release!: () => void;
  const writing = state.duringWrite(() => new Promise<void>((resolve) => (release = resolve)));
  advance(999);
  assertEquals(state.status().kind, "ok");
  advance(2);
  assertEquals(state.status().kind, "stalled");
  release();
  await writing;
  assertEquals(state.status().kind, "ok");
});

Deno.test("HealthState starts the stall clock when work appears, not at the last progress", () => {
  const { state, advance } = clockedState();
  state.markReady();
  advance(60_000);
  state.setPending(10);
  assertEquals(state.status().kind, "ok");
  advance(1001);
  const status = state.status();
  assertEquals([status.kind, status.kind === "stalled" && status.stalledForMs], ["stalled", 1001]);
});

Deno.test("HealthState is not ready before markReady, ready after, not ready after markNotReady", () => {
  const { state } = clockedState();
  assertEquals([state.status().kind, state.status().ready], ["starting", false]);
  state.markReady();
  assertEquals([state.status().kind, state.status().ready], ["ok", true]);
  state.markNotReady();
  assertEquals([state.status().kind, state.status().ready], ["ok", false]);
});
