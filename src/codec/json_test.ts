import { deepEqual as assertEquals } from "node:assert/strict";
import { decodeJson, decodeJsonBatch, type JsonDecodeResult } from "./json.ts";

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);

/** decodeJsonBatch() of the payloads, as one decodeJson() result per payload (null for a null payload). */
function batchResults(payloads: (Uint8Array | null)[]): (JsonDecodeResult | null)[] {
  const { values, errors } = decodeJsonBatch(payloads);
  return payloads.map((payload, i) => {
    if (payload === null) return null;
    const reason = errors.get(i);
    return reason === undefined ? { kind: "value", value: values[i] } : { kind: "error", reason };
  });
}

function oneByOne(payloads: (Uint8Array | null)[]): (JsonDecodeResult | null)[] {
  return payloads.map((payload) => payload === null ? null : decodeJson(payload));
}

Deno.test("decodeJsonBatch() gives each message's own value, nulls skipped", () => {
  const payloads = [utf8('{"a":1}'), null, utf8(' [1,{"b":"流"}] '), utf8('"x"'), utf8("42"), utf8("null")];
  assertEquals(batchResults(payloads), oneByOne(payloads));
  assertEquals(decodeJsonBatch(payloads).values, [{ a: 1 }, undefined, [1, { b: "流" }], "x", 42, null]);
});

Deno.test("decodeJsonBatch() never lets one value span messages or one message hold two", () => {
  // Joined as [..] each of these groups parses, with as many elements as messages, but not message by message.
  const groups = [
    ["1,[2", "3]"],
    ['{"a":[{"b":1}', '{"c":2}]}', '{"d":1},{"e":2}'],
    ['"a', 'b","c'],
    ["[1", "2]", "3,4"],
    ['{"k":"}"}', '"\\"],["'],
    ["1", "2,3", "[4", "5]"],
  ];
  for (const group of groups) {
    const payloads = group.map(utf8);
    assertEquals(batchResults(payloads), oneByOne(payloads), JSON.stringify(group));
  }
});

Deno.test("decodeJsonBatch() keeps every error's own reason among good messages", () => {
  const payloads = [
    utf8('{"ok":1}'),
    utf8("{not json"),
    utf8(""),
    utf8("   "),
    utf8('{"n":NaN,"i":-Infinity}'),
    utf8('{"big":12345678901234567890,"f":1e400}'),
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), // invalid UTF-8
    utf8('{"real":"\uFFFD"}'),
    new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{"bom":true}')]),
    utf8('{"ok":2}'),
    utf8('{"esc":"a\\\\","q":"\\"[{"}'),
  ];
  const batch = batchResults(payloads);
  assertEquals(batch, oneByOne(payloads));
  assertEquals(batch.filter((r) => r?.kind === "error").length, 4);
});

Deno.test("decodeJsonBatch() decodes a large read in groups, a huge message on its own", () => {
  const big = utf8(JSON.stringify({ blob: "x".repeat(1_500_000) }));
  const payloads = Array.from({ length: 12_000 }, (_, i) => i === 7000 ? big : utf8(JSON.stringify({ i, s: "é" })));
  const { values, errors } = decodeJsonBatch(payloads);
  assertEquals(errors.size, 0);
  assertEquals(values[11_999], { i: 11_999, s: "é" });
  assertEquals((values[7000] as { blob: string }).blob.length, 1_500_000);
});

Deno.test("decodeJsonBatch() keeps integers beyond 2^53 exact in a joined group", () => {
  const texts = ['{"a":1}', '{"big":12345678901234567890}', '{"f":1.5e3,"g":-2E+400}', "[9007199254740993]", '"1e999"'];
  const payloads = texts.map(utf8);
  assertEquals(batchResults(payloads), oneByOne(payloads));
  const { values } = decodeJsonBatch(payloads);
  assertEquals(values[1], { big: 12345678901234567890n });
  assertEquals(values[3], [9007199254740993n]);
  assertEquals(values[2], { f: 1500, g: -Infinity });
});
