import assert from "node:assert/strict";
import type { SourceProgress } from "../core/source.ts";
import { configureLogging, Logger } from "./log.ts";
import { barLines, startProgress } from "./progress.ts";
import { TerminalBars } from "./progress_bars.ts";
import { FakeTerminal } from "./_test_terminal.ts";

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), "condition reached");
}

/** Runs `body` with log lines captured in `lines` (text format), restoring stderr afterwards. */
async function withLogLines(body: (lines: string[]) => Promise<void> | void, format: "text" | "json" = "text") {
  const lines: string[] = [];
  configureLogging({ format, level: "INFO", writer: (line) => lines.push(line) });
  try {
    await body(lines);
  } finally {
    configureLogging({ format: "text", writer: (line) => console.error(line) });
  }
}

const item = (name: string, done: number, total: number | null, lag: number | null = null): SourceProgress => ({
  label: "topic",
  name,
  done,
  total,
  lag,
});

/** Lines of the screen that are bar lines: a name, then a bar or a record count. */
const isBarLine = (line: string) => /^\S+ +(\|[█░]+\||[\d,]+ records)/.test(line);

Deno.test("TerminalBars: a log line while bars are shown ends up on its own line, above the bars", () => {
  const terminal = new FakeTerminal(100, 20);
  const bars = new TerminalBars(terminal);
  bars.draw(["orders |████░░░░|  50%  5/10", "trades |░░░░░░░░|   0%  0/10"]);
  bars.draw(["orders |██████░░|  75%  7/10", "trades |██░░░░░░|  25%  2/10"]);
  bars.printAbove("2026-12-01T20:54:49Z INFO    fs_data_sink.pipeline: Wrote batch 1: 40 records");
  bars.draw(["orders |████████| 100%  10/10", "trades |████░░░░|  50%  5/10"]);
  bars.printAbove("2026-12-01T20:54:50Z INFO    fs_data_sink.pipeline: Wrote batch 2: 40 records");
  assert.deepEqual(terminal.lines, [
    "2026-12-01T20:54:49Z INFO    fs_data_sink.pipeline: Wrote batch 1: 40 records",
    "2026-12-01T20:54:50Z INFO    fs_data_sink.pipeline: Wrote batch 2: 40 records",
    "orders |████████| 100%  10/10",
    "trades |████░░░░|  50%  5/10",
  ]);
});

Deno.test("TerminalBars: fewer bars than before leave no stale line; bar lines are cut to the width", () => {
  const terminal = new FakeTerminal(20, 10);
  const bars = new TerminalBars(terminal);
  bars.draw(["a 1", "b 2", "c 3"]);
  bars.draw(["a 10 and a rather long tail past the width"]);
  assert.deepEqual(terminal.lines, ["a 10 and a rather l"]);
  bars.release();
  terminal.writeSync(new TextEncoder().encode("after\n"));
  assert.deepEqual(terminal.lines, ["a 10 and a rather l", "after"], "released bars stay; what follows goes below");
});

Deno.test("TerminalBars: a log line longer than the terminal wraps above the bars and leaves nothing of them", () => {
  const terminal = new FakeTerminal(20, 10);
  const bars = new TerminalBars(terminal);
  bars.draw(["bar one 1234567890", "bar two 1234567890"]);
  bars.printAbove("x".repeat(30));
  assert.deepEqual(terminal.lines, ["x".repeat(20), "x".repeat(10), "bar one 1234567890", "bar two 1234567890"]);
});

Deno.test("startProgress() bars: the logger's lines go above the bars, never into them; after stop() below", async () => {
  await withLogLines(async (captured) => {
    const terminal = new FakeTerminal(120, 30);
    const log = new Logger("fs_data_sink.pipeline");
    let state = [item("orders", 0, 100), item("trades", 0, 10)];
    const progress = startProgress(() => state, { mode: "auto", intervalMs: 1000, log, terminal, refreshMs: 10 });
    assert.equal(progress.mode, "bars", "auto on a terminal draws bars");
    state = [item("orders", 40, 100), item("trades", 5, 10)];
    await until(() => terminal.lines.some((line) => line.includes("40/100")));
    log.info({ records: 40 }, "Wrote batch 1: 40 records");
    state = [item("orders", 100, 100), item("trades", 10, 10)];
    await until(() => terminal.lines.some((line) => line.includes("100/100")));
    log.info({ records: 60 }, "Wrote batch 2: 60 records");
    progress.stop();
    log.info({}, "Pipeline finished");
    assert.equal(captured.length, 1, "while bars are shown, log lines go to the terminal, after stop() to the writer");
    assert.match(captured[0]!, /Pipeline finished/);
    const lines = terminal.lines;
    const logs = lines.filter((line) => line.includes("Wrote batch"));
    assert.equal(logs.length, 2, lines.join("\n"));
    for (const line of lines) {
      const barAt = line.search(/\|[█░]+\|/);
      if (barAt >= 0) assert.ok(!/Wrote batch|INFO/.test(line), `a bar line holds log text: ${line}`);
    }
    const bars = lines.filter(isBarLine);
    assert.deepEqual(bars.map((line) => line.replace(/\s+/g, " ")), [
      "orders |████████████████████████| 100% 100/100 -/s ETA 0s",
      "trades |████████████████████████| 100% 10/10 -/s ETA 0s",
    ], "the final bars stay, once, below the log lines written while they were shown");
    assert.ok(lines.indexOf(logs[1]!) < lines.indexOf(bars[0]!), "log lines above the bars");
  });
  await withLogLines((captured) => {
    new Logger("x").info({}, "after stop");
    assert.equal(captured.length, 1, "stop() gives the log lines back to their writer");
  });
});

