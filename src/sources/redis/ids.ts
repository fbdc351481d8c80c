/**
 * Pure helpers of the redis source: stream ids and list positions (parsing, ordering, the time an id encodes) and
 * stream names.
 * @module
 */

/** Digits of a list position: enough for any 64-bit counter, so positions also sort as text. */
export const LIST_POSITION_DIGITS = 20;

/** A parsed stream id `<ms>-<seq>`. */
export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

/** Parses `<ms>-<seq>` (or `<ms>`); throws a `SyntaxError` for anything else. */
export function parseStreamId(id: string): StreamId {
  const match = /^(\d+)(?:-(\d+))?$/.exec(id);
  if (!match) throw new SyntaxError(`Cannot parse stream id "${id}": expected <ms>-<seq>`);
  return { ms: BigInt(match[1]!), seq: BigInt(match[2] ?? "0") };
}

/** The time a stream id encodes, in ms since epoch. */
export function streamIdTimestampMs(id: string): number {
  const dash = id.indexOf("-");
  const ms = Number(dash < 0 ? id : id.slice(0, dash));
  if (!Number.isSafeInteger(ms) || ms < 0) return Number(parseStreamId(id).ms);
  return ms;
}

/**
 * Compares two positions of one stream in stream order: stream ids compare as ms then seq, numerically; list
 * positions (plain numbers) compare numerically. Texts of another shape fall back to text order.
 */
export function comparePositions(a: string, b: string): number {
  const pa = /^(\d+)(?:-(\d+))?$/.exec(a);
  const pb = /^(\d+)(?:-(\d+))?$/.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  return compareDigits(pa[1]!, pb[1]!) || compareDigits(pa[2] ?? "0", pb[2] ?? "0");
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Formats a list item's sequence number as its position: zero-padded so it also sorts as text. */
export function formatListPosition(seq: number | bigint | string): string {
  return String(seq).padStart(LIST_POSITION_DIGITS, "0");
}

/** The sequence number of a list position. */
export function parseListPosition(position: string): bigint {
  if (!/^\d+$/.test(position)) throw new SyntaxError(`Cannot parse list position "${position}": expected digits`);
  return BigInt(position);
}

/**
 * The pipeline's stream name of what one consumer reads from one key: `<key>+<consumer>`. Checkpoint journals and
 * file names are kept per stream name, so two instances of one group never share a journal. Consumer names hold no
 * `+`, so the last `+` splits the name again.
 */
export function streamNameOf(key: string, consumer: string): string {
  return `${key}+${consumer}`;
}
