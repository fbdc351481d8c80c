/**
 * The contract every source implements. A source yields raw messages with their position; it never decodes
 * payloads and never decides when something is durable: the pipeline calls {@linkcode Source.ack} once the files
 * holding a message are durable in the sink.
 * @module
 */
import type { Logger } from "./logger.ts";

/** Arrow type of a metadata column a source attaches to every row. */
export type MetadataType = "utf8" | "int32" | "int64" | "timestamp_ms" | "binary" | "map_utf8";

/** A metadata column (e.g. `kafka_offset`) that the source fills for every message. */
export interface MetadataColumn {
  /** Column name in the Parquet file. */
  readonly name: string;
  /** Arrow type of the column. */
  readonly type: MetadataType;
}

/**
 * A metadata value: `utf8` -> string, `int32` -> number, `int64` -> bigint, `timestamp_ms` -> number (ms since
 * epoch), `binary` -> Uint8Array, `map_utf8` -> Record<string, string>; null when absent.
 */
export type MetadataValue = string | number | bigint | Uint8Array | Record<string, string> | null;

/** One raw message read from a source, with where it came from. */
export interface SourceMessage {
  /**
   * The ordered stream this message belongs to: a Kafka topic-partition (`orders+3`), a Redis key, a file.
   * Checkpoints, acknowledgements and file names are kept per stream.
   */
  readonly stream: string;
  /**
   * Position within the stream, formatted so that it sorts as text in stream order and is safe inside a file
   * name (e.g. a zero-padded Kafka offset, a Redis stream id).
   */
  readonly position: string;
  /** Raw payload; null for a tombstone or an entry without payload. */
  readonly value: Uint8Array | null;
  /** Values of the source's metadata columns, in the order of {@linkcode Source.metadataColumns}. */
  readonly metadata: readonly MetadataValue[];
  /** Source timestamp in ms since epoch, used for `date`/`hour` partitions when no timestamp field is set. */
  readonly timestampMs?: number;
  /**
   * Already-structured payload (e.g. a Redis stream entry's field-value pairs): when set, it is used instead of
   * decoding `value`.
   */
  readonly fields?: Record<string, unknown>;
  /**
   * The logical dataset (Kafka topic, Redis key) for `{topic}` path-template tokens and dead-letter folders.
   * Default: the stream without a trailing `+<partition>`.
   */
  readonly dataset?: string;
  /**
   * Acknowledge this message in stream order without writing a row (e.g. a skipped Kafka tombstone). Counted.
   */
  readonly skip?: boolean;
  /**
   * The source could not read a record here (e.g. corrupt MessagePack bytes in a file): the pipeline applies the error
   * policy with this reason instead of decoding; `value` holds the raw bytes, which a dead letter keeps.
   */
  readonly error?: string;
}

/** Options of one {@linkcode Source.read} call. */
export interface ReadOptions {
  /** Return at most this many messages. */
  readonly maxMessages: number;
  /** Wait at most this long for the first message before answering `idle`. */
  readonly maxWaitMs: number;
  /** Aborted when the pipeline is shutting down: return promptly with what is in hand. */
  readonly signal: AbortSignal;
}

/** What one {@linkcode Source.read} call produced. */
export type ReadResult =
  /** Some messages, in stream order within each stream. */
  | { readonly kind: "messages"; readonly messages: readonly SourceMessage[] }
  /** Nothing arrived within `maxWaitMs`; the pipeline uses this to flush idle files. */
  | { readonly kind: "idle" }
  /**
   * The source is finished (end of file, or caught up in one-shot mode); nothing more will come. `incomplete` names
   * what a one-shot run could not drain although it existed at start (entries or partitions another consumer still
   * holds): the run then ends without error but with the exit code of an incomplete drain.
   */
  | { readonly kind: "end"; readonly incomplete?: readonly string[] };

/**
 * Told by a source when streams move away from this instance (a Kafka rebalance). The source must await
 * `revoked` before giving the streams up, so that nothing is acknowledged for them afterwards.
 */
export interface AssignmentListener {
  /** The streams are no longer ours: buffered, unacknowledged records of them are dropped (they will be re-read). */
  revoked(streams: readonly string[]): Promise<void>;
}

/**
 * How far one thing a source reads has come (a Kafka topic, a Redis key, a file), for the progress display. The
 * display computes rates, percentages and ETAs from successive snapshots; a source only counts.
 */