Deno.test("startProgress() bars: rate and ETA appear once the samples span half a second", async () => {
  await withLogLines(async () => {
    const terminal = new FakeTerminal(120, 30);
    let clock = 0;
    let done = 0;
    const progress = startProgress(() => [item("orders", done, 1000)], {
      mode: "bars",
      intervalMs: 1000,
      log: new Logger("test"),
      terminal,
      refreshMs: 5,
      now: () => clock,
    });
    for (let i = 1; i <= 10; i++) {
      clock = i * 100;
      done = i * 10; // 100 records/s
      const seen = terminal.raw.length;
      await until(() => terminal.raw.length > seen);
    }
    progress.stop();
    const bar = terminal.lines.find(isBarLine)!;
    assert.match(bar, /10% +100\/1,000 +100\/s +ETA 9s/, bar);
  });
});

Deno.test("startProgress() log mode: one line per entry each interval, a quiet entry skipped, a final line on stop", async () => {
  await withLogLines(async (lines) => {
    let state = [item("orders", 0, 100), item("idle", 0, null, 0)];
    const terminal = new FakeTerminal();
    const progress = startProgress(() => state, { mode: "log", intervalMs: 20, log: new Logger("t"), terminal });
    assert.equal(progress.mode, "log");
    const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const moving = () => parsed().filter((line) => line.message === "topic progress");
    await until(() => moving().length >= 2);
    state = [{ ...state[0]!, done: 40 }, state[1]!];
    await until(() => moving().some((line) => line.done === 40));
    progress.stop();
    const seen = moving();
    assert.deepEqual(seen.slice(0, 2).map((line) => [line.topic, line.done, line.total]), [
      ["orders", 0, 100],
      ["idle", 0, undefined],
    ]);
    assert.equal(
      seen.filter((line) => line.topic === "idle").length,
      1,
      "an entry that neither moved nor waits is quiet",
    );
    assert.ok(
      seen.filter((line) => line.topic === "orders" && line.done === 0).length >= 1,
      "a stalled entry is logged",
    );
    const final = parsed().filter((line) => line.message === "topic progress (final)");
    assert.deepEqual(final.map((line) => [line.topic, line.done, line.percent]), [["orders", 40, 40], [
      "idle",
      0,
      undefined,
    ]]);
    assert.equal(terminal.raw, "", "log mode draws nothing");
  }, "json");
});

Deno.test("startProgress() auto off a terminal writes log lines; off shows nothing at all", async () => {
  await withLogLines((lines) => {
    const terminal = Object.assign(new FakeTerminal(), { isTerminal: () => false });
    const auto = startProgress(() => [item("t", 1, 1)], {
      mode: "auto",
      intervalMs: 1000,
      log: new Logger("t"),
      terminal,
    });
    assert.equal(auto.mode, "log");
    auto.stop();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /topic progress \(final\) topic=t done=1 total=1 percent=100/);
    const off = startProgress(() => [item("t", 1, 1)], { mode: "off", intervalMs: 1, log: new Logger("t"), terminal });
    off.stop();
    assert.equal(lines.length, 1);
    assert.equal(terminal.raw, "");
  });
});

Deno.test("barLines() shows the unfinished entries first when they do not all fit, and counts the rest", () => {
  const figures = { percent: null, recordsPerSecond: null, etaSeconds: null };
  const done = (name: string) => ({ item: item(name, 5, 5), figures: { ...figures, percent: 100, etaSeconds: 0 } });
  const open = (name: string) => ({ item: item(name, 1, 5), figures: { ...figures, percent: 20 } });
  const lines = barLines([done("a"), done("b"), open("c"), open("d"), done("e")], 3);
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^c /);
  assert.match(lines[1]!, /^d /);
  assert.equal(lines[2], "… 3 more (3 finished)");
});
