import { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { backoffDelay, retry, sleep } from "./retry.ts";

Deno.test("backoffDelay() doubles its cap per attempt and stops at maxDelayMs", () => {
  const top = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 };
  assertEquals([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, top)), [100, 200, 400, 800, 1000, 1000]);
  assertEquals(backoffDelay(3, { baseDelayMs: 100, random: () => 0 }), 0);
});

Deno.test("backoffDelay() without jitter doubles from the base and stops at the cap", () => {
  const fixed = { baseDelayMs: 100, maxDelayMs: 5000, jitter: false };
  assertEquals([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelay(a, fixed)), [
    100,
    200,
    400,
    800,
    1600,
    3200,
    5000,
    5000,
  ]);
  assertEquals(backoffDelay(1000, { baseDelayMs: 100, maxDelayMs: 10_000, jitter: false }), 10_000);
});

Deno.test("sleep() resolves true after its time, false at once when its signal aborts", async () => {
  assertEquals(await sleep(1), true);
  const controller = new AbortController();
  const pending = sleep(60_000, controller.signal);
  controller.abort();
  assertEquals(await pending, false);
  assertEquals(await sleep(60_000, controller.signal), false);
});

Deno.test("retry() returns the first success after retriable failures", async () => {
  const seen: number[] = [];
  const result = await retry((attempt) => {
    seen.push(attempt);
    if (attempt < 2) return Promise.reject(new Error("flaky"));
    return Promise.resolve("ok");
  }, { maxRetries: 3, baseDelayMs: 1 });
  assertEquals(result, "ok");
  assertEquals(seen, [0, 1, 2]);
});

Deno.test("retry() throws the last error once retries are spent", async () => {
  let calls = 0;
  await rejects(
    () => retry(() => Promise.reject(new Error(`fail ${++calls}`)), { maxRetries: 2, baseDelayMs: 1 }),
    (e: unknown) => e instanceof Error && e.message === "fail 3",
  );
  assertEquals(calls, 3);
});

Deno.test("retry() does not retry an error the caller marks as final", async () => {
  let calls = 0;
  const retries: number[] = [];
  await rejects(
    () =>
      retry(() => {
        calls++;
        return Promise.reject(new TypeError("bad input"));
      }, {
        maxRetries: 5,
        baseDelayMs: 1,
        isRetriable: (e) => !(e instanceof TypeError),
        onRetry: (_e, attempt) => retries.push(attempt),
      }),
    (e: unknown) => e instanceof TypeError && e.message === "bad input",
  );
  assertEquals(calls, 1);
  assertEquals(retries, []);
});

Deno.test("retry() stops waiting when its signal aborts", async () => {
  const controller = new AbortController();
  let calls = 0;
  const pending = retry(() => {
    calls++;
    return Promise.reject(new Error("down"));
  }, { maxRetries: 10, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 1, signal: controller.signal });
  setTimeout(() => controller.abort(), 10);
  await rejects(() => pending, (e: unknown) => e instanceof Error && e.message === "down");
  assertEquals(calls, 1);
});
