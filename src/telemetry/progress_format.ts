/**
 * The figures of the progress display, pure: rates over a sliding window ({@linkcode RateWindow}), percent and ETA of
 * one-shot runs ({@linkcode figuresOf}), and the text of a bar line ({@linkcode progressLine}) and of a log line's
 * fields ({@linkcode progressFields}). `progress.ts` polls the sources and draws; this module only computes.
 * @module
 */
import type { SourceProgress } from "../core/source.ts";

/** Rates are taken over this much of the recent past, ms. */
export const RATE_WINDOW_MS = 10_000;
/** No rate is shown until the samples span at least this long, ms (the first refreshes would be noise). */
export const MIN_RATE_SPAN_MS = 500;
/** Characters of a bar. */
export const BAR_WIDTH = 24;
/** Longest name shown; longer ones are cut with an ellipsis. */
export const MAX_NAME_WIDTH = 40;

interface Sample {
  readonly at: number;
  readonly done: number;
  readonly bytes: number;
}

/**
 * Records (and bytes) per second over the last {@linkcode RATE_WINDOW_MS}: the difference between the newest sample
 * and the newest one at least a window old, over the time between them. A counter that goes back (a restarted
 * count) starts the window again.
 */
export class RateWindow {
  readonly #windowMs: number;
  #samples: Sample[] = [];

  /** @param windowMs how far back rates look, ms; default {@linkcode RATE_WINDOW_MS}. */
  constructor(windowMs: number = RATE_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** Notes the counts at time `at` (ms, non-decreasing). */
  add(at: number, done: number, bytes = 0): void {
    const last = this.#samples[this.#samples.length - 1];
    if (last && (done < last.done || bytes < last.bytes || at < last.at)) this.#samples = [];
    this.#samples.push({ at, done, bytes });
    // Keep the newest sample at or before the window's start, so the span covers the whole window.
    while (this.#samples.length > 2 && this.#samples[1]!.at <= at - this.#windowMs) this.#samples.shift();
  }

  /** Records per second, or null until the samples span {@linkcode MIN_RATE_SPAN_MS}. */
  get records(): number | null {
    return this.#rate((s) => s.done);
  }

  /** Bytes per second, or null until the samples span {@linkcode MIN_RATE_SPAN_MS}. */
  get bytes(): number | null {
    return this.#rate((s) => s.bytes);
  }

  #rate(value: (sample: Sample) => number): number | null {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.at - first.at < MIN_RATE_SPAN_MS) return null;
    return ((value(last) - value(first)) * 1000) / (last.at - first.at);
  }
}

/** What the display shows of one item besides its counts. */
export interface ProgressFigures {
  /** 0 to 100 (floored, so 100 means all), or null when the total is unknown (continuous runs). */
  readonly percent: number | null;
  /** Records per second over the window, or null while too early to tell. */
  readonly recordsPerSecond: number | null;
  /** Seconds left at the current rate (one-shot runs), or null when unknown. */
  readonly etaSeconds: number | null;
}

/** Percent, rate and ETA of `item`, with the rates of its {@linkcode RateWindow}. ETA = remaining / rate. Pure. */
export function figuresOf(
  item: SourceProgress,
  rates: { readonly records: number | null; readonly bytes: number | null },
): ProgressFigures {
  const extent = item.bytes ?? (item.total === null ? null : { done: item.done, total: item.total });
  const rate = item.bytes ? rates.bytes : rates.records;
  if (!extent) return { percent: null, recordsPerSecond: rates.records, etaSeconds: null };
  const remaining = Math.max(0, extent.total - extent.done);
  const percent = extent.total <= 0
    ? 100
    : Math.min(100, Math.floor((Math.min(extent.done, extent.total) * 100) / extent.total));
  const etaSeconds = remaining === 0 ? 0 : rate !== null && rate > 0 ? remaining / rate : null;
  return { percent, recordsPerSecond: rates.records, etaSeconds };
}

/** A count with thousands separators: `12,345`. */
export function formatCount(count: number): string {
  return Math.round(count).toLocaleString("en-US");
}

/** A rate in records per second for humans: `12/s`, `12.3k/s`, `2.5M/s`; `-/s` when unknown. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return "-/s";
  if (perSecond >= 1_000_000) return `${(perSecond / 1_000_000).toFixed(1)}M/s`;
  if (perSecond >= 1_000) return `${(perSecond / 1_000).toFixed(1)}k/s`;
  return `${perSecond.toFixed(perSecond > 0 && perSecond < 10 ? 1 : 0)}/s`;
}

/** A byte count for humans in binary units: `512 B`, `4.0 KiB`, `12.3 MiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Time left for humans: `42s`, `3m05s`, `2h07m`; `--` when unknown. Rounded up to the second. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "--";
  const total = Math.ceil(seconds);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s`;
  const minutes = Math.floor(total / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** A bar of `width` characters, `fraction` (0 to 1) of it filled. */
export function formatBar(fraction: number, width: number = BAR_WIDTH): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return "█".repeat(filled) + "░".repeat(width - filled);
}

