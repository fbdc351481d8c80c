/**
 * Entry of an assembly worker thread: an {@linkcode Assembler} driven by the pipeline's messages (`protocol.ts`).
 * @module
 */
/// <reference lib="deno.worker" />
import { Assembler } from "./assembler.ts";
import { unpackMessages } from "./message_pack.ts";
import { type FromWorker, postable, type ToWorker } from "./protocol.ts";

let assembler: Assembler | undefined;
let failed = false;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  if (failed) return;
  const request = event.data;
  try {
    if (request.op === "init") {
      assembler = new Assembler(request.options);
    } else if (request.op === "append") {
      const messages = unpackMessages(request.packed, request.stream, request.dataset);
      const { posted, transfer } = postable(
        assembler!.append(request.key, request.stream, request.dataset, request.firstSeq, messages),
      );
      post({ op: "reply", reply: posted, cut: false }, transfer);
    } else if (request.op === "cut") {
      const { posted, transfer } = postable(assembler!.cut(request.key));
      post({ op: "reply", reply: posted, cut: true }, transfer);
    } else {
      assembler!.drop(request.key);
    }
  } catch (error) {
    failed = true;
    post({ op: "failed", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
};
