import { deepEqual as assertEquals, throws } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { replyBytes, replyText } from "./client.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("replyText() reads short and long, ASCII and UTF-8 replies as TextDecoder does", () => {
  const texts = ["", "1700000000000-12", "data", "é", "日本取引所", "a".repeat(64), "ü".repeat(40), "x".repeat(5000)];
  for (const text of texts) {
    assertEquals(replyText(encode(text)), text);
    assertEquals(replyText(Buffer.from(text)), text); // ioredis replies are Buffers
  }
  // Invalid UTF-8 decodes with replacement characters, short or long, as before.
  const invalid = new Uint8Array([0x61, 0xff, 0x62]);
  assertEquals(replyText(invalid), new TextDecoder().decode(invalid));
  assertEquals(replyText(new Uint8Array(100).fill(0xc3)), new TextDecoder().decode(new Uint8Array(100).fill(0xc3)));
  assertEquals([replyText("text"), replyText(42)], ["text", "42"]);
  throws(() => replyText(null), /expected text, got null/);
});

Deno.test("replyBytes() gives a plain Uint8Array view of a Buffer reply", () => {
  const reply = Buffer.from("payload");
  const bytes = replyBytes(reply);
  assertEquals(bytes.constructor, Uint8Array);
  assertEquals(bytes.buffer, reply.buffer);
  assertEquals(new TextDecoder().decode(bytes), "payload");
});
