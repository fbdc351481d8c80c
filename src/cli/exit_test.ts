import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import { describeFailure } from "./exit.ts";

Deno.test("describeFailure() maps a ConfigError to 2 with its hint and anything else to 1 with causes", () => {
  assertEquals(describeFailure(new ConfigError("Invalid configuration", { hint: "fix it" })), {
    code: 2,
    text: "fs-data-sink: Invalid configuration\nhint: fix it",
  });
  const error = new Error("Cannot write file: upload failed", {
    cause: new Error("connect to http://u:topsecret@127.0.0.1:9000 refused"),
  });
  const plain = describeFailure(error);
  assertEquals(plain.code, 1);
  assertEquals(
    plain.text,
    "fs-data-sink: error: Cannot write file: upload failed\n  caused by: connect to http://u:***@127.0.0.1:9000 refused",
  );
  const debug = describeFailure(error, { debug: true });
  assert(debug.text.includes("at "), "stack expected with debug");
  assert(!plain.text.includes(" at "), "no stack without debug");
  assertEquals(describeFailure("boom").text, "fs-data-sink: error: boom");
});
