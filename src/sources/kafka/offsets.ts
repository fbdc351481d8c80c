/**
 * Stream names, positions and the per-partition bookkeeping of the Kafka source: where an assigned partition starts
 * ({@linkcode startOffset}), how far the client has fetched, the one-shot end offset,
 * and what offset an acknowledgement commits. Pure; the consumer does the I/O.
 * @module
 */
import type { StartFrom } from "./config.ts";

/** Digits of a position: offsets are zero-padded so that positions sort as text in offset order. */
export const POSITION_DIGITS = 20;

/** The stream of a topic-partition: `orders+3`. Topic names cannot contain `+`, so this is unambiguous. */
export function streamName(topic: string, partition: number): string {
  return `${topic}+${partition}`;
}

/** Splits a stream name made by {@linkcode streamName}. */
export function parseStream(stream: string): { topic: string; partition: number } {
  const at = stream.lastIndexOf("+");
  const partition = Number(stream.slice(at + 1));
  if (at <= 0 || !Number.isInteger(partition) || partition < 0) {
    throw new RangeError(`Cannot parse Kafka stream "${stream}": expected <topic>+<partition>`);
  }
  return { topic: stream.slice(0, at), partition };
}

/** Formats an offset as a position: 20 digits, zero-padded (`00000000000000001200`). */
export function formatPosition(offset: bigint | string): string {
  return offset.toString().padStart(POSITION_DIGITS, "0");
}

/** Parses a position made by {@linkcode formatPosition}. */
export function parsePosition(position: string): bigint {
  if (!/^\d+$/.test(position)) throw new RangeError(`Cannot parse Kafka position "${position}": expected digits`);
  return BigInt(position);
}

/** Offsets of one partition as the brokers and the group report them when it is assigned, parsed. */
export interface PartitionOffsets {
  /** The group's committed offset (next offset to read), or null when the group never committed. */
  readonly committed: bigint | null;
  /** First retained offset (low watermark). */
  readonly low: bigint;
  /** Offset after the last message (high watermark). */
  readonly high: bigint;
  /** With `start_from` a time: the first offset at or after it, or null when there is none or it was not asked. */
  readonly atTime: bigint | null;
}

/** Where an assigned partition starts, as {@linkcode startOffset} decided. */
export type StartDecision =
  /** Resume at the group's committed offset, or at the low watermark when retention deleted the records there. */
  | { readonly kind: "committed"; readonly start: bigint; readonly committed: bigint }
  /** No committed offset and `start_from: earliest`: the oldest retained record. */
  | { readonly kind: "earliest"; readonly start: bigint }
  /** No committed offset and `start_from` latest or a time: start there, and commit it so a reassignment keeps it. */
  | { readonly kind: "start_from"; readonly start: bigint }
  /** The committed offset is past the end (topic deleted and recreated?): forget it, read from the low watermark. */
  | { readonly kind: "past_end"; readonly start: bigint; readonly committed: bigint };

/**
 * Decides where an assigned partition starts: its committed offset when it has one (never below the low watermark),
 * unless that offset is past the high watermark; otherwise where `start_from` says (a time with no record that
 * recent starts at the end, like `latest`).
 */
export function startOffset(offsets: PartitionOffsets, startFrom: StartFrom): StartDecision {
  const { committed, low, high } = offsets;
  if (committed !== null && committed > high) return { kind: "past_end", start: low, committed };
  if (committed !== null) return { kind: "committed", start: committed < low ? low : committed, committed };
  if (startFrom.kind === "earliest") return { kind: "earliest", start: low };
  const at = startFrom.kind === "timestamp" ? offsets.atTime : null;
  return { kind: "start_from", start: at ?? high };
}

/** A partition's offsets when a one-shot run started. */
export interface EndAtStart {
  /** Log start offset. */
  readonly low: bigint;
  /** High watermark: the run is done with the partition once everything before it is durable and committed. */
  readonly high: bigint;
}

/**
 * The partitions a one-shot run still waits for on other members of its group: those that had records at start
 * (`high > low`), are not assigned to this instance, and whose group commit (`committed`, absent when none) is still
 * before their end at start. Sorted. Pure: the caller fetches the group's offsets.
 */
export function unfinishedElsewhere(
  ends: ReadonlyMap<string, EndAtStart>,
  owned: ReadonlySet<string>,
  committed: ReadonlyMap<string, bigint>,
): string[] {
  const waiting: string[] = [];
  for (const [stream, end] of ends) {
    if (owned.has(stream) || end.high <= end.low) continue;
    const at = committed.get(stream);
    if (at === undefined || at < end.high) waiting.push(stream);
  }
  return waiting.sort();
}

/** What {@linkcode PartitionTracker.checkBatch} decided about a fetched batch. */
export type BatchCheck =
  /** Deliver messages with offsets from `from` on (earlier ones precede the start point) up to before `until`. */
  | { readonly kind: "deliver"; readonly from: bigint; readonly until: bigint | null }
  /** Offsets went backwards (topic deleted and recreated?): reading restarts at `from`. */
  | { readonly kind: "reset"; readonly from: bigint; readonly expected: bigint }
  /** The whole batch precedes the start point: skip it and move the client to `seekTo`. */
  | { readonly kind: "seek"; readonly seekTo: bigint }
  /** The whole batch is at or past the one-shot end: deliver nothing. */
  | { readonly kind: "past_end" };

