/**
 * The bounded read-ahead buffer between the push-based Kafka client and the pull-based pipeline. The client's batch
 * handler awaits {@linkcode MessageBuffer.waitForRoom} before pushing, so a slow pipeline stops fetching instead of
 * filling memory. Pure (no I/O), unit-tested on its own.
 * @module
 */
import type { SourceMessage } from "../../core/source.ts";

/** Limits of a {@linkcode MessageBuffer}. */
export interface MessageBufferOptions {
  /** Room is reported once fewer than this many messages are buffered. */
  readonly maxMessages: number;
  /** Room is reported once fewer than this many payload bytes are buffered. */
  readonly maxBytes: number;
}

/**
 * A FIFO of messages with a soft bound: a push is always accepted (one fetched batch may exceed the bound on its
 * own), but {@linkcode MessageBuffer.hasRoom} is false while the buffer is at or over either limit.
 */
export class MessageBuffer {
  #items: SourceMessage[] = [];
  #head = 0;
  #bytes = 0;
  #options: MessageBufferOptions;
  #dataWaiters: (() => void)[] = [];
  #roomWaiters: (() => void)[] = [];

  constructor(options: MessageBufferOptions) {
    this.#options = options;
  }

  /** Messages buffered. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Payload bytes buffered. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True while both limits leave room. */
  hasRoom(): boolean {
    return this.size < this.#options.maxMessages && this.#bytes < this.#options.maxBytes;
  }

  /** Appends messages (in stream order) and wakes readers. */
  push(messages: readonly SourceMessage[]): void {
    for (const message of messages) {
      this.#items.push(message);
      this.#bytes += message.value?.byteLength ?? 0;
    }
    if (messages.length > 0) this.#wake(this.#dataWaiters);
  }

  /** Removes and returns up to `max` messages from the front, and wakes writers when room appears. */
  take(max: number): SourceMessage[] {
    const end = Math.min(this.#items.length, this.#head + max);
    const taken = this.#items.slice(this.#head, end);
    this.#head = end;
    for (const message of taken) this.#bytes -= message.value?.byteLength ?? 0;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.hasRoom()) this.#wake(this.#roomWaiters);
    return taken;
  }

  /** Drops every buffered message of the given streams (revoked partitions); returns how many were dropped. */
  drop(streams: ReadonlySet<string>): number {
    const kept = this.#items.slice(this.#head).filter((message) => !streams.has(message.stream));
    const dropped = this.size - kept.length;
    this.#items = kept;
    this.#head = 0;
    this.#bytes = kept.reduce((sum, message) => sum + (message.value?.byteLength ?? 0), 0);
    if (this.hasRoom()) this.#wake(this.#roomWaiters);
    return dropped;
  }

  /** Resolves when messages are buffered, or after `ms`. */
  waitForData(ms: number): Promise<void> {
    if (this.size > 0) return Promise.resolve();
    return this.#wait(this.#dataWaiters, ms);
  }

  /** Resolves when there is room, or after `ms` (so the caller can send heartbeats while it waits). */
  waitForRoom(ms: number): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return this.#wait(this.#roomWaiters, ms);
  }

  /** Wakes everyone waiting for data (e.g. on failure or shutdown), so they re-check their conditions. */
  wakeAll(): void {
    this.#wake(this.#dataWaiters);
    this.#wake(this.#roomWaiters);
  }

  #wait(list: (() => void)[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        const index = list.indexOf(done);
        if (index >= 0) list.splice(index, 1);
        resolve();
      }
      list.push(done);
    });
  }

  #wake(list: (() => void)[]): void {
    for (const waiter of list.splice(0)) waiter();
  }
}
