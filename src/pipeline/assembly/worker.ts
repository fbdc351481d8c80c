/**
 * Entry of an assembly worker thread: an {@linkcode Assembler} driven by the pipeline's messages (`protocol.ts`).
 * @module
 */
/// <reference lib="deno.worker" />
import { Assembler } from "./assembler.ts";
import { unpackMessages } from "./message_pack.ts";
import { type FromWorker, replyTransfer, type ToWorker } from "./protocol.ts";

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
      const reply = assembler!.append(request.key, request.stream, request.dataset, request.firstSeq, messages);
      post({ op: "reply", reply, cut: false }, replyTransfer(reply));
    } else if (request.op === "cut") {
      const reply = assembler!.cut(request.key);
      post({ op: "reply", reply, cut: true }, replyTransfer(reply));
    } else {
      assembler!.drop(request.key);
    }
  } catch (error) {
    failed = true;
    post({ op: "failed", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
};
