/**
 * The progress display of a run, for every source: it polls the source's {@linkcode SourceProgress} snapshot (one
 * entry per Kafka topic, Redis key or file) and shows, on a terminal, one bar per entry (done/total, %, ETA in
 * one-shot runs; records, rate and lag in continuous ones), redrawn a few times a second with every log line printed
 * above the bars (the logger's lines are routed through them while they are shown); otherwise one plain log line
 * per entry every `progress_interval_seconds`. Rates are records per second over the last ten seconds
 * (`progress_format.ts`); drawing is `progress_bars.ts`'s.
 * @module
 */
import type { Logger } from "../core/logger.ts";
import type { ProgressMode } from "../core/plugin.ts";
import type { SourceProgress } from "../core/source.ts";
import { routeLogLines } from "./log.ts";
import { type ProgressTerminal, stderrTerminal, TerminalBars } from "./progress_bars.ts";
import {
  figuresOf,
  isFinished,
  MAX_NAME_WIDTH,
  progressFields,
  type ProgressFigures,
  progressLine,
  RateWindow,
} from "./progress_format.ts";

/** Milliseconds between two redraws of the bars. */
export const REFRESH_MS = 200;
/** Longest time between two rate samples in log mode, ms (lines may be rarer; rates still cover ten seconds). */
const LOG_SAMPLE_MS = 1000;

/** Options of {@linkcode startProgress}. */
export interface ProgressOptions {
  /** `auto`: bars when the terminal is one, log lines otherwise; `bars`/`log` force one; `off` shows nothing. */
  readonly mode: ProgressMode;
  /** Milliseconds between two log lines of an entry (log mode). */
  readonly intervalMs: number;
  /** Logger of the log lines. */
  readonly log: Logger;
  /** Where bars go and whether it is a terminal; default standard error. */
  readonly terminal?: ProgressTerminal & { isTerminal(): boolean };
  /** Milliseconds between redraws (bars); default {@linkcode REFRESH_MS}. */
  readonly refreshMs?: number;
  /** Clock, ms; default `performance.now`. */
  readonly now?: () => number;
}

/** A running progress display. */
export interface ProgressDisplay {
  /** How it shows progress: never `auto`. */
  readonly mode: "bars" | "log" | "off";
  /** Shows the final state (the bars stay on screen, or a final log line per entry) and stops. Idempotent. */
  stop(): void;
}

/** Entries of a snapshot with their rate windows, in display order. */
class Tracked {
  readonly #snapshot: () => readonly SourceProgress[];
  readonly #now: () => number;
  readonly #windows = new Map<string, RateWindow>();

  constructor(snapshot: () => readonly SourceProgress[], now: () => number) {
    this.#snapshot = snapshot;
    this.#now = now;
  }

  /** A fresh snapshot, each entry with its figures after noting its counts. Never throws. */
  sample(): { item: SourceProgress; figures: ProgressFigures }[] {
    let items: readonly SourceProgress[];
    try {
      items = this.#snapshot();
    } catch {
      return []; // A display must never break the run.
    }
    const now = this.#now();
    return items.map((item) => {
      const id = `${item.label}\n${item.name}`;
      let window = this.#windows.get(id);
      if (!window) this.#windows.set(id, window = new RateWindow());
      window.add(now, item.done, item.bytes?.done ?? 0);
      return { item, figures: figuresOf(item, { records: window.records, bytes: window.bytes }) };
    });
  }
}

/** Starts showing the progress `snapshot` reports; see the module doc. */
export function startProgress(snapshot: () => readonly SourceProgress[], options: ProgressOptions): ProgressDisplay {
  const terminal = options.terminal ?? { ...stderrTerminal(), isTerminal: () => Deno.stderr.isTerminal() };
  const mode = options.mode === "auto" ? (terminal.isTerminal() ? "bars" : "log") : options.mode;
  const tracked = new Tracked(snapshot, options.now ?? (() => performance.now()));
  if (mode === "off") return { mode, stop() {} };
  return mode === "bars"
    ? startBars(tracked, terminal, options.refreshMs ?? REFRESH_MS)
    : startLogLines(tracked, options);
}

function startBars(tracked: Tracked, terminal: ProgressTerminal, refreshMs: number): ProgressDisplay {
  const bars = new TerminalBars(terminal);
  const draw = () => {
    try {
      bars.draw(barLines(tracked.sample(), bars.maxRows));
    } catch {
      // A terminal that cannot take a frame now gets the next one; a display must never break the run.
    }
  };
  const unroute = routeLogLines((line) => bars.printAbove(line));
  draw();
  const timer = setInterval(draw, refreshMs);
  Deno.unrefTimer(timer);
  let stopped = false;
  return {
    mode: "bars",
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      draw();
      unroute();
      bars.release();
    },
  };
}

/**
 * The lines of the bars: every entry when they fit in `maxRows`, else the unfinished ones first (in order) and one
 * last line counting the others.
 */
export function barLines(
  rows: readonly { item: SourceProgress; figures: ProgressFigures }[],
  maxRows: number,
): string[] {
  let shown = rows;
  let rest = "";
  if (rows.length > maxRows) {
    const ordered = [...rows.filter((r) => !isFinished(r.item)), ...rows.filter((r) => isFinished(r.item))];
    shown = ordered.slice(0, Math.max(0, maxRows - 1));
    const hidden = ordered.slice(shown.length);
    const finished = hidden.filter((r) => isFinished(r.item)).length;
    rest = `… ${hidden.length} more${finished > 0 ? ` (${finished} finished)` : ""}`;
  }
  const width = Math.min(MAX_NAME_WIDTH, Math.max(0, ...shown.map((r) => [...r.item.name].length)));
  const lines = shown.map((r) => progressLine(r.item, r.figures, width));
  return rest ? [...lines, rest] : lines;
}

function startLogLines(tracked: Tracked, options: ProgressOptions): ProgressDisplay {
  const now = options.now ?? (() => performance.now());
  const last = new Map<string, string>();
  let lastLine = now();
  const report = (final: boolean) => {
    for (const { item, figures } of tracked.sample()) {
      const id = `${item.label}\n${item.name}`;
      const state = `${item.done} ${item.total} ${item.lag} ${item.bytes?.done}`;
      // An entry that neither moved nor has anything waiting says nothing new; a stalled one keeps being logged.
      const waiting = (item.lag ?? 0) > 0 || (item.total !== null && !isFinished(item));
      if (!final && last.get(id) === state && !waiting) continue;
      last.set(id, state);
      options.log.info(progressFields(item, figures), `${item.label} progress${final ? " (final)" : ""}`);
    }
  };
  const period = Math.min(options.intervalMs, LOG_SAMPLE_MS);
  const timer = setInterval(() => {
    // Half a period of slack: timers fire a little late or early, and a line is due on this tick or not at all.
    if (now() - lastLine >= options.intervalMs - period / 2) {
      lastLine = now();
      report(false);
    } else {
      tracked.sample();
    }
  }, period);
  Deno.unrefTimer(timer);
  let stopped = false;
  return {
    mode: "log",
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      report(true);
    },
  };
}
