/**
 * Progress of the Kafka source per topic (records done / to do, rate): the per-topic figures summed over the
 * assigned partitions ({@linkcode progressSnapshot}, pure), shown as bars on a terminal, as the Redpanda collector
 * shows, and as plain periodic log lines otherwise. The only importer of `cli-progress`.
 * @module
 */
import cliProgress from "cli-progress";
import type { Logger } from "../../core/logger.ts";
import type { PartitionTracker } from "./offsets.ts";

/** Progress of one topic at one moment. */
export interface TopicProgress {
  /** Topic name. */
  readonly topic: string;
  /** Records handed to the pipeline since start. */
  readonly done: number;
  /** Records to read since start: up to the end offsets in one-shot runs, the latest high watermarks otherwise. */
  readonly total: number;
  /** Partitions of the topic assigned to this instance. */
  readonly partitions: number;
}

/** What {@linkcode progressSnapshot} sums. */
export interface ProgressInputs {
  /** Topics subscribed to, in display order. */
  readonly topics: readonly string[];
  /** Trackers of the partitions assigned now. */
  readonly trackers: Iterable<PartitionTracker>;
  /** Records handed to the pipeline since start, per stream (`topic+partition`). */
  readonly doneByStream: ReadonlyMap<string, number>;
}

/** Progress per topic that has assigned partitions or delivered records, in the order of `topics`. Pure. */
export function progressSnapshot(inputs: ProgressInputs): TopicProgress[] {
  const byTopic = new Map<string, { total: number; partitions: number }>();
  for (const tracker of inputs.trackers) {
    const entry = byTopic.get(tracker.topic) ?? { total: 0, partitions: 0 };
    entry.total += Number(tracker.toDo);
    entry.partitions++;
    byTopic.set(tracker.topic, entry);
  }
  const doneByTopic = new Map<string, number>();
  for (const [stream, done] of inputs.doneByStream) {
    const topic = stream.slice(0, stream.lastIndexOf("+"));
    doneByTopic.set(topic, (doneByTopic.get(topic) ?? 0) + done);
  }
  return inputs.topics.filter((topic) => byTopic.has(topic) || doneByTopic.has(topic)).map((topic) => ({
    topic,
    done: doneByTopic.get(topic) ?? 0,
    total: byTopic.get(topic)?.total ?? 0,
    partitions: byTopic.get(topic)?.partitions ?? 0,
  }));
}

/** How progress is shown. */
export type ProgressMode = "auto" | "bars" | "log" | "off";

/** Options of {@linkcode startProgress}. */
export interface ProgressOptions {
  /** auto: bars when stderr is a terminal, log lines otherwise. */
  readonly mode: ProgressMode;
  /** Milliseconds between log lines (log mode). */
  readonly intervalMs: number;
  /** Logger for log mode. */
  readonly log: Logger;
}

/** A running progress display; `stop()` draws the final state and releases the terminal. */
export interface ProgressHandle {
  stop(): void;
}

/** Formats a rate in records per second for humans: `12.3k/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1_000_000) return `${(perSecond / 1_000_000).toFixed(1)}M/s`;
  if (perSecond >= 1_000) return `${(perSecond / 1_000).toFixed(1)}k/s`;
  return `${perSecond.toFixed(0)}/s`;
}

/** Per-topic records/s over the time since the previous sample. */
class RateMeter {
  #last = new Map<string, { done: number; at: number }>();
  #rates = new Map<string, number>();
  sample(topic: string, done: number, now: number): number {
    const previous = this.#last.get(topic);
    this.#last.set(topic, { done, at: now });
    if (!previous || now <= previous.at) return this.#rates.get(topic) ?? 0;
    const instant = ((done - previous.done) * 1000) / (now - previous.at);
    // Smooth a little so bars do not flicker between fetches.
    const rate = 0.7 * instant + 0.3 * (this.#rates.get(topic) ?? instant);
    this.#rates.set(topic, rate);
    return rate;
  }
}

/** Starts showing progress from `snapshot`, polled periodically. */
export function startProgress(snapshot: () => TopicProgress[], options: ProgressOptions): ProgressHandle {
  const useBars = options.mode === "bars" || (options.mode === "auto" && Deno.stderr.isTerminal());
  if (options.mode === "off") return { stop() {} };
  return useBars ? startBars(snapshot) : startLogLines(snapshot, options);
}

function startBars(snapshot: () => TopicProgress[]): ProgressHandle {
  const multibar = new cliProgress.MultiBar({
    format: " {topic} |{bar}| {value}/{total} records | {rate} | {partitions} partitions",
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    etaBuffer: 50,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
  const bars = new Map<string, cliProgress.SingleBar>();
  const meter = new RateMeter();
  const width = () => Math.max(0, ...[...bars.keys()].map((topic) => topic.length));
  const draw = () => {
    const now = Date.now();
    for (const item of snapshot()) {
      const payload = {
        topic: item.topic,
        rate: formatRate(meter.sample(item.topic, item.done, now)),
        partitions: item.partitions,
      };
      let bar = bars.get(item.topic);
      if (!bar) {
        bar = multibar.create(Math.max(item.total, item.done), item.done, payload);
        bars.set(item.topic, bar);
      }
      bar.setTotal(Math.max(item.total, item.done));
      bar.update(item.done, { ...payload, topic: item.topic.padEnd(width()) });
    }
  };
  const timer = setInterval(draw, 250);
  return {
    stop() {
      clearInterval(timer);
      draw();
      multibar.stop();
    },
  };
}

function startLogLines(snapshot: () => TopicProgress[], options: ProgressOptions): ProgressHandle {
  const meter = new RateMeter();
  const lastDone = new Map<string, number>();
  const report = (final: boolean) => {
    const now = Date.now();
    for (const item of snapshot()) {
      const rate = meter.sample(item.topic, item.done, now);
      if (!final && lastDone.get(item.topic) === item.done) continue;
      lastDone.set(item.topic, item.done);
      options.log.info({
        topic: item.topic,
        done: item.done,
        total: item.total,
        partitions: item.partitions,
        records_per_second: Math.round(rate),
      }, final ? "topic progress (final)" : "topic progress");
    }
  };
  const timer = setInterval(() => report(false), options.intervalMs);
  return {
    stop() {
      clearInterval(timer);
      report(true);
    },
  };
}
