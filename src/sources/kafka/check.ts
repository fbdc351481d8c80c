/**
 * `fs-data-sink check` for the Kafka source, through the source's own client (`client.ts`) with short timeouts:
 * the brokers answer (address, TLS, SASL), the topic selection resolves on the cluster (every listed topic exists,
 * a pattern matches something), and the consumer group's committed offsets may be fetched (the group's Describe
 * right), with how far behind the group is. Nothing joins the group, nothing is consumed or committed. Also the
 * probes' client settings, shared with `peek.ts`.
 * @module
 */
import { type CheckContext, checkFailure, type CheckResult, withTimeout } from "../../core/check.ts";
import { ConfigError } from "../../core/errors.ts";
import { counted } from "../../telemetry/log.ts";
import { clientSettings, kafkaTls } from "./settings.ts";
import { type ClientSettings, describeError, isAuthenticationError, KafkaClient } from "./client.ts";
import { type Config, resolveKafkaOptions } from "./config.ts";
import { streamName } from "./offsets.ts";
import { selectTopics, topicSelection } from "./topics.ts";

/** Names of the three probes, as printed. */
export const KAFKA_CHECKS = { brokers: "kafka brokers", topics: "kafka topics", group: "kafka group" } as const;

/** Topics named in a result line at most; the rest are counted. */
const TOPICS_SHOWN = 5;

/**
 * The client settings of the probes (check, preview) for a validated section: the source's connection settings
 * (brokers, client id, group, TLS files read, SASL) with short timeouts and one retry, so a wrong address or
 * refused credentials answer within seconds. The group settings only matter to a member that joins: none does.
 */
export async function probeSettings(config: Config): Promise<ClientSettings> {
  const options = resolveKafkaOptions(config);
  const run = clientSettings(options, await kafkaTls(options.tls));
  return {
    ...run,
    connectTimeoutMs: Math.min(run.connectTimeoutMs, 3000),
    requestTimeoutMs: Math.min(run.requestTimeoutMs, 10_000),
    retries: 1,
    retryDelayMs: 300,
    maxWaitMs: 500,
  };
}

/** A client for probes that may fetch offsets and records, never joining the group; close it after use. */
export function probeClient(settings: ClientSettings, context: { log: CheckContext["log"] }): KafkaClient {
  const client = new KafkaClient(settings, context.log);
  // The member is created for its offset and fetch requests only; it never joins.
  client.createMember({ beforeJoin: () => Promise.resolve(), assigned: () => {}, failed: () => {} });
  return client;
}

/** Runs the probes of a validated Kafka section; never throws. */
export async function checkKafka(config: Config, context: CheckContext): Promise<CheckResult[]> {
  const options = resolveKafkaOptions(config);
  const where = options.brokers.join(",");
  const skip = (failed: string, ...keys: (keyof typeof KAFKA_CHECKS)[]) =>
    keys.map((key): CheckResult => ({ kind: "skipped", name: KAFKA_CHECKS[key], reason: `needs ${failed}` }));
  let settings: ClientSettings;
  try {
    settings = await probeSettings(config);
    await withTimeout(KafkaClient.probe(settings), context.timeoutMs, `Cannot connect to Kafka at "${where}"`);
  } catch (error) {
    return [
      kafkaFailure(KAFKA_CHECKS.brokers, error, `Cannot connect to Kafka at "${where}"`),
      ...skip(KAFKA_CHECKS.brokers, "topics", "group"),
    ];
  }
  const auth = options.sasl ? `, SASL ${options.sasl.mechanism} user "${options.sasl.username}" accepted` : "";
  const results: CheckResult[] = [
    { kind: "ok", name: KAFKA_CHECKS.brokers, detail: `${where} answers${options.tls ? " over TLS" : ""}${auth}` },
  ];
  const client = probeClient(settings, context);
  try {
    let counts: Map<string, number>;
    try {
      const topics = selectTopics(topicSelection(config), await client.listTopics());
      if (topics.length === 0) {
        results.push({
          kind: "misconfigured",
          name: KAFKA_CHECKS.topics,
          cause: "no topic on the cluster matches the selection",
          hint: "check source.topic_pattern / include / exclude, or create the topics first",
        });
        return [...results, ...skip(KAFKA_CHECKS.topics, "group")];
      }
      counts = await withTimeout(client.partitionCounts(topics), context.timeoutMs, "Cannot read topic metadata");
      const named = [...counts].map(([topic, n]) => `"${topic}" (${counted(n, "partition")})`);
      const more = named.length > TOPICS_SHOWN ? ` and ${named.length - TOPICS_SHOWN} more` : "";
      results.push({ kind: "ok", name: KAFKA_CHECKS.topics, detail: named.slice(0, TOPICS_SHOWN).join(", ") + more });
    } catch (error) {
      results.push(kafkaFailure(KAFKA_CHECKS.topics, error, "Cannot read the topics"));
      return [...results, ...skip(KAFKA_CHECKS.topics, "group")];
    }
    results.push(await checkGroup(client, options.groupId, counts, context));
  } finally {
    await client.close();
  }
  return results;
}

