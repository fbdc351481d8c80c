/**
 * The positions of an open batch, stored as runs: a position that is its predecessor with the trailing digits plus
 * one, at the same width (Kafka offsets `…01200`, `…01201`; file lines; Redis stream ids of one millisecond
 * `1700000000000-4`, `-5`), extends the run instead of taking a slot and a string of its own. A batch of a few
 * million records (one large file) then costs a few bytes, not ~45 bytes a position. Any other position starts a new
 * run, so the list holds every position exactly, whatever the source. The newest positions (up to
 * {@linkcode FOLD_AT}) stay plain strings until folded, so the batches of an ordinary run never pay for the folding.
 * @module
 */

/**
 * Positions kept as plain strings before they are folded into runs: a batch of up to this many never pays for the
 * folding (a character comparison per position, ~100-300 ns); a larger one folds them this many at a time.
 */
const FOLD_AT = 1 << 17;

/** Positions in order, run-length stored; see the module doc. */
export class PositionList {
  /** First position of each run. */
  #starts: string[] = [];
  /** Index after the last position of each run (cumulative). */
  #ends: number[] = [];
  /** The last position of the runs. */
  #runsLast: string | undefined;
  /** Positions after the runs, not folded yet. */
  #recent: string[] = [];
  readonly #foldAt: number;

  /** `foldAt`: see {@linkcode FOLD_AT} (tests set it low). */
  constructor(foldAt = FOLD_AT) {
    this.#foldAt = foldAt;
  }

  /** Positions in the list. */
  get length(): number {
    return this.#folded + this.#recent.length;
  }

  /** First position, if any. */
  get first(): string | undefined {
    return this.#starts[0] ?? this.#recent[0];
  }

  /** Last position, if any. */
  get last(): string | undefined {
    return this.#recent.length > 0 ? this.#recent[this.#recent.length - 1] : this.#runsLast;
  }

  /** Appends a position. */
  push(position: string): void {
    this.#recent.push(position);
    if (this.#recent.length >= this.#foldAt) this.#fold();
  }

  /** The position at `index` (0 <= index < length). */
  at(index: number): string {
    if (index < 0 || index >= this.length) throw new RangeError(`Cannot read position ${index} of ${this.length}`);
    const folded = this.#folded;
    if (index >= folded) return this.#recent[index - folded]!;
    const run = this.#runOf(index);
    const start = run === 0 ? 0 : this.#ends[run - 1]!;
    return advance(this.#starts[run]!, index - start);
  }

  /** The positions from `from` (inclusive) to `to` (exclusive, default: the end), as a list of their own. */
  slice(from: number, to = this.length): PositionList {
    const out = new PositionList(this.#foldAt);
    const folded = this.#folded;
    if (to <= from) return out;
    let run = from < folded ? this.#runOf(from) : this.#ends.length;
    let index = from;
    while (index < Math.min(to, folded)) {
      const start = run === 0 ? 0 : this.#ends[run - 1]!;
      const end = Math.min(this.#ends[run]!, to);
      out.#starts.push(advance(this.#starts[run]!, index - start));
      out.#ends.push(out.#folded + end - index);
      index = end;
      run++;
    }
    if (out.#ends.length > 0) out.#runsLast = out.at(out.#folded - 1);
    if (to > folded) out.#recent = this.#recent.slice(Math.max(0, from - folded), to - folded);
    return out;
  }

  /** Every position, as strings. */
  toArray(): string[] {
    const out: string[] = new Array(this.length);
    let start = 0;
    this.#starts.forEach((first, run) => {
      const end = this.#ends[run]!;
      out[start] = first;
      if (end - start > 1) {
        const digits = trailingDigits(first);
        const head = first.slice(0, first.length - digits);
        if (digits <= 15) {
          // Safe as a Number: no BigInt per position (Redis stream ids, file lines).
          const base = Number(first.slice(first.length - digits));
          for (let i = 1; i < end - start; i++) out[start + i] = head + String(base + i).padStart(digits, "0");
        } else {
          for (let i = 1; i < end - start; i++) out[start + i] = advance(first, i);
        }
      }
      start = end;
    });
    this.#recent.forEach((position, i) => out[start + i] = position);
    return out;
  }

  /** Positions in runs. */
  get #folded(): number {
    return this.#ends.length === 0 ? 0 : this.#ends[this.#ends.length - 1]!;
  }

  /** Folds the recent positions into runs. */
  #fold(): void {
    for (const position of this.#recent) {
      const runs = this.#ends.length;
      if (runs > 0 && isSuccessor(this.#runsLast!, position)) this.#ends[runs - 1]!++;
      else {
        this.#starts.push(position);
        this.#ends.push(this.#folded + 1);
      }
      this.#runsLast = position;
    }
    this.#recent = [];
  }

  /** The run holding `index`: the first whose end is past it. */
  #runOf(index: number): number {
    let lo = 0;
    let hi = this.#ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ends[mid]! > index) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

const ZERO = 48;
const NINE = 57;

/** Whether `next` is `previous` with its trailing digits plus one, at the same width (no carry out of them). */
function isSuccessor(previous: string, next: string): boolean {
  const n = previous.length;
  if (next.length !== n || n === 0) return false;
  let carry = true;
  for (let i = n - 1; i >= 0; i--) {
    const a = previous.charCodeAt(i);
    const b = next.charCodeAt(i);
    if (!carry) {
      if (a !== b) return false;
      continue;
    }
    if (a < ZERO || a > NINE) return false; // the carry reached a non-digit: not a successor
    if (a === NINE) {
      if (b !== ZERO) return false;
    } else {
      if (b !== a + 1) return false;
      carry = false;
    }
  }
  return !carry;
}

/** `position` with its trailing digits plus `by`, at the same width (the successor `by` times). */
function advance(position: string, by: number): string {
  if (by === 0) return position;
  const digits = trailingDigits(position);
  const head = position.slice(0, position.length - digits);
  const tail = position.slice(position.length - digits);
  const value = digits <= 15 ? String(Number(tail) + by) : (BigInt(tail) + BigInt(by)).toString();
  return head + value.padStart(digits, "0");
}

/** How many characters at the end of `position` are decimal digits. */
function trailingDigits(position: string): number {
  let at = position.length;
  while (at > 0) {
    const c = position.charCodeAt(at - 1);
    if (c < ZERO || c > NINE) break;
    at--;
  }
  return position.length - at;
}
