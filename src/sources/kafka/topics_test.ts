import assert from "node:assert/strict";
import { ConfigError } from "../../core/errors.ts";
import { isInternalTopic, selectTopics, topicSelection } from "./topics.ts";

const cluster = ["orders", "orders-eu", "payments", "__consumer_offsets", "_schemas", "tmp-1", "__redpanda_x"];

Deno.test("selectTopics() returns listed topics and names the missing ones", () => {
  assert.deepEqual(selectTopics({ kind: "list", topics: ["payments", "orders"] }, cluster), ["orders", "payments"]);
  assert.throws(
    () => selectTopics({ kind: "list", topics: ["orders", "nope"] }, cluster),
    (error: unknown) => error instanceof ConfigError && /Cannot read topic "nope": not found/.test(error.message),
  );
});

Deno.test("selectTopics() in all-topics mode skips internal topics and applies include/exclude", () => {
  assert.deepEqual(selectTopics({ kind: "all", include: [], exclude: [] }, cluster), [
    "orders",
    "orders-eu",
    "payments",
    "tmp-1",
  ]);
  assert.deepEqual(selectTopics({ kind: "all", include: [], exclude: ["tmp-.*"] }, cluster), [
    "orders",
    "orders-eu",
    "payments",
  ]);
  assert.deepEqual(selectTopics({ kind: "all", include: ["orders.*", "payments"], exclude: ["orders-eu"] }, cluster), [
    "orders",
    "payments",
  ]);
});

Deno.test("selectTopics() matches patterns against whole topic names", () => {
  assert.deepEqual(selectTopics({ kind: "pattern", pattern: "orders", include: [], exclude: [] }, cluster), ["orders"]);
  assert.deepEqual(selectTopics({ kind: "pattern", pattern: "order.*", include: [], exclude: [] }, cluster), [
    "orders",
    "orders-eu",
  ]);
  assert.deepEqual(selectTopics({ kind: "pattern", pattern: "_.*", include: [], exclude: [] }, cluster), []);
});

Deno.test("topicSelection() picks the mode from the config keys", () => {
  assert.deepEqual(topicSelection({ topics: ["a"], all_topics: false, include: [], exclude: [] }), {
    kind: "list",
    topics: ["a"],
  });
  assert.equal(topicSelection({ topic_pattern: "a.*", all_topics: false, include: [], exclude: [] }).kind, "pattern");
  assert.equal(topicSelection({ all_topics: true, include: [], exclude: [] }).kind, "all");
  assert.equal(isInternalTopic("__consumer_offsets"), true);
  assert.equal(isInternalTopic("_schemas"), true);
  assert.equal(isInternalTopic("_my_topic"), false);
});
