/**
 * The progress display as a person sees it: the real CLI runs a one-shot drain in a terminal (tmux, see
 * `helpers/terminal.ts`) against the kit's Kafka and Redis, and the rendered screen is captured while it runs and
 * after it ended. Bars show done/total, % and ETA per topic or key; log lines (`Wrote batch ...`) are printed above
 * the bars, never inside a bar line; the final screen holds one bar per topic or key at 100%, below the log lines.
 * @module
 */
import assert from "node:assert/strict";
import { writeConfig } from "./helpers/kafka_cli.ts";
import { hasTmux, runInTerminal, type TerminalRun } from "./helpers/terminal.ts";
import { createTopic, deleteTopics, jsonMessages, produce, uniqueName } from "./kafka_helpers.ts";
import { addEntries, adminClient, uniqueKey } from "./redis_helpers.ts";
import { endpoints, ensureRunning } from "./services/endpoints.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !await hasTmux() };

/** A bar: `|███░░░|`. */
const BAR = /\|[█░]+\|/;
/** What only log lines hold: their time stamp, a level, the pipeline's batch message. */
const LOG_TEXT = /\d{4}-\d\d-\d\dT\d\d:\d\d|\b(INFO|WARNING|ERROR)\b|Wrote batch/;

/** The bar line of `name` in `lines`: `<name> |bar| <pct>% <done>/<total> <rate>/s ETA <eta>`, parsed. */
function barsOf(lines: readonly string[], name: string) {
  const pattern = new RegExp(
    `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +\\|[█░]+\\| +(\\d+)% +([\\d,]+)/([\\d,]+) +(\\S+/s) +ETA (\\S+)`,
  );
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    if (!match) return [];
    const number = (text: string) => Number(text.replaceAll(",", ""));
    return [{ line, percent: Number(match[1]), done: number(match[2]!), total: number(match[3]!), eta: match[5]! }];
  });
}

/** Checks what every drain's screens must show; `names` are the bars' names, `totals` what each had to read. */
function assertScreens(run: TerminalRun, names: readonly string[], totals: readonly number[]): void {
  const all = [...run.screens, run.final];
  const shown = run.final.join("\n");
  assert.equal(run.code, 0, shown);
  for (const screen of all) {
    for (const line of screen) {
      if (BAR.test(line)) assert.doesNotMatch(line, LOG_TEXT, `a bar line holds log text:\n${line}`);
    }
  }
  const midRun = all.flatMap((screen) => names.flatMap((name) => barsOf(screen, name)))
    .filter((bar) => bar.percent < 100 && /^\d+(s|m\d\ds|h\d\dm)$/.test(bar.eta));
  assert.ok(midRun.length > 0, `a bar showed % and an ETA while the drain ran:\n${shown}`);

  const batches = run.final.map((line, i) => [line, i] as const).filter(([line]) => line.includes("Wrote batch"));
  assert.ok(batches.length >= 2, `batches were logged:\n${shown}`);
  for (const [line] of batches) {
    assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO +fs_data_sink\.pipeline: Wrote batch/);
  }
  const summary = run.final.findIndex((line) => line.includes("Pipeline finished"));
  names.forEach((name, i) => {
    const bars = barsOf(run.final, name);
    assert.equal(bars.length, 1, `the final screen shows one bar for "${name}", none left behind:\n${shown}`);
    const bar = bars[0]!;
    assert.deepEqual([bar.percent, bar.done, bar.total, bar.eta], [100, totals[i], totals[i], "0s"], bar.line);
    const at = run.final.indexOf(bar.line);
    assert.ok(batches.every(([, index]) => index < at), `the batches' log lines are above the bars:\n${shown}`);
    assert.ok(summary > at, `the summary comes below the final bars:\n${shown}`);
  });
}

Deno.test(
  "terminal: a one-shot Kafka drain shows a bar per topic with % and ETA, log lines above the bars",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-progress-kafka-" });
    const orders = await createTopic("progress-orders", 3);
    const trades = await createTopic("progress-trades", 2);
    try {
      await produce(orders, jsonMessages(60_000, 3));
      await produce(trades, jsonMessages(20_000, 2));
      const config = await writeConfig(dir, {
        topics: [orders, trades],
        group_id: uniqueName("progress"),
        batch_size: 250,
        progress: "auto",
      });
      const run = await runInTerminal(["run", "--config", config, "--until-caught-up"]);
      assertScreens(run, [orders, trades], [60_000, 20_000]);
    } finally {
      await deleteTopics(orders, trades);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "terminal: a one-shot Redis drain shows a bar per stream and list key with % and ETA, logs above",
  opts,
  async () => {
    await ensureRunning(["redis"]);
    const dir = await Deno.makeTempDir({ prefix: "fsds-progress-redis-" });
    const stream = uniqueKey("progress-stream");
    const list = uniqueKey("progress-list");
    const redis = await adminClient();
    try {
      await addEntries(redis, stream, 60_000, (i) => ({ payload: JSON.stringify({ id: i, origin: "stream" }) }));
      for (let i = 0; i < 20_000; i += 1000) {
        const items = Array.from({ length: 1000 }, (_, j) => JSON.stringify({ id: i + j, origin: "list" }));
        await redis.call("RPUSH", list, ...items);
      }
      const { host, port } = endpoints().redis;
      const config = `${dir}/config.yaml`;
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          source: {
            type: "redis",
            host,
            port,
            stream_keys: [stream],
            list_keys: [list],
            payload_field: "payload",
            consumer_group: uniqueName("progress"),
            batch_size: 250,
          },
          sink: { type: "local", path: `${dir}/out` },
          telemetry: { log_level: "INFO" },
        }),
      );
      const run = await runInTerminal(["run", "--config", config, "--until-caught-up"]);
      assertScreens(run, [stream, list], [60_000, 20_000]);
    } finally {
      await redis.call("DEL", stream, list).catch(() => {});
      await redis.quit();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
