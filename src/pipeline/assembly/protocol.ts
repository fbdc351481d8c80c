/**
 * The messages between the pipeline and its assembly workers (`worker.ts`). Every request is answered in order: an
 * `append` or `cut` by one `reply`; `drop` by nothing. A worker that fails answers `failed` and takes no more.
 * @module
 */
import type { AssemblerOptions, AssemblyReply } from "./assembler.ts";
import type { PackedMessages } from "./message_pack.ts";

/** From the pipeline to a worker. */
export type ToWorker =
  | { readonly op: "init"; readonly options: AssemblerOptions }
  | {
    readonly op: "append";
    readonly key: number;
    readonly stream: string;
    readonly dataset: string;
    readonly firstSeq: number;
    readonly packed: PackedMessages;
  }
  | { readonly op: "cut"; readonly key: number }
  | { readonly op: "drop"; readonly key: number };

/** From a worker to the pipeline. */
export type FromWorker =
  | {
    readonly op: "reply";
    readonly reply: AssemblyReply; /** Answers a `cut` (else an `append`). */
    readonly cut: boolean;
  }
  | { readonly op: "failed"; readonly error: string };

/** The buffers of a reply's files, to transfer instead of copy. */
export function replyTransfer(reply: AssemblyReply): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const cut of reply.cuts) for (const file of cut.files) buffers.push(file.data.buffer as ArrayBuffer);
  return buffers;
}

/** The buffers of a pack, to transfer instead of copy. */
export function packTransfer(packed: PackedMessages): ArrayBuffer[] {
  const buffers = [packed.bytes.buffer, packed.payloads.buffer, packed.timestamps.buffer] as ArrayBuffer[];
  for (const column of packed.metadata) if (column instanceof Int32Array) buffers.push(column.buffer as ArrayBuffer);
  return buffers;
}
