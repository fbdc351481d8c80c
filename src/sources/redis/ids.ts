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
  // Same length and dash at the same place: digit runs of equal lengths, whose text order is their numeric order
  // (and text order is the answer for other shapes anyway). Every list position (20 digits) and nearly every pair of
  // stream ids takes this path, which costs no scan.
  if (a.length === b.length && a.indexOf("-") === b.indexOf("-")) return a < b ? -1 : a > b ? 1 : 0;
  const dashA = dashOf(a);
  const dashB = dashOf(b);
  if (dashA === NOT_AN_ID || dashB === NOT_AN_ID) return a < b ? -1 : a > b ? 1 : 0;
  const endA = dashA < 0 ? a.length : dashA;
  const endB = dashB < 0 ? b.length : dashB;
  return compareDigits(a, 0, endA, b, 0, endB) ||
    compareDigits(a, Math.min(endA + 1, a.length), a.length, b, Math.min(endB + 1, b.length), b.length);
}

const NOT_AN_ID = -2;

/**
 * Where the dash of `<digits>-<digits>` is, -1 for plain digits, {@linkcode NOT_AN_ID} for any other shape. A scan,
 * not a regular expression: the pipeline compares every position it reads.
 */
function dashOf(id: string): number {
  let dash = -1;
  const n = id.length;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) continue;
    if (c !== 0x2d || dash >= 0 || i === 0 || i === n - 1) return NOT_AN_ID;
    dash = i;
  }
  return n === 0 ? NOT_AN_ID : dash;
}

/** Compares the digit runs `a[i..endA)` and `b[j..endB)` as numbers of any size (an empty run is zero). */
function compareDigits(a: string, i: number, endA: number, b: string, j: number, endB: number): number {
  while (i < endA && a.charCodeAt(i) === 0x30) i++;
  while (j < endB && b.charCodeAt(j) === 0x30) j++;
  const lengths = (endA - i) - (endB - j);
  if (lengths !== 0) return lengths;
  for (; i < endA; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return 0;
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
