/**
 * The messages between the pipeline and its assembly workers (`worker.ts`). Every request is answered in order: an
 * `append` or `cut` by one `reply`; `drop` by nothing. A worker that fails answers `failed` and takes no more.
 * @module
 */
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow";
import type { Assembled, AssembledFile, AssembledPart, AssemblerOptions, AssemblyReply } from "./assembler.ts";
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
    readonly reply: PostedReply;
    /** Answers a `cut` (else an `append`). */
    readonly cut: boolean;
  }
  | { readonly op: "failed"; readonly error: string };

/** A reply as posted: the tables of streamed files and of parts as Arrow IPC streams. */
export interface PostedReply extends Omit<AssemblyReply, "cuts" | "parts"> {
  readonly cuts: readonly (Omit<Assembled, "files"> & { readonly files: readonly PostedFile[] })[];
  readonly parts?: readonly (Omit<AssembledPart, "table"> & { readonly ipc: Uint8Array })[];
}

/** A file as posted: its Parquet bytes, or its table (rows, or the last rows of a file with parts) as Arrow IPC. */
export interface PostedFile {
  readonly folder: string;
  readonly index: number;
  readonly rows: number;
  readonly data?: Uint8Array;
  readonly ipc?: Uint8Array;
  readonly size?: number;
  readonly part?: number;
}

/** A reply ready to post, and the buffers to transfer with it (instead of copying them). */
export function postable(reply: AssemblyReply): { posted: PostedReply; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const ipcOf = (table: Table) => {
    const ipc = tableToIPC(table, "stream");
    transfer.push(ipc.buffer as ArrayBuffer);
    return ipc;
  };
  const cuts = reply.cuts.map((cut) => ({
    ...cut,
    files: cut.files.map((file): PostedFile => {
      if (file.data !== undefined) {
        transfer.push(file.data.buffer as ArrayBuffer);
        return file;
      }
      const { table, ...rest } = file;
      return table === undefined ? rest : { ...rest, ipc: ipcOf(table) };
    }),
  }));
  const parts = reply.parts?.map(({ table, ...part }) => ({ ...part, ipc: ipcOf(table) }));
  return { posted: parts ? { ...reply, cuts, parts } : { ...reply, cuts, parts: undefined }, transfer };
}

/** The reply a worker posted, its tables read back from their IPC streams. */
export function received(posted: PostedReply): AssemblyReply {
  const cuts = posted.cuts.map((cut) => ({
    ...cut,
    files: cut.files.map(({ ipc, ...file }): AssembledFile => {
      if (file.data !== undefined) return { folder: file.folder, index: file.index, rows: file.rows, data: file.data };
      const size = file.size ?? 0;
      const table = ipc === undefined ? undefined : tableFromIPC(ipc);
      const { folder, index, rows } = file;
      if (file.part !== undefined) return { folder, index, rows, part: file.part, size, ...(table ? { table } : {}) };
      return { folder, index, rows, table: table!, size };
    }),
  }));
  const parts = posted.parts?.map(({ ipc, ...part }) => ({ ...part, table: tableFromIPC(ipc) }));
  return parts ? { ...posted, cuts, parts } : { ...posted, cuts, parts: undefined };
}

/** The buffers of a pack, to transfer instead of copy. */
export function packTransfer(packed: PackedMessages): ArrayBuffer[] {
  const buffers = [packed.bytes.buffer, packed.payloads.buffer, packed.timestamps.buffer] as ArrayBuffer[];
  for (const column of packed.metadata) {
    if (column.kind === "spans") buffers.push(column.spans.buffer as ArrayBuffer);
    else if (column.kind === "int32" || column.kind === "int64" || column.kind === "float64") {
      buffers.push(column.values.buffer as ArrayBuffer);
      if (column.nulls) buffers.push(column.nulls.buffer as ArrayBuffer);
    }
  }
  return buffers;
}
