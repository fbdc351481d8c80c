/**
 * The writes and acknowledgements of one stream, in stream order. While one step runs, later items wait; when it
 * ends, every batch waiting by then (of one generation and one `ack` setting) goes as one step: one journal entry
 * and one acknowledgement for all of them (a group commit), each batch still its own files. Small batches of a busy
 * stream thus cost one round of journal, fsync and commit per group instead of per batch, while nothing is
 * acknowledged before the files holding it are durable. A failed step fails its items and every later one, so
 * nothing later of the stream is acknowledged.
 * @module
 */
import type { WriteRequest } from "./batch_writer.ts";

/** Writes a group of batches (see `BatchWriter.write`). */
export type GroupWrite = (requests: readonly WriteRequest[]) => Promise<void>;
/** Acknowledges already-durable positions. */
export type DurableAck = (positions: readonly string[]) => Promise<void>;

type Item =
  | { readonly kind: "batch"; readonly request: WriteRequest; readonly done: PromiseWithResolvers<void> }
  | { readonly kind: "ack"; readonly positions: readonly string[]; readonly done: PromiseWithResolvers<void> };

/** Batches of a group at most. */
const MAX_GROUP = 64;

/** Steps of all streams' queues that may run at once (`pipeline.write_concurrency`). */
export class WriteSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(count: number) {
    this.#free = count;
  }

  /** Resolves once a slot is taken. */
  async take(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a taken slot back (to the longest waiter, if any). */
  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** One stream's queue; see the module doc. */
export class WriteQueue {
  readonly #write: GroupWrite;
  readonly #ack: DurableAck;
  readonly #slots: WriteSlots;
  readonly #items: Item[] = [];
  #running: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(write: GroupWrite, ack: DurableAck, slots: WriteSlots) {
    this.#write = write;
    this.#ack = ack;
    this.#slots = slots;
  }

  /** Queues a batch; resolves once it is written and acknowledged. */
  batch(request: WriteRequest): Promise<void> {
    return this.#push({ kind: "batch", request, done: Promise.withResolvers() });
  }

  /** Queues the acknowledgement of already-durable positions, after everything queued before. */
  ack(positions: readonly string[]): Promise<void> {
    return this.#push({ kind: "ack", positions, done: Promise.withResolvers() });
  }

  /** Resolves when everything queued so far is done (or failed). */
  async drained(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #push(item: Item): Promise<void> {
    if (this.#failure) item.done.reject(this.#failure.error);
    else {
      this.#items.push(item);
      this.#running ??= this.#run();
    }
    return item.done.promise;
  }

  async #run(): Promise<void> {
    // Let the caller queue what it has in hand before the first step starts.
    await Promise.resolve();
    while (this.#items.length > 0) {
      await this.#slots.take();
      const group = this.#takeGroup();
      try {
        if (group[0]!.kind === "ack") {
          await this.#ack(group.flatMap((item) => item.kind === "ack" ? item.positions : []));
        } else await this.#write(group.map((item) => item.kind === "batch" ? item.request : undefined!));
        for (const item of group) item.done.resolve();
      } catch (error) {
        this.#failure = { error };
        for (const item of [...group, ...this.#items.splice(0)]) item.done.reject(error);
      } finally {
        this.#slots.give();
      }
    }
    this.#running = undefined;
  }

  /** The items at the head that go as one step: consecutive acks, or consecutive batches that can share an entry. */
  #takeGroup(): Item[] {
    const head = this.#items[0]!;
    let count = 1;
    while (count < this.#items.length && count < MAX_GROUP && joins(head, this.#items[count]!)) count++;
    return this.#items.splice(0, count);
  }
}

function joins(head: Item, next: Item): boolean {
  if (head.kind !== next.kind) return false;
  if (head.kind === "ack" || next.kind === "ack") return true;
  return head.request.ack === next.request.ack && head.request.batch.generation === next.request.batch.generation;
}
