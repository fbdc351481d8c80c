/**
 * The assembly on the main thread (`pipeline.workers: 0`): calls the assembler directly; replies are handled before
 * each call returns.
 * @module
 */
import { Assembler, type AssemblerOptions, type AssemblyMessage } from "./assembler.ts";
import type { Assembly, AssemblyHandlers } from "./contract.ts";

/** See the module doc. */
export class LocalAssembly implements Assembly {
  readonly #assembler: Assembler;
  readonly #handlers: AssemblyHandlers;

  constructor(options: AssemblerOptions, handlers: AssemblyHandlers) {
    this.#assembler = new Assembler(options);
    this.#handlers = handlers;
  }

  append(key: number, stream: string, dataset: string, firstSeq: number, messages: readonly AssemblyMessage[]): void {
    this.#handlers.reply(this.#assembler.append(key, stream, dataset, firstSeq, messages));
  }

  cut(key: number): Promise<void> {
    this.#handlers.reply(this.#assembler.cut(key));
    return Promise.resolve();
  }

  drop(key: number): void {
    this.#assembler.drop(key);
  }

  room(): undefined {
    return undefined;
  }

  close(): void {}
}
