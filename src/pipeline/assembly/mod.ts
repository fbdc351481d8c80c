/**
 * Where the pipeline's per-record work runs: on the main thread (`pipeline.workers: 0`) or in worker threads, each
 * owning the open files of the streams given to it. Either way the pipeline sends the messages of an open stream in
 * order and gets {@linkcode AssemblyReply}s for them in the same order, through one handler.
 * @module
 */
import type { AssemblerOptions } from "./assembler.ts";
import type { Assembly, AssemblyHandlers } from "./contract.ts";
import { LocalAssembly } from "./local.ts";
import { WorkerAssembly } from "./workers.ts";

export type {
  Assembled,
  AssembledFile,
  AssembledPart,
  AssemblerOptions,
  AssemblyMessage,
  AssemblyReply,
} from "./assembler.ts";
export type { Assembly, AssemblyHandlers } from "./contract.ts";

/** The assembly of a run: `workers` threads, or the main thread when 0. */
export function createAssembly(options: AssemblerOptions, workers: number, handlers: AssemblyHandlers): Assembly {
  return workers === 0 ? new LocalAssembly(options, handlers) : new WorkerAssembly(options, workers, handlers);
}
