import { deepEqual as assertEquals } from "node:assert/strict";
import type { MetadataColumn } from "../../core/source.ts";
import type { AssemblyMessage } from "./assembler.ts";
import { packMessages, unpackMessages } from "./message_pack.ts";

const COLUMNS: MetadataColumn[] = [
  { name: "topic", type: "utf8" },
  { name: "partition", type: "int32" },
  { name: "offset", type: "int64" },
  { name: "ts", type: "timestamp_ms" },
  { name: "key", type: "binary" },
  { name: "note", type: "utf8" },
  { name: "headers", type: "map_utf8" },
];

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("packMessages() and unpackMessages() give back every payload, metadata value, null and timestamp", () => {
  const messages: AssemblyMessage[] = [
    {
      stream: "t+1",
      value: bytes('{"a":1}'),
      metadata: ["t", 1, 9007199254740993n, 1_700_000_000_123, bytes("k1"), "x", { h: "1" }],
      timestampMs: 5,
    },
    { stream: "t+1", value: null, metadata: ["t", null, null, null, null, "y", null] },
    {
      stream: "t+1",
      value: bytes(""),
      metadata: ["t", -7, -1n, 0, bytes(""), null, {}],
      fields: { f: "v" },
    },
    { stream: "t+1", value: bytes("ü"), metadata: ["t", 2, 3n, 4.5, bytes("k4"), "x", null] },
  ];
  const packed = packMessages(messages, COLUMNS);
  assertEquals(packed.metadata[0], { kind: "same", value: "t" }, "a text the same in every message goes once");
  const back = unpackMessages(structuredClone(packed), "t+1", "t");
  assertEquals(back.map((m) => m.value && new TextDecoder().decode(m.value)), ['{"a":1}', null, "", "ü"]);
  assertEquals(back.map((m) => m.metadata), messages.map((m) => m.metadata));
  assertEquals(back.map((m) => m.timestampMs), [5, undefined, undefined, undefined]);
  assertEquals(back.map((m) => m.fields), [undefined, undefined, { f: "v" }, undefined]);
  assertEquals(back.map((m) => [m.stream, m.dataset]), messages.map(() => ["t+1", "t"]));
});
