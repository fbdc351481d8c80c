/**
 * The contract of an assembly (see `mod.ts`): what the pipeline calls and what it is told.
 * @module
 */
import type { AssemblyMessage, AssemblyReply } from "./assembler.ts";

/** Where an assembly's answers go. */
export interface AssemblyHandlers {
  /** Every reply, in order per open stream; in local mode synchronously, from inside the call (it may throw then). */
  reply(reply: AssemblyReply): void;
  /** A worker thread failed (or a reply handler threw in one's callback): the run must fail with this. */
  failure(error: Error): void;
}

/** The per-record work of a run; see the module doc. */
export interface Assembly {
  /** Appends messages of an open stream (numbered from `firstSeq`); the reply comes through the handler. */
  append(key: number, stream: string, dataset: string, firstSeq: number, messages: readonly AssemblyMessage[]): void;
  /** Cuts what an open stream holds; resolves once the handler has had the reply. */
  cut(key: number): Promise<void>;
  /** Forgets an open stream. */
  drop(key: number): void;
  /** Resolves when the threads can take more (undefined when they can at once). */
  room(): Promise<void> | undefined;
  /** Stops the threads. */
  close(): void;
}
