import { deepEqual as assertEquals } from "node:assert/strict";
import { expandVars } from "./interpolate.ts";

Deno.test("expandVars() replaces ${VAR}, takes defaults for unset or empty, keeps $${ literal", () => {
  const env = { A: "alpha", EMPTY: "" };
  assertEquals(expandVars("x-${A}-${B:-beta}-${EMPTY:-gamma}-$${A}", env), {
    kind: "ok",
    text: "x-alpha-beta-gamma-${A}",
    changed: true,
  });
  assertEquals(expandVars("${EMPTY}", env), { kind: "ok", text: "", changed: true });
  assertEquals(expandVars("plain $A text", env), { kind: "ok", text: "plain $A text", changed: false });
});

Deno.test("expandVars() reports an unset variable and malformed references", () => {
  assertEquals(expandVars("${A}/${NOPE}", { A: "a" }), { kind: "unset", variable: "NOPE" });
  assertEquals(expandVars("${A", { A: "a" }), { kind: "malformed", reference: "${A" });
  assertEquals(expandVars("${1BAD}", {}), { kind: "malformed", reference: "${1BAD}" });
});
