/**
 * The contract of `fs-data-sink preview`: a source plugin reads the next records a run would read, without
 * acknowledging, committing or removing anything (no Kafka commit, no XACK, no list pop), and hands them over as
 * the same {@linkcode SourceMessage}s a run gets, so the pipeline can decode and lay them out exactly as a run would.
 * @module
 */
import type { Logger } from "./logger.ts";
import type { MetadataColumn, SourceMessage } from "./source.ts";

/** Context of a source plugin's `peek`. */
export interface PeekContext {
  /** Read at most this many messages. */
  readonly maxMessages: number;
  /** Give up waiting for more messages after this long and return what was read, ms. */
  readonly timeoutMs: number;
  /** Logger named for the plugin. */
  readonly log: Logger;
}

/** What a peek read: the messages in stream order per stream, and how to name them in errors. */
export interface Peek {
  /** Metadata columns of the messages, as the source of a run declares them. */
  readonly metadataColumns: readonly MetadataColumn[];
  /** The messages, at most `maxMessages`, in stream order within each stream. */
  readonly messages: readonly SourceMessage[];
  /** Where the peek started, per stream, for the operator (e.g. `orders+0: from committed offset 120`). */
  readonly notes: readonly string[];
  /** Describes a message as the source of a run does, e.g. `topic "orders" partition 3 offset 1200`. */
  describe(message: SourceMessage): string;
  /** Compares two positions of one stream, as the source of a run does. Defaults to text order. */
  comparePositions?(a: string, b: string): number;
}