export interface SourceProgress {
  /** What `name` is, a noun used as the log field: `topic`, `key`, `file`. */
  readonly label: string;
  /** The topic, key or file. */
  readonly name: string;
  /** Records handed to the pipeline since start. Rates are of these. */
  readonly done: number;
  /**
   * One-shot runs: records to read in all (e.g. up to the end offsets at start); null in continuous runs or when the
   * source cannot tell. Percent and ETA are shown only when it (or `bytes`) is known.
   */
  readonly total: number | null;
  /** Continuous runs: records waiting to be read or made durable (the consumer lag); null when unknown or n/a. */
  readonly lag: number | null;
  /** When the amount to read is known in bytes rather than records (files): percent and ETA are taken from these. */
  readonly bytes?: { readonly done: number; readonly total: number };
  /** A short note shown after the figures, e.g. `3 partitions`. */
  readonly note?: string;
}

/** Context the pipeline gives a source when it is created. */
export interface SourceContext {
  /** Stop after each assigned stream has been read up to its end at start (one-shot / cron mode). */
  readonly untilCaughtUp: boolean;
  /** Logger named for the source. */
  readonly log: Logger;
}

/** A source of raw messages. Created by its plugin's factory; connects in {@linkcode Source.connect}. */
export interface Source {
  /** Metadata columns this source adds to every row, in the order of {@linkcode SourceMessage.metadata}. */
  readonly metadataColumns: readonly MetadataColumn[];
  /** Opens connections and checks that what the configuration names exists. */
  connect(): Promise<void>;
  /** Reads the next messages. */
  read(options: ReadOptions): Promise<ReadResult>;
  /**
   * Acknowledges messages of one stream whose files are durable (or that were skipped or dead-lettered durably).
   * Positions are in stream order and follow those acknowledged before. Safe to call again with the same positions.
   */
  ack(stream: string, positions: readonly string[]): Promise<void>;
  /**
   * True when `ack` needs only the last of its positions: acknowledging a position acknowledges every earlier one of
   * the stream (Kafka commits an offset). The pipeline then passes that one position instead of every position of
   * a batch, which may hold millions. Default false (every position is passed).
   */
  readonly acksThroughLast?: boolean;
  /** Registers the listener told about revoked streams; sources without rebalancing may ignore it. */
  setAssignmentListener?(listener: AssignmentListener): void;
  /**
   * False when `ack` does not persist progress (e.g. the file source): then the journal does not skip re-read
   * positions, since a re-run may read different data at the same positions. Default true.
   */
  readonly durableAcks?: boolean;
  /**
   * The position just past the last message the stream holds, as far as the source knows (Kafka: the high
   * watermark), or undefined. A journal batch ending at or past it belongs to an earlier incarnation of the stream
   * (a topic deleted and recreated), so it is never acknowledged as durable. Optional.
   */
  endOf?(stream: string): string | undefined;
  /**
   * An id of the stream's present incarnation, when the source knows one (Kafka: the topic id, which changes when a
   * topic is deleted and recreated). Recorded in the journal; an entry of another incarnation is never taken as
   * durable. Optional.
   */
  incarnationOf?(stream: string): string | undefined;
  /** Compares two positions of one stream in stream order (negative, zero, positive). Defaults to text order. */
  comparePositions?(a: string, b: string): number;
  /** Describes a message for errors and logs, e.g. `topic "orders" partition 3 offset 1200`. */
  describe(message: SourceMessage): string;
  /**
   * Messages per stream not yet durable and acknowledged (Kafka: high watermark minus the committed offset; Redis:
   * entries or items not yet delivered plus those this consumer holds unacknowledged). Read at each metrics
   * collection and health check for `fs_data_sink.consumer_lag`, so it answers at once from what the source knows
   * (a source may refresh in the background, never per call); streams left out are no longer reported. Optional;
   * must not throw.
   */
  lag?(): ReadonlyMap<string, number>;
  /**
   * Progress per topic, key or file, in display order, polled a few times a second by the progress display while
   * the run lasts; answers at once from what the source counts (never a round trip per call) and never throws.
   * Optional: a source without it shows no progress.
   */
  progress?(): readonly SourceProgress[];
  /** Closes connections. Called once, also after a failure. */
  close(): Promise<void>;
}