/** `name` cut to `width` characters with an ellipsis, padded to `width`. */
export function fitName(name: string, width: number): string {
  const chars = [...name];
  return chars.length <= width ? name.padEnd(width) : chars.slice(0, Math.max(0, width - 1)).join("") + "…";
}

/**
 * The bar line of one item: with a known total `name |bar| 52% 5,200/10,000 1.2k/s ETA 4s`, otherwise (continuous
 * runs) `name 12,345 records 1.2k/s lag 340`; the note last. `nameWidth` aligns the rows. Pure.
 */
export function progressLine(item: SourceProgress, figures: ProgressFigures, nameWidth: number): string {
  const parts = [fitName(item.name, nameWidth)];
  if (figures.percent !== null) {
    parts.push(`|${formatBar(figures.percent / 100)}|`, `${figures.percent}%`.padStart(4));
    if (item.bytes) {
      parts.push(
        `${formatCount(item.done)} records`,
        `${formatBytes(item.bytes.done)}/${formatBytes(item.bytes.total)}`,
      );
    } else {
      parts.push(`${formatCount(item.done)}/${formatCount(Math.max(item.total ?? 0, item.done))}`);
    }
    parts.push(formatRate(figures.recordsPerSecond), `ETA ${formatEta(figures.etaSeconds)}`);
  } else {
    parts.push(`${formatCount(item.done)} records`, formatRate(figures.recordsPerSecond));
    if (item.lag !== null) parts.push(`lag ${formatCount(item.lag)}`);
  }
  if (item.note) parts.push(item.note);
  return parts.join("  ");
}

/** The fields of an item's progress log line: `<label>=<name>`, counts, percent, rate, ETA, lag, note. Pure. */
export function progressFields(item: SourceProgress, figures: ProgressFigures): Record<string, unknown> {
  const fields: Record<string, unknown> = { [item.label]: item.name, done: item.done };
  if (item.total !== null) fields.total = Math.max(item.total, item.done);
  if (item.bytes) Object.assign(fields, { bytes_done: item.bytes.done, bytes_total: item.bytes.total });
  if (figures.percent !== null) fields.percent = figures.percent;
  if (figures.recordsPerSecond !== null) fields.records_per_second = Math.round(figures.recordsPerSecond);
  if (figures.etaSeconds !== null) fields.eta_seconds = Math.ceil(figures.etaSeconds);
  if (item.lag !== null) fields.lag = item.lag;
  if (item.note) fields.note = item.note;
  return fields;
}

/** Whether a one-shot item has read all it had to (a continuous one never has). */
export function isFinished(item: SourceProgress): boolean {
  if (item.bytes) return item.bytes.done >= item.bytes.total;
  return item.total !== null && item.done >= item.total;
}
