import assert from "node:assert/strict";
import { configureLogging, Logger } from "../../telemetry/log.ts";
import { formatRate, startProgress, type TopicProgress } from "./progress.ts";

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), "condition reached");
}

Deno.test("formatRate() shortens large rates", () => {
  assert.equal(formatRate(12), "12/s");
  assert.equal(formatRate(12_345), "12.3k/s");
  assert.equal(formatRate(2_500_000), "2.5M/s");
});

Deno.test("startProgress() in log mode writes one line per topic that moved, and a final line on stop", async () => {
  const lines: string[] = [];
  configureLogging({ format: "json", level: "INFO", writer: (line) => lines.push(line) });
  try {
    let state: TopicProgress[] = [
      { topic: "orders", done: 0, total: 100, partitions: 2 },
      { topic: "trades", done: 0, total: 10, partitions: 1 },
    ];
    const progress = startProgress(() => state, { mode: "log", intervalMs: 20, log: new Logger("test.progress") });
    const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const moving = () => parsed().filter((line) => line.message === "topic progress");
    await until(() => moving().length >= 2);
    state = [{ ...state[0]!, done: 40 }, state[1]!];
    await until(() => moving().some((line) => line.done === 40));
    await new Promise((resolve) => setTimeout(resolve, 60));
    progress.stop();
    assert.deepEqual(moving().map((line) => [line.topic, line.done, line.total]), [
      ["orders", 0, 100],
      ["trades", 0, 10],
      ["orders", 40, 100],
    ], "a topic that did not move is not logged again");
    const final = parsed().filter((line) => line.message === "topic progress (final)");
    assert.deepEqual(final.map((line) => [line.topic, line.done, line.partitions]), [["orders", 40, 2], [
      "trades",
      0,
      1,
    ]]);
  } finally {
    configureLogging({ format: "text", writer: (line) => console.error(line) });
  }
});

Deno.test("startProgress() off shows nothing", () => {
  const lines: string[] = [];
  configureLogging({ writer: (line) => lines.push(line) });
  try {
    startProgress(() => [{ topic: "t", done: 1, total: 1, partitions: 1 }], {
      mode: "off",
      intervalMs: 1,
      log: new Logger("test.progress"),
    }).stop();
    assert.deepEqual(lines, []);
  } finally {
    configureLogging({ writer: (line) => console.error(line) });
  }
});
