/**
 * The open batch of one stream as the pipeline's control sees it: the positions it covers, in order, which of them
 * went to the assembly (by seq, see `assembly/assembler.ts`), and what happened to the others (skipped, failed, dead
 * letters). The rows themselves are built by the assembly. A batch is cut as a whole or at a seq the assembly names,
 * so every cut covers a contiguous position range of its stream.
 * @module
 */
import type { DeadLetter } from "./dead_letter.ts";

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
  positions: string[] = [];
  /** Seq of the first message sent to the assembly for this batch. */
  seqBase: number;
  /** Per message sent to the assembly (seq `seqBase + i`): the number of positions up to and including its own. */
  #marks: number[] = [];
  #outcomes: Outcome[] = [];
  /** Rows written (known once cut). */
  rows = 0;

  constructor(stream: string, dataset: string, now: number, generation: string, seqBase: number) {
    this.stream = stream;
    this.dataset = dataset;
    this.openedAt = now;
    this.generation = generation;
    this.seqBase = seqBase;
  }

  /** First position of the batch. */
  get first(): string | undefined {
    return this.positions[0];
  }

  /** Last position of the batch. */
  get last(): string | undefined {
    return this.positions[this.positions.length - 1];
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
    this.#marks.push(this.positions.length);
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
    return this.#marks[seq - this.seqBase]! - 1;
  }

  /**
   * Takes the batch's head up to and including the message sent as `through` (or everything when undefined) into a
   * batch of its own; this batch keeps the rest, opened at `now`. Returns the head.
   */
  take(through: number | undefined, now: number): StreamBatch {
    const count = through === undefined ? this.positions.length : this.indexOfSeq(through) + 1;
    const nextSeq = this.seqBase + this.#marks.length;
    const head = new StreamBatch(this.stream, this.dataset, this.openedAt, this.generation, this.seqBase);
    const sent = through === undefined ? this.#marks.length : through - this.seqBase + 1;
    if (count === this.positions.length) {
      head.positions = this.positions;
      this.positions = [];
    } else {
      head.positions = this.positions.slice(0, count);
      this.positions = this.positions.slice(count);
    }
    head.#marks = this.#marks.slice(0, sent);
    this.#marks = this.#marks.slice(sent).map((mark) => mark - count);
    head.#outcomes = this.#outcomes.filter((o) => o.at < count);
    this.#outcomes = this.#outcomes.filter((o) => o.at >= count).map((o) => ({ ...o, at: o.at - count }));
    this.seqBase = through === undefined ? nextSeq : through + 1;
    this.openedAt = now;
    return head;
  }
}
