import { deepEqual as assertEquals } from "node:assert/strict";
import { ConfigError } from "../../core/errors.ts";
import { kafkaFailure, kafkaFault } from "./check.ts";
import { planNote } from "./peek.ts";

/** The client's nesting: an aggregate of per-broker errors, each with a cause. */
function nested(inner: Error): Error {
  return Object.assign(new Error("Listing topics failed: metadata failed 2 times"), {
    errors: [Object.assign(new Error("Cannot connect to any broker"), { cause: inner })],
  });
}

Deno.test("kafkaFault() finds the cause deep in the client's nested errors", () => {
  assertEquals(
    [
      kafkaFault(nested(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))),
      kafkaFault(nested(Object.assign(new Error("getaddrinfo ENOTFOUND nope"), { code: "ENOTFOUND" }))),
      kafkaFault(nested(Object.assign(new Error("SASL authentication failed"), { code: "PLT_KFK_AUTHENTICATION" }))),
      kafkaFault(nested(Object.assign(new Error("denied"), { apiId: "GROUP_AUTHORIZATION_FAILED" }))),
      kafkaFault(nested(new Error("Request timed out"))),
    ],
    ["address", "address", "credentials", "authorization", "other"],
  );
});

Deno.test("kafkaFailure() makes configuration faults misconfigured with a hint, and keeps ConfigError's own", () => {
  const refused = kafkaFailure(
    "kafka brokers",
    nested(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })),
    'Cannot connect to Kafka at "127.0.0.1:1"',
  );
  assertEquals(refused.kind, "misconfigured");
  assertEquals(
    refused.kind === "misconfigured" && refused.cause.startsWith('Cannot connect to Kafka at "127.0.0.1:1": Listing'),
    true,
  );
  const missing = kafkaFailure("kafka topics", new ConfigError('Cannot read topic "x"', { hint: "create it" }), "");
  assertEquals(missing, {
    kind: "misconfigured",
    name: "kafka topics",
    cause: 'Cannot read topic "x"',
    hint: "create it",
  });
  assertEquals(kafkaFailure("kafka group", new Error("Request timed out"), "Cannot use group").kind, "failed");
});

Deno.test("planNote() says where a partition's preview starts and how much there is", () => {
  const base = { topic: "t", partition: 0, stream: "t+0", until: 10n };
  assertEquals([
    planNote({ ...base, from: 4n, decision: { kind: "committed", start: 4n, committed: 4n } }),
    planNote({ ...base, from: 0n, decision: { kind: "earliest", start: 0n } }),
    planNote({ ...base, from: 10n, decision: { kind: "start_from", start: 10n } }),
  ], [
    "t+0: from the group's committed offset 4 (offsets 4..10, 6 to read)",
    "t+0: no committed offset, from the earliest (offsets 0..10, 10 to read)",
    "t+0: no committed offset, from start_from (offsets 10..10, nothing new)",
  ]);
});
