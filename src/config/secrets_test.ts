import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { isSecretPath, maskUrlPasswords, maskValue } from "./secrets.ts";
import { closest } from "./suggest.ts";

Deno.test("isSecretPath() matches secret words anywhere in the path and the plugin's secret keys", () => {
  assert(isSecretPath(["source", "password"]));
  assert(isSecretPath(["sink", "aws_secret_access_key"]));
  assert(isSecretPath(["sink", "delegation_TOKEN"]));
  assert(isSecretPath(["source", "sasl", "mechanism"]));
  assert(isSecretPath(["source", "extra_config", "sasl_plain_password"]));
  assert(isSecretPath(["sink", "aws_access_key_id"], ["aws_access_key_id"]));
  assert(isSecretPath(["source", "auth", "key"], ["auth"]));
  assert(!isSecretPath(["source", "authority"], ["auth"]));
  assert(!isSecretPath(["source", "topics"], ["api_key"]));
});

Deno.test("maskValue() hides secrets and URL passwords but keeps null and plain values", () => {
  assertEquals(maskValue("hunter2", true), "***");
  assertEquals(maskValue(12345, true), "***");
  assertEquals(maskValue(null, true), null);
  assertEquals(maskValue("plain", false), "plain");
  assertEquals(maskValue(["redis://u:p4ss@h:6379/0", "x"], false), ["redis://u:***@h:6379/0", "x"]);
  assertEquals(
    maskUrlPasswords("see http://user:pw@host and https://host/path"),
    "see http://user:***@host and https://host/path",
  );
});

Deno.test("closest() suggests a near key and nothing for a far one", () => {
  assertEquals(closest("topcs", ["topics", "group_id"]), "topics");
  assertEquals(closest("BUCKET", ["bucket", "prefix"]), "bucket");
  assertEquals(closest("zzzzzz", ["topics", "group_id"]), undefined);
});
