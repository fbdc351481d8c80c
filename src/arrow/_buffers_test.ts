import { deepEqual as assertEquals } from "node:assert/strict";
import { writeUtf8 } from "./_buffers.ts";

Deno.test("writeUtf8() writes the bytes TextEncoder gives, lone surrogates as U+FFFD, short and long text", () => {
  const pieces = [
    "a",
    "é",
    "流",
    "😀",
    "\ud800",
    "\udc00",
    "\ud83d",
    "x\ud83dy",
    "\u07ff",
    "\u0800",
    "\uffff",
    "\u0080",
  ];
  const texts = ["", "ascii only", "東京証券取引所", "a\ud800", "\udfff\ud800", "😀".repeat(40), "é".repeat(65)];
  for (let i = 0; i < 400; i++) {
    let text = "";
    for (let j = 0; j < (i % 90); j++) text += pieces[(i * 7 + j * 13) % pieces.length];
    texts.push(text);
  }
  const encoder = new TextEncoder();
  for (const text of texts) {
    const bytes = new Uint8Array(3 * text.length + 5);
    const end = writeUtf8(bytes, 2, text);
    assertEquals(bytes.subarray(2, end), encoder.encode(text), JSON.stringify(text));
  }
});
