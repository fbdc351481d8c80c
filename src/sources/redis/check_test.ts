import { deepEqual as assertEquals } from "node:assert/strict";
import { classifyRedisError } from "./client.ts";
import { redisFailure } from "./check.ts";

function connectError(inner: Error): Error {
  return new Error(`Cannot connect to Redis at "h:1": ${inner.message}`, { cause: inner });
}

Deno.test("classifyRedisError() reads the cause of a failed connection", () => {
  assertEquals(
    [
      connectError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })),
      connectError(new Error("WRONGPASS invalid username-password pair or user is disabled.")),
      connectError(new Error("NOPERM this user has no permissions to run the 'xinfo' command")),
      connectError(new Error("Command timed out")),
    ].map(classifyRedisError),
    ["address", "credentials", "credentials", "other"],
  );
});

Deno.test("redisFailure() is misconfigured with a hint for faults of the configuration, failed otherwise", () => {
  const wrong = redisFailure("redis server", connectError(new Error("WRONGPASS invalid username-password pair")));
  assertEquals([wrong.kind, wrong.kind === "misconfigured" && wrong.hint], [
    "misconfigured",
    "check source.username and source.password (or the url)",
  ]);
  assertEquals(redisFailure("redis server", new Error("Command timed out")).kind, "failed");
});
