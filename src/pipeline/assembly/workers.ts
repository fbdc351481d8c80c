/**
 * The assembly in worker threads: each open stream is given to the worker holding the fewest, so each stream's
 * messages are handled in order by one thread; payloads go over packed and transferred
 * (`message_pack.ts`), finished files come back transferred. The main thread keeps reading meanwhile; it waits
 * ({@linkcode WorkerAssembly.room}) when a worker has more than a few requests queued.
 * @module
 */
import type { AssemblerOptions, AssemblyMessage } from "./assembler.ts";
import { packMessages } from "./message_pack.ts";
import type { Assembly, AssemblyHandlers } from "./contract.ts";
import { type FromWorker, packTransfer, received, type ToWorker } from "./protocol.ts";

/**
 * Requests queued per worker, on average, before the main thread waits. A read often holds one stream's messages
 * only, so one worker's queue may run deep for a while as long as the others' are short.
 */
const MAX_QUEUED = 6;

interface Thread {
  readonly worker: Worker;
  /** Requests sent and not yet answered. */
  queued: number;
  /** Open streams it holds. */
  streams: number;
  /** Resolvers of the thread's `cut` requests, in order. */
  readonly cuts: (() => void)[];
}

/** See the module doc. */
export class WorkerAssembly implements Assembly {
  readonly #threads: Thread[];
  readonly #handlers: AssemblyHandlers;
  readonly #options: AssemblerOptions;
  readonly #home = new Map<number, Thread>();
  #waiting: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #failure: Error | undefined;

  constructor(options: AssemblerOptions, workers: number, handlers: AssemblyHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.#threads = Array.from({ length: workers }, () => this.#start());
  }

  append(key: number, stream: string, dataset: string, firstSeq: number, messages: readonly AssemblyMessage[]): void {
    if (this.#failure) throw this.#failure;
    const thread = this.#threadOf(key);
    const packed = packMessages(messages, this.#options.metadataColumns);
    thread.queued++;
    this.#send(thread, { op: "append", key, stream, dataset, firstSeq, packed }, packTransfer(packed));
  }

  cut(key: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const thread = this.#home.get(key);
    if (thread === undefined) {
      this.#handlers.reply({
        key,
        appended: 0,
        failures: [],
        cuts: [{ through: -1, files: [], rows: 0 }],
        rows: 0,
        bytes: 0,
      });
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      thread.queued++;
      thread.cuts.push(resolve);
      this.#send(thread, { op: "cut", key });
    });
  }

  drop(key: number): void {
    const thread = this.#home.get(key);
    if (thread === undefined) return;
    this.#home.delete(key);
    thread.streams--;
    if (!this.#failure) this.#send(thread, { op: "drop", key });
  }

  room(): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#full()) return undefined;
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  close(): void {
    for (const thread of this.#threads) thread.worker.terminate();
    this.#failure ??= new Error("The pipeline's worker threads were stopped");
  }

  #full(): boolean {
    return this.#threads.reduce((n, thread) => n + thread.queued, 0) >= MAX_QUEUED * this.#threads.length;
  }

  #threadOf(key: number): Thread {
    let thread = this.#home.get(key);
    if (thread === undefined) {
      thread = this.#threads.reduce((least, next) => next.streams < least.streams ? next : least);
      thread.streams++;
      this.#home.set(key, thread);
    }
    return thread;
  }

  #start(): Thread {
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    const thread: Thread = { worker, queued: 0, streams: 0, cuts: [] };
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.#answered(thread, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`A pipeline worker thread failed: ${event.message}`));
    };
    this.#send(thread, { op: "init", options: this.#options });
    return thread;
  }

  #send(thread: Thread, request: ToWorker, transfer: ArrayBuffer[] = []): void {
    thread.worker.postMessage(request, transfer);
  }

  #answered(thread: Thread, answer: FromWorker): void {
    if (this.#failure) return;
    if (answer.op === "failed") {
      this.#fail(new Error(`A pipeline worker thread failed: ${answer.error}`));
      return;
    }
    thread.queued--;
    try {
      this.#handlers.reply(received(answer.reply));
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (answer.cut) thread.cuts.shift()?.();
    if (this.#waiting && !this.#full()) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve();
    }
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#handlers.failure(error);
    this.#waiting?.reject(error);
    this.#waiting = undefined;
    for (const thread of this.#threads) for (const resolve of thread.cuts.splice(0)) resolve();
  }
}
