/**
 * The progress display as a person sees it: the real CLI runs in a terminal (tmux, see `helpers/terminal.ts`)
 * against the kit's Kafka and Redis, and the rendered screen is captured while it runs and after it ended. One-shot
 * drains: bars show done/total, % and ETA per topic or key; log lines (`Wrote batch ...`) are printed above the
 * bars, never inside a bar line; the final screen holds one bar per topic or key at 100%, below the log lines.
 * Continuous runs: records, the rate (close to what is produced) and the lag, no percent. Off a terminal: plain
 * progress log lines every `progress_interval_seconds`.
 * @module
 */
import assert from "node:assert/strict";
import { cli, finish, until, writeConfig } from "./helpers/kafka_cli.ts";
import { withKafkaTopic } from "./helpers/kafka_topic.ts";
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
  const all = [...run.screens.map((screen) => screen.lines), run.final];
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

/** Sends `perSecond` JSON records a second to `topic` until `running()` is false; resolves the number sent. */
async function produceSteadily(
  producer: { send(batch: { topic: string; messages: { value: string }[] }): Promise<unknown> },
  topic: string,
  perSecond: number,
  running: () => boolean,
): Promise<number> {
  const start = Date.now();
  let sent = 0;
  while (running()) {
    // Catch up with the clock, so that slow sends do not lower the rate.
    const due = Math.floor(((Date.now() - start) * perSecond) / 1000) - sent;
    if (due > 0) {
      await producer.send({ topic, messages: Array.from({ length: due }, (_, i) => ({ value: `{"n":${sent + i}}` })) });
      sent += due;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return sent;
}

Deno.test(
  "terminal: a continuous Kafka run shows records, the rate produced (200/s) and the lag, no percent",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-progress-live-" });
    try {
      await withKafkaTopic("fsds-progress-live", 2, async ({ topic, producer }) => {
        const config = await writeConfig(dir, { topics: [topic], group_id: uniqueName("progress"), progress: "auto" });
        let producing = true;
        let producedFrom = Infinity;
        const live = new RegExp(`^${topic} +([\\d,]+) records +(\\S+)/s +lag ([\\d,]+) +2 partitions$`);
        const production = (async () => {
          // Start producing once the run shows its bar, and for longer than the rate window (10 s).
          await until("the run shows its bar", () => Promise.resolve(producedFrom < Infinity));
          return await produceSteadily(producer, topic, 200, () => producing);
        })();
        const run = await runInTerminal(["run", "--config", config], {
          stopWhen: (lines) => {
            const now = Date.now();
            if (producedFrom === Infinity && lines.some((line) => live.test(line))) producedFrom = now;
            return now - producedFrom > 15_000;
          },
        });
        producing = false;
        const sent = await production;
        const shown = run.final.join("\n");
        assert.equal(run.code, 0, shown);
        const bars = run.screens.flatMap((screen) => screen.lines.filter((line) => BAR.test(line) || live.test(line)));
        assert.ok(bars.length > 0, shown);
        for (const line of bars) assert.match(line, live, "a continuous run shows no bar nor percent");
        for (const screen of run.screens) {
          for (const line of screen.lines) if (live.test(line)) assert.doesNotMatch(line, LOG_TEXT, line);
        }
        // Screens of the last 3 s before the stop: the rate window holds only steady production by then.
        const last = run.screens[run.screens.length - 1]!.at;
        const rates = run.screens.filter((screen) => screen.at > last - 3000).flatMap((screen) =>
          screen.lines.flatMap((line) => {
            const match = live.exec(line);
            return match ? [Number(match[2]!.replace(/k$/, "e3"))] : [];
          })
        );
        assert.ok(rates.length > 0, shown);
        for (const rate of rates) {
          assert.ok(rate >= 160 && rate <= 240, `rate ${rate}/s shown while 200/s were produced`);
        }
        const final = run.final.map((line) => live.exec(line)).filter((match) => match !== null);
        assert.equal(final.length, 1, `one bar left on the final screen:\n${shown}`);
        assert.ok(Number(final[0]![1]!.replaceAll(",", "")) <= sent, shown);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "not a terminal: a continuous Kafka run logs a plain progress line per topic every progress_interval_seconds",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "fsds-progress-log-" });
    const topic = await createTopic("progress-log", 2);
    try {
      await produce(topic, jsonMessages(3000, 2));
      const config = await writeConfig(dir, {
        topics: [topic],
        group_id: uniqueName("progress"),
        progress: "auto",
        progress_interval_seconds: 0.5,
      });
      const child = cli(config);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      child.kill("SIGTERM");
      const run = await finish(child);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stderr.split("\n").filter((line) => line.includes("topic progress"));
      const moving = lines.filter((line) => line.includes("topic progress topic="));
      assert.ok(moving.length >= 4, `a line every 0.5 s:\n${run.stderr}`);
      for (const line of lines) {
        assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO +fs_data_sink\.progress: topic progress/);
        assert.ok(!line.includes("\x1b") && !/[█░]/.test(line), `no bars nor escape sequences off a terminal: ${line}`);
        assert.match(line, new RegExp(`topic=${topic} done=\\d+ .*lag=\\d+ note="2 partitions"$`));
      }
      assert.match(lines[lines.length - 1]!, / topic progress \(final\) topic=\S+ done=3000 /);
    } finally {
      await deleteTopics(topic);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
