/**
 * Where the pipeline's per-record work runs: on the main thread (`pipeline.workers: 0`) or in worker threads, each
 * owning the open files of the streams given to it. Either way the pipeline sends the messages of an open stream in
 * order and gets {@linkcode AssemblyReply}s for them in the same order, through one handler.
 * @module
 */
import type { AssemblerOptions, AssemblyMessage, AssemblyReply } from "./assembler.ts";
import { LocalAssembly } from "./local.ts";
import { WorkerAssembly } from "./workers.ts";

export type { Assembled, AssembledFile, AssemblerOptions, AssemblyMessage, AssemblyReply } from "./assembler.ts";

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

/** The assembly of a run: `workers` threads, or the main thread when 0. */
export function createAssembly(options: AssemblerOptions, workers: number, handlers: AssemblyHandlers): Assembly {
  return workers === 0 ? new LocalAssembly(options, handlers) : new WorkerAssembly(options, workers, handlers);
}
