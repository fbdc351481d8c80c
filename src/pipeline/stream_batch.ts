/**
 * The open batch of one stream: one Arrow builder per output folder, the positions it covers, and its dead letters.
 * A batch is cut as a whole, so every cut covers a contiguous position range of its stream.
 * @module
 */
import { BatchBuilder, type BatchBuilderOptions } from "../arrow/batch_builder.ts";
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

/** The open batch of one stream. */
export class StreamBatch {
  readonly stream: string;
  readonly dataset: string;
  readonly openedAt: number;
  /** File-name generation of the stream ("" for the first), see `journal.ts`. */
  readonly generation: string;
  readonly positions: string[] = [];
  readonly builders = new Map<string, BatchBuilder>();
  readonly deadLetters: DeadLetter[] = [];
  /** Records buffered (a message may hold several records, e.g. an Arrow IPC payload). */
  rows = 0;
  /** Estimated bytes buffered in the builders. */
  bytes = 0;
  /** Records that failed and were logged, ignored or dead-lettered. */
  failed = 0;
  /** Messages acknowledged without a row (e.g. skipped tombstones). */
  skipped = 0;
  readonly #options: BatchBuilderOptions;
  /** The folder of the last `builderFor` call and its builder: consecutive records mostly share a folder. */
  #lastFolder: string | undefined;
  #lastBuilder: BatchBuilder | undefined;

  /** `options` are those of every builder of the batch (one per output folder). */
  constructor(stream: string, dataset: string, now: number, generation: string, options: BatchBuilderOptions) {
    this.stream = stream;
    this.dataset = dataset;
    this.openedAt = now;
    this.generation = generation;
    this.#options = options;
  }

  /** First position of the batch. */
  get first(): string | undefined {
    return this.positions[0];
  }

  /** Last position of the batch. */
  get last(): string | undefined {
    return this.positions[this.positions.length - 1];
  }

  /** The builder of an output folder, created on first use. */
  builderFor(folder: string): BatchBuilder {
    if (folder === this.#lastFolder) return this.#lastBuilder!;
    let builder = this.builders.get(folder);
    if (builder === undefined) {
      builder = new BatchBuilder(this.#options);
      this.builders.set(folder, builder);
    }
    this.#lastFolder = folder;
    this.#lastBuilder = builder;
    return builder;
  }
}