async function checkGroup(
  client: KafkaClient,
  groupId: string,
  counts: ReadonlyMap<string, number>,
  context: CheckContext,
): Promise<CheckResult> {
  const name = KAFKA_CHECKS.group;
  try {
    const partitions = new Map([...counts].map(([topic, n]) => [topic, Array.from({ length: n }, (_, i) => i)]));
    const [committed, marks] = await withTimeout(
      Promise.all([client.committed(partitions), client.watermarks([...counts.keys()])]),
      context.timeoutMs,
      `Cannot fetch the committed offsets of group "${groupId}"`,
    );
    let total = 0;
    let behind = 0n;
    for (const [topic, list] of partitions) {
      for (const partition of list) {
        total++;
        const stream = streamName(topic, partition);
        const at = committed.get(stream);
        const high = marks.get(stream)?.high;
        if (at !== undefined && high !== undefined && high > at) behind += high - at;
      }
    }
    const progress = committed.size === 0
      ? "no committed offsets yet (a run starts where start_from says)"
      : `committed offsets on ${committed.size} of ${counted(total, "partition")}, ${behind} ${
        behind === 1n ? "record" : "records"
      } behind on those`;
    return { kind: "ok", name, detail: `"${groupId}": ${progress}` };
  } catch (error) {
    return kafkaFailure(name, error, `Cannot use group "${groupId}"`);
  }
}

/** What a failed Kafka call says about its cause. */
export type KafkaFault = "credentials" | "address" | "authorization" | "tls" | "other";

const ADDRESS_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Sorts a client error (searching its nested errors and causes) into a {@linkcode KafkaFault}. Pure. */
export function kafkaFault(error: unknown): KafkaFault {
  if (isAuthenticationError(error)) return "credentials";
  const found = nested(error);
  if (found.some((e) => ADDRESS_CODES.has(String((e as { code?: unknown }).code)))) return "address";
  const text = found.map((e) => `${String((e as { apiId?: unknown }).apiId ?? "")} ${e.message}`).join(" ");
  if (/AUTHORIZATION_FAILED|not authorized/i.test(text)) return "authorization";
  if (/certificate|SSL routines|wrong version number|handshake/i.test(text)) return "tls";
  return "other";
}

const HINTS: Record<KafkaFault, string> = {
  credentials: "check source.sasl (mechanism, username, password)",
  address: "check source.bootstrap_servers (host:port of a broker's client listener) and that the brokers run",
  authorization: "grant the client's user Describe on the topics and Describe and Read on the group (Kafka ACLs)",
  tls: "check source.tls (enabled, ca_file, server_name) against the listener",
  other: "check that the brokers run and answer",
};

/**
 * The failed result of a Kafka call: refused credentials, an address where nothing listens or that does not
 * resolve, a refused right or a failed TLS handshake are configuration faults; timeouts and anything else failures.
 */
export function kafkaFailure(name: string, error: unknown, action: string): CheckResult {
  if (error instanceof ConfigError) return checkFailure(name, error);
  const fault = kafkaFault(error);
  const message = describeError(error);
  const cause = message.startsWith("Cannot ") ? message : `${action}: ${message}`;
  return { kind: fault === "other" ? "failed" : "misconfigured", name, cause, hint: HINTS[fault] };
}

function nested(error: unknown, depth = 0): Error[] {
  if (!(error instanceof Error) || depth > 6) return [];
  const inner = (error as { errors?: unknown[] }).errors ?? [];
  return [error, ...inner.flatMap((e) => nested(e, depth + 1)), ...nested(error.cause, depth + 1)];
}
