/**
 * The write-ahead journal that makes restarts write nothing twice. Before the files of a batch are written, the
 * journal entry of its stream (`_fsds/journal/<stream>.json`) records the position range and the file paths. After
 * a crash, the first message of the stream tells what happened:
 * - its position is past the entry's last position: the batch was acknowledged; nothing to do;
 * - it is the entry's first position and every listed file exists: the batch is durable but was not acknowledged;
 *   positions up to `last` are acknowledged without being written again;
 * - it is the entry's first position and some files are missing: the batch was cut short; the files that exist are
 *   deleted and the range is re-read;
 * - it is before the entry's first position: the stream started over (a Kafka topic deleted and recreated, offsets
 *   reset by an operator). Nothing is skipped or deleted, and files get a new generation in their names, so the
 *   files of the earlier incarnation are never overwritten.
 * The sink is the source of truth; one small file per stream, overwritten by each batch.
 * @module
 */
import type { DeliveryCommit, DeliveryEntry, DeliveryLog, RecoverRequest, Recovery } from "../core/delivery_log.ts";
import type { Logger } from "../core/logger.ts";
import type { Sink } from "../core/sink.ts";
import { journalPath } from "./layout.ts";

/** One journal entry: the last batch (or group of batches) begun for a stream, as the delivery log was told of it. */
export interface JournalEntry extends DeliveryEntry {
  readonly version: 1;
  readonly written_at: string;
}

export type { Recovery } from "../core/delivery_log.ts";

/** A new file-name generation: the current UTC time, e.g. `20261123T114500Z`. */
export function newGeneration(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Reads and writes journal entries in a sink. */
export class Journal {
  readonly #sink: Sink;
  readonly #log: Logger;

  constructor(sink: Sink, log: Logger) {
    this.#sink = sink;
    this.#log = log;
  }

  /** Path of a stream's entry relative to the sink root. */
  static pathOf(stream: string): string {
    return journalPath(stream);
  }

  /** Records that a batch of `stream` covering [first, last] is about to be written as `files`. */
  async begin(entry: Omit<JournalEntry, "version" | "written_at">): Promise<void> {
    const full: JournalEntry = { version: 1, ...entry, written_at: new Date().toISOString() };
    await this.#sink.write(Journal.pathOf(entry.stream), new TextEncoder().encode(JSON.stringify(full)));
  }

  /** Reads a stream's entry; null when there is none. A corrupt entry is an error naming its path. */
  async read(stream: string): Promise<JournalEntry | null> {
    const path = Journal.pathOf(stream);
    const bytes = await this.#sink.read(path);
    if (bytes === null) return null;
    try {
      const entry = JSON.parse(new TextDecoder().decode(bytes)) as JournalEntry;
      if (entry.version !== 1 || !Array.isArray(entry.files)) throw new SyntaxError("unknown layout");
      return entry;
    } catch (error) {
      throw new Error(`Cannot read journal "${this.#sink.describe(path)}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Decides what to do for a stream whose first message after start is at `firstSeen`. `compare` orders two positions
   * of the stream; `end`, when the source knows it, is the position just past the stream's last message (Kafka: the
   * high watermark): a batch reaching it cannot be of this stream's present incarnation. `incarnation`, when the
   * source knows it (Kafka: the topic id), is compared with the entry's: an entry of another incarnation is of a
   * stream that was deleted and recreated, whatever the positions say.
   */
  async recover(
    stream: string,
    firstSeen: string,
    compare: (a: string, b: string) => number,
    end?: string,
    incarnation?: string,
  ): Promise<Recovery> {
    const entry = await this.read(stream);
    if (entry === null) return { kind: "none", generation: "" };
    const generation = entry.generation ?? "";
    if (incarnation !== undefined && entry.incarnation !== undefined && incarnation !== entry.incarnation) {
      const next = newGeneration();
      this.#log.warn(
        { stream, resumed_at: firstSeen, journal_incarnation: entry.incarnation, incarnation, generation: next },
        "The stream was deleted and recreated since the last batch (new topic id); writing under a new file-name " +
          "generation, nothing skipped or acknowledged for the earlier batch",
      );
      return { kind: "restarted", generation: next };
    }
    if (compare(firstSeen, entry.last) > 0) return { kind: "none", generation };
    if (end !== undefined && compare(entry.last, end) >= 0) {
      // A topic deleted and recreated with fewer records than the last batch: the positions did not go back before
      // the batch, but the batch ends past what the stream holds, so it is of the earlier incarnation.
      const next = newGeneration();
      this.#log.warn(
        { stream, resumed_at: firstSeen, journal_last: entry.last, stream_end: end, generation: next },
        "The last batch ends past the end of the stream (topic recreated?); writing under a new file-name " +
          "generation, nothing skipped or acknowledged for the earlier batch",
      );
      return { kind: "restarted", generation: next };
    }
    if (compare(firstSeen, entry.first) < 0) {
      const next = newGeneration();
      this.#log.warn(
        { stream, resumed_at: firstSeen, journal_first: entry.first, generation: next },
        "Stream positions went back before the last batch (topic recreated or offsets reset); " +
          "writing under a new file-name generation, nothing skipped",
      );
      return { kind: "restarted", generation: next };
    }
    const present: string[] = [];
    for (const file of entry.files) if (await this.#exists(file)) present.push(file);
    if (present.length === entry.files.length) {
      this.#log.info(
        { stream, first: entry.first, last: entry.last, files: present.length },
        "Batch already durable from an earlier run; acknowledging it without writing again",
      );
      return { kind: "durable", through: entry.last, generation };
    }
    if (compare(firstSeen, entry.first) > 0) {
      // Part of the batch was acknowledged: deleting its files would lose acknowledged rows. Keep them.
      this.#log.warn(
        {
          stream,
          first: entry.first,
          last: entry.last,
          resumed_at: firstSeen,
          missing: entry.files.length - present.length,
        },
        "Interrupted batch was partly acknowledged; keeping its files, re-reading the rest",
      );
      return { kind: "none", generation };
    }
    for (const file of present) await this.#sink.delete(file);
    this.#log.warn(
      { stream, first: entry.first, last: entry.last, deleted: present.length },
      "Removed the files of a batch an earlier run did not finish; re-reading it",
    );
    return { kind: "discarded", files: present, generation };
  }

  async #exists(path: string): Promise<boolean> {
    if (this.#sink.stat) return (await this.#sink.stat(path)) !== null;
    const folder = path.slice(0, path.lastIndexOf("/") + 1);
    return (await this.#sink.list(folder)).some((e) => e.path === path);
  }
}

/** The delivery log of plain folders: the journal entry is written in `begin`; `commit` has nothing to add. */
export class JournalLog implements DeliveryLog {
  readonly #journal: Journal;

  constructor(sink: Sink, log: Logger) {
    this.#journal = new Journal(sink, log);
  }

  dataPath(_dataset: string, folder: string, name: string): string {
    return folder + name;
  }

  recover(stream: string, request: RecoverRequest): Promise<Recovery> {
    return this.#journal.recover(stream, request.first, request.compare, request.end, request.incarnation);
  }

  begin(entry: DeliveryEntry): Promise<void> {
    return this.#journal.begin(entry);
  }

  commit(_entry: DeliveryCommit): Promise<void> {
    return Promise.resolve();
  }
}
