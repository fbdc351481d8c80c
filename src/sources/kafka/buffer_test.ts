import assert from "node:assert/strict";
import type { SourceMessage } from "../../core/source.ts";
import { MessageBuffer } from "./buffer.ts";

function message(stream: string, position: number, bytes = 10): SourceMessage {
  return { stream, position: String(position), value: new Uint8Array(bytes), metadata: [] };
}

Deno.test("MessageBuffer reports no room at either limit and wakes a waiting writer when drained", async () => {
  const buffer = new MessageBuffer({ maxMessages: 3, maxBytes: 1000 });
  buffer.push([message("a", 1), message("a", 2)]);
  assert.equal(buffer.hasRoom(), true);
  buffer.push([message("a", 3)]);
  assert.equal(buffer.hasRoom(), false);
  const waiting = buffer.waitForRoom(10_000).then(() => buffer.hasRoom());
  assert.deepEqual(buffer.take(2).map((m) => m.position), ["1", "2"]);
  assert.equal(await waiting, true);

  const bytes = new MessageBuffer({ maxMessages: 100, maxBytes: 50 });
  bytes.push([message("a", 1, 60)]);
  assert.equal(bytes.hasRoom(), false);
  assert.equal(bytes.bytes, 60);
});

Deno.test("MessageBuffer drops only the revoked streams and keeps order", () => {
  const buffer = new MessageBuffer({ maxMessages: 100, maxBytes: 10_000 });
  buffer.push([message("a", 1), message("b", 1), message("a", 2), message("c", 1), message("b", 2)]);
  assert.equal(buffer.drop(new Set(["b"])), 2);
  assert.deepEqual(buffer.take(10).map((m) => `${m.stream}${m.position}`), ["a1", "a2", "c1"]);
  assert.equal(buffer.bytes, 0);
});

Deno.test("MessageBuffer wakes a waiting reader on push and times out otherwise", async () => {
  const buffer = new MessageBuffer({ maxMessages: 10, maxBytes: 1000 });
  await buffer.waitForData(5);
  assert.equal(buffer.size, 0);
  const waiting = buffer.waitForData(10_000).then(() => buffer.size);
  buffer.push([message("a", 1)]);
  assert.equal(await waiting, 1);
});
