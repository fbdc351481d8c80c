/**
 * The open batch of one stream as the pipeline's control sees it: the positions it covers, in order, which of them
 * went to the assembly (by seq, see `assembly/assembler.ts`), and what happened to the others (skipped, failed, dead
 * letters). The rows themselves are built by the assembly. A batch is cut as a whole or at a seq the assembly names,
 * so every cut covers a contiguous position range of its stream.
 * @module
 */
import type { DeadLetter } from "./dead_letter.ts";
import { PositionList } from "./position_list.ts";

/** Why a batch was cut. */
export type CutReason =
  | "records"
  | "bytes"
  | "age"
  | "memory"
  | "end"
  | "shutdown"
  | "limit"
  | "revoked"
  | "restarted";

/** A position that did not become a row: skipped, or failed (with a dead letter under `dead_letter`). */
interface Outcome {
  /** Index of the position in the batch. */
  readonly at: number;
  readonly skipped: boolean;
  readonly letter?: DeadLetter;
}

/** The open batch of one stream. */
export class StreamBatch {
  readonly stream: string;
  readonly dataset: string;
  openedAt: number;
  /** File-name generation of the stream ("" for the first), see `journal.ts`. */
  readonly generation: string;
  /** The positions the batch covers, in order (run-length stored: a batch may hold millions). */
  positions: PositionList;
  /** Seq of the first message sent to the assembly for this batch. */
  seqBase: number;
  /** Messages sent to the assembly (seqs `seqBase` to `seqBase + sent - 1`). */
  #sent = 0;
  /**
   * Where the mapping from sent messages to positions shifts: message `k` (seq `seqBase + k`) is at position
   * `k + offset`, `offset` being the count of earlier positions not sent (skipped, failed before the assembly): the
   * `#offsets` entry of the last `#breaks` entry at or before `k` (0 before the first). Usually empty.
   */
  #breaks: number[] = [];
  #offsets: number[] = [];
  #outcomes: Outcome[] = [];
  /** Rows written (known once cut). */
  rows = 0;

  /** `foldAt`: when the positions fold into runs (see `position_list.ts`; tests set it low). */
  constructor(stream: string, dataset: string, now: number, generation: string, seqBase: number, foldAt?: number) {
    this.positions = new PositionList(foldAt);
    this.stream = stream;
    this.dataset = dataset;
    this.openedAt = now;
    this.generation = generation;
    this.seqBase = seqBase;
  }

  /** First position of the batch. */
  get first(): string | undefined {
    return this.positions.first;
  }

  /** Last position of the batch. */
  get last(): string | undefined {
    return this.positions.last;
  }

  /** Records that failed and were logged, ignored or dead-lettered. */
  get failed(): number {
    return this.#outcomes.reduce((n, o) => n + (o.skipped ? 0 : 1), 0);
  }

  /** Messages acknowledged without a row (e.g. skipped tombstones). */
  get skipped(): number {
    return this.#outcomes.reduce((n, o) => n + (o.skipped ? 1 : 0), 0);
  }

  /** Dead letters of the batch, in position order. */
  get deadLetters(): DeadLetter[] {
    return this.#outcomes.flatMap((o) => o.letter ? [o.letter] : []);
  }

  /** Records that the position just added was sent to the assembly (as the next seq). */
  markSent(): void {
    const k = this.#sent++;
    const offset = this.positions.length - 1 - k;
    if (offset !== (this.#offsets[this.#offsets.length - 1] ?? 0)) {
      this.#breaks.push(k);
      this.#offsets.push(offset);
    }
  }

  /** Records that the position at `at` (default: the last one added) was skipped. */
  markSkipped(at = this.positions.length - 1): void {
    this.#outcomes.push({ at, skipped: true });
  }

  /** Records that the position at `at` failed, with its dead letter if it is kept. */
  markFailed(at: number, letter?: DeadLetter): void {
    this.#outcomes.push(letter ? { at, skipped: false, letter } : { at, skipped: false });
  }

  /** Index of the position of a message sent as `seq`. */
  indexOfSeq(seq: number): number {
    const k = seq - this.seqBase;
    return k + this.#offsetAt(k);
  }

  /** The offset of sent message `k` (see `#breaks`). */
  #offsetAt(k: number): number {
    let lo = 0;
    let hi = this.#breaks.length; // the first break after k
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#breaks[mid]! <= k) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.#offsets[lo - 1]!;
  }

  /**
   * Takes the batch's head up to and including the message sent as `through` (or everything when undefined) into a
   * batch of its own; this batch keeps the rest, opened at `now`. Returns the head.
   */
  take(through: number | undefined, now: number): StreamBatch {
    const count = through === undefined ? this.positions.length : this.indexOfSeq(through) + 1;
    const nextSeq = this.seqBase + this.#sent;
    const head = new StreamBatch(this.stream, this.dataset, this.openedAt, this.generation, this.seqBase);
    const sent = through === undefined ? this.#sent : through - this.seqBase + 1;
    if (count === this.positions.length) {
      head.positions = this.positions;
      this.positions = this.positions.slice(0, 0);
    } else {
      head.positions = this.positions.slice(0, count);
      this.positions = this.positions.slice(count);
    }
    const kept = this.#breaks.findIndex((k) => k >= sent);
    const split = kept < 0 ? this.#breaks.length : kept;
    head.#sent = sent;
    head.#breaks = this.#breaks.slice(0, split);
    head.#offsets = this.#offsets.slice(0, split);
    // The rest's message k was message sent + k, and `count - sent` unsent positions went with the head (the offset
    // of the head's last message): the rest's offsets are smaller by that. The offset of its first message differs
    // from the head's last only through a break at exactly `sent`, which the rest keeps (as its break at 0).
    const removed = count - sent;
    const breaks = this.#breaks.slice(split).map((k) => k - sent);
    const offsets = this.#offsets.slice(split).map((offset) => offset - removed);
    this.#breaks = breaks;
    this.#offsets = offsets;
    this.#sent -= sent;
    head.#outcomes = this.#outcomes.filter((o) => o.at < count);
    this.#outcomes = this.#outcomes.filter((o) => o.at >= count).map((o) => ({ ...o, at: o.at - count }));
    this.seqBase = through === undefined ? nextSeq : through + 1;
    this.openedAt = now;
    return head;
  }
}
