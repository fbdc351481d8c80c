/**
 * The positions of an open batch, stored as runs: a position that is its predecessor with the trailing digits plus
 * one, at the same width (Kafka offsets `…01200`, `…01201`; file lines; Redis stream ids of one millisecond
 * `1700000000000-4`, `-5`), extends the run instead of taking a slot and a string of its own. A batch of a few
 * million records (one large file) then costs a few bytes, not ~45 bytes a position. Any other position starts a new
 * run, so the list holds every position exactly, whatever the source.
 * @module
 */

/** Positions in order, run-length stored; see the module doc. */
export class PositionList {
  /** First position of each run. */
  #starts: string[] = [];
  /** Index after the last position of each run (cumulative). */
  #ends: number[] = [];
  /** The last position pushed (the end of the last run). */
  #last: string | undefined;

  /** Positions in the list. */
  get length(): number {
    return this.#ends.length === 0 ? 0 : this.#ends[this.#ends.length - 1]!;
  }

  /** First position, if any. */
  get first(): string | undefined {
    return this.#starts[0];
  }

  /** Last position, if any. */
  get last(): string | undefined {
    return this.#last;
  }

  /** Appends a position. */
  push(position: string): void {
    const runs = this.#ends.length;
    if (runs > 0 && isSuccessor(this.#last!, position)) this.#ends[runs - 1]!++;
    else {
      this.#starts.push(position);
      this.#ends.push(this.length + 1);
    }
    this.#last = position;
  }

  /** The position at `index` (0 <= index < length). */
  at(index: number): string {
    if (index < 0 || index >= this.length) throw new RangeError(`Cannot read position ${index} of ${this.length}`);
    const run = this.#runOf(index);
    const start = run === 0 ? 0 : this.#ends[run - 1]!;
    return advance(this.#starts[run]!, index - start);
  }

  /** The positions from `from` (inclusive) to `to` (exclusive, default: the end), as a list of their own. */
  slice(from: number, to = this.length): PositionList {
    const out = new PositionList();
    if (to <= from) return out;
    let run = this.#runOf(from);
    let index = from;
    while (index < to) {
      const start = run === 0 ? 0 : this.#ends[run - 1]!;
      const end = Math.min(this.#ends[run]!, to);
      out.#starts.push(advance(this.#starts[run]!, index - start));
      out.#ends.push(out.length + end - index);
      index = end;
      run++;
    }
    out.#last = out.at(out.length - 1);
    return out;
  }

  /** Every position, as strings. */
  toArray(): string[] {
    const out: string[] = [];
    let start = 0;
    this.#starts.forEach((first, run) => {
      const end = this.#ends[run]!;
      for (let i = 0; i < end - start; i++) out.push(i === 0 ? first : advance(first, i));
      start = end;
    });
    return out;
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
  let digits = position.length;
  while (digits > 0) {
    const c = position.charCodeAt(digits - 1);
    if (c < ZERO || c > NINE) break;
    digits--;
  }
  const head = position.slice(0, digits);
  const tail = position.slice(digits);
  const value = (BigInt(tail) + BigInt(by)).toString();
  return head + value.padStart(tail.length, "0");
}