/** Offsets of a partition when it is assigned. */
export interface PartitionStart {
  /** The group's committed offset (next offset to read), or null when the group never committed. */
  readonly committed: bigint | null;
  /** First offset to deliver. */
  readonly start: bigint;
  /** One-shot end (high watermark at start): offsets from here on are not delivered; null in continuous runs. */
  readonly end: bigint | null;
}

/** Bookkeeping of one assigned partition. */
export class PartitionTracker {
  readonly topic: string;
  readonly partition: number;
  readonly stream: string;
  /** Offset the group has committed (next to read), null when never committed. */
  committed: bigint | null;
  /** One-shot end offset, or null (moved by {@linkcode PartitionTracker.resetTo} when the log was replaced). */
  end: bigint | null;
  /** Latest high watermark seen (for progress). */
  highWatermark: bigint;
  #start: bigint;
  #expected: bigint;
  #fetchedThrough: bigint;
  #lastDelivered: bigint | null = null;

  constructor(topic: string, partition: number, start: PartitionStart) {
    this.topic = topic;
    this.partition = partition;
    this.stream = streamName(topic, partition);
    this.committed = start.committed;
    this.end = start.end;
    this.#start = start.start;
    this.#expected = start.start;
    this.#fetchedThrough = start.start - 1n;
    this.highWatermark = start.end ?? start.start;
  }

  /** First offset this assignment delivers. */
  get start(): bigint {
    return this.#start;
  }

  /** Next offset the client will hand over: after the last delivered or fetched one (markers included). */
  get nextOffset(): bigint {
    return this.#expected;
  }

  /** Offset of the last message handed to the pipeline in this assignment, or null before the first. */
  get lastDelivered(): bigint | null {
    return this.#lastDelivered;
  }

  /** True in one-shot mode once everything before the end offset has been fetched (or there was nothing). */
  get caughtUp(): boolean {
    return this.end !== null && (this.#start >= this.end || this.#fetchedThrough >= this.end - 1n);
  }

  /** Records to read from the start point up to the end (one-shot) or the latest high watermark. */
  get toDo(): bigint {
    const until = this.end ?? this.highWatermark;
    return until > this.#start ? until - this.#start : 0n;
  }

  /** Decides what to do with a fetched batch spanning `[first, last]`. */
  checkBatch(first: bigint, last: bigint): BatchCheck {
    if (first < this.#expected && first < this.#start) {
      // Either the client fetched before our start point was known (new group with start_from), or offsets went
      // backwards after we had fetched from the start point. (A commit past the end is caught when assigned.)
      if (this.#fetchedThrough >= this.#start) return this.#reset(first);
      if (last < this.#start) return { kind: "seek", seekTo: this.#start };
    } else if (first < this.#expected) {
      return this.#reset(first);
    }
    if (this.end !== null && first >= this.end) return { kind: "past_end" };
    return { kind: "deliver", from: this.#start > first ? this.#start : first, until: this.end };
  }

  #reset(first: bigint): BatchCheck {
    const expected = this.#expected;
    this.#start = first;
    this.#expected = first;
    this.#fetchedThrough = first - 1n;
    this.#lastDelivered = null;
    this.committed = null;
    return { kind: "reset", from: first, expected };
  }

  /**
   * The partition's log was replaced (topic deleted and recreated, or truncated): reading restarts at `from`, the
   * committed offset is forgotten and, in a one-shot run, the end moves to `end` (the new log's high watermark).
   */
  resetTo(from: bigint, end: bigint | null): BatchCheck {
    if (this.end !== null && end !== null) this.end = end;
    return this.#reset(from);
  }

  /** Records before `offset` are gone (deleted by retention before they were read): reading continues there. */
  skipTo(offset: bigint): void {
    if (offset > this.#start && this.#fetchedThrough < this.#start) this.#start = offset;
    this.fetched(offset - 1n);
  }

  /** Notes a message handed to the pipeline. */
  delivered(offset: bigint): void {
    this.#expected = offset + 1n;
    this.#lastDelivered = offset;
  }

  /** Notes that the client has fetched (and handed over) everything up to `offset`. */
  fetched(offset: bigint): void {
    if (offset > this.#fetchedThrough) this.#fetchedThrough = offset;
    if (offset + 1n > this.#expected) this.#expected = offset + 1n;
  }

  /** The offset to commit when `last` is acknowledged, or undefined when it is not past the committed one. */
  commitTarget(last: bigint): bigint | undefined {
    const target = last + 1n;
    return this.committed === null || target > this.committed ? target : undefined;
  }

  /** Records a successful commit. */
  committedTo(offset: bigint): void {
    if (this.committed === null || offset > this.committed) this.committed = offset;
  }
}
