import { deepEqual as assertEquals } from "node:assert/strict";
import { z } from "zod";
import { coerceText, parseEnvValue } from "./coerce.ts";

Deno.test("coerceText() follows the schema: numbers, booleans, null, comma lists, strings kept", () => {
  assertEquals(coerceText("42", z.number().int().default(1)), 42);
  assertEquals(coerceText("2.5", z.number().positive().optional()), 2.5);
  assertEquals(coerceText("no", z.boolean().default(true)), false);
  assertEquals(coerceText("null", z.number().nullable().default(null)), null);
  assertEquals(coerceText("", z.number().nullable()), null);
  assertEquals(coerceText("a, b,,c", z.array(z.string()).default([])), ["a", "b", "c"]);
  assertEquals(coerceText("1,2", z.array(z.number())), [1, 2]);
  assertEquals(coerceText("true", z.string()), "true");
  assertEquals(coerceText("007", z.union([z.string(), z.number()])), 7);
  assertEquals(coerceText("soon", z.number()), "soon");
  assertEquals(coerceText('{"a":1}', z.record(z.string(), z.number())), { a: 1 });
  assertEquals(coerceText("x", undefined), "x");
});

Deno.test("parseEnvValue() parses by the binding's kind and refuses what does not fit", () => {
  assertEquals(parseEnvValue("12", "int"), { ok: true, value: 12 });
  assertEquals(parseEnvValue("1.5", "int"), { ok: false });
  assertEquals(parseEnvValue("YES", "bool"), { ok: true, value: true });
  assertEquals(parseEnvValue("maybe", "bool"), { ok: false });
  assertEquals(parseEnvValue("a,b", "list"), { ok: true, value: ["a", "b"] });
  assertEquals(parseEnvValue('{"x":[1]}', "json"), { ok: true, value: { x: [1] } });
  assertEquals(parseEnvValue("{", "json"), { ok: false });
});
