/**
 * Topic selection: an explicit list, a regular expression, or every topic, with include/exclude patterns, skipping
 * internal topics (`__*`, `_schemas`) as the Redpanda collector does. Pure.
 * @module
 */
import { ConfigError } from "../../core/errors.ts";
import { INTERNAL_TOPIC } from "./config.ts";

/** How topics are chosen; built from the `topics`, `topic_pattern`, `all_topics`, `include`, `exclude` keys. */
export type TopicSelection =
  /** Exactly these topics; each must exist. */
  | { readonly kind: "list"; readonly topics: readonly string[] }
  /** Every non-internal topic whose name matches `pattern`, then include/exclude. */
  | {
    readonly kind: "pattern";
    readonly pattern: string;
    readonly include: readonly string[];
    readonly exclude: readonly string[];
  }
  /** Every non-internal topic, then include/exclude. */
  | { readonly kind: "all"; readonly include: readonly string[]; readonly exclude: readonly string[] };

/** Builds the selection from the validated keys (validation already ensured exactly one mode is set). */
export function topicSelection(config: {
  readonly topics?: readonly string[];
  readonly topic_pattern?: string;
  readonly all_topics: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}): TopicSelection {
  if (config.topic_pattern) {
    return { kind: "pattern", pattern: config.topic_pattern, include: config.include, exclude: config.exclude };
  }
  if (config.all_topics) return { kind: "all", include: config.include, exclude: config.exclude };
  return { kind: "list", topics: config.topics ?? [] };
}

/** True for topics that pattern and all-topics modes never read: `__consumer_offsets`, `_schemas`, ... */
export function isInternalTopic(topic: string): boolean {
  return INTERNAL_TOPIC.test(topic);
}

/**
 * The topics to subscribe to, sorted, given every topic the cluster has. A listed topic that does not exist is a
 * configuration error (named with a hint); pattern and all-topics modes may select nothing.
 */
export function selectTopics(selection: TopicSelection, existing: readonly string[]): string[] {
  if (selection.kind === "list") {
    const known = new Set(existing);
    const missing = selection.topics.filter((topic) => !known.has(topic));
    if (missing.length > 0) {
      throw new ConfigError(
        `Cannot read topic${missing.length > 1 ? "s" : ""} ${missing.map((t) => `"${t}"`).join(", ")}: ` +
          "not found on the cluster",
        { hint: "create the topic first, or check source.topics / KAFKA_TOPICS and bootstrap_servers" },
      );
    }
    return [...new Set(selection.topics)].sort();
  }
  const pattern = selection.kind === "pattern" ? fullMatch(selection.pattern) : undefined;
  const include = selection.include.map(fullMatch);
  const exclude = selection.exclude.map(fullMatch);
  return existing.filter((topic) =>
    !isInternalTopic(topic) &&
    (pattern === undefined || pattern.test(topic)) &&
    (include.length === 0 || include.some((re) => re.test(topic))) &&
    !exclude.some((re) => re.test(topic))
  ).sort();
}

/** Patterns match whole topic names, as Kafka's own pattern subscription does: `orders.*`, not `orders`. */
function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}
