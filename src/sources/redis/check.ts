/**
 * `fs-data-sink check` for the redis source: the server answers and accepts the credentials, and every configured
 * key holds what the configuration says (a stream, a list, or nothing yet), with the group's lag and pending entries
 * of streams and the items this consumer holds of lists. Read-only commands only (PING, INFO, TYPE, XLEN, XINFO,
 * LLEN): nothing is created, read through the group, acknowledged or moved.
 * @module
 */
import { type CheckContext, type CheckResult, withTimeout } from "../../core/check.ts";
import { ConfigError } from "../../core/errors.ts";
import { counted } from "../../telemetry/log.ts";
import { classifyRedisError, RedisClient, replyFields, replyText } from "./client.ts";
import { type Config, resolveConsumerName, resolveEndpoint } from "./config.ts";
import { listKeysOf } from "./lists.ts";

/** Name of the server probe, as printed. */
export const REDIS_SERVER_CHECK = "redis server";

/** Runs the probes of a validated redis section; never throws. */
export async function checkRedis(config: Config, context: CheckContext): Promise<CheckResult[]> {
  const endpoint = resolveEndpoint(config);
  const where = `${endpoint.host}:${endpoint.port}`;
  const keyNames = [
    ...config.stream_keys.map((key) => `redis stream "${key}"`),
    ...config.list_keys.map((key) => `redis list "${key}"`),
  ];
  let client: RedisClient;
  try {
    client = await withTimeout(
      RedisClient.connect({
        endpoint,
        connectionName: `fsds:${config.consumer_group}:check`,
        log: context.log,
        // One attempt: check reports the server as it is now, instead of waiting for it to come up.
        connectTimeoutMs: 1,
      }),
      context.timeoutMs,
      `Cannot connect to Redis at "${where}"`,
    );
  } catch (error) {
    return [
      redisFailure(REDIS_SERVER_CHECK, error),
      ...keyNames.map((name): CheckResult => ({ kind: "skipped", name, reason: `needs ${REDIS_SERVER_CHECK}` })),
    ];
  }
  const results: CheckResult[] = [];
  try {
    try {
      const [pong, info] = await withTimeout(
        client.batch([["PING"], ["INFO", "server"]]),
        context.timeoutMs,
        `Cannot talk to Redis at "${where}"`,
      );
      const version = /redis_version:([^\r\n]+)/.exec(String(info))?.[1] ?? "unknown version";
      const user = endpoint.username ? `, user "${endpoint.username}"` : endpoint.password ? ", password accepted" : "";
      results.push({
        kind: "ok",
        name: REDIS_SERVER_CHECK,
        detail: `${where} answers ${replyText(pong)}: Redis ${version}, db ${endpoint.db}${
          endpoint.tls ? ", TLS" : ""
        }${user}`,
      });
    } catch (error) {
      results.push(redisFailure(REDIS_SERVER_CHECK, error));
      return results;
    }
    const consumer = resolveConsumerName(config, Deno.hostname());
    for (const key of config.stream_keys) {
      results.push(await probeKey(`redis stream "${key}"`, () => checkStream(client, key, config), context));
    }
    for (const key of config.list_keys) {
      results.push(await probeKey(`redis list "${key}"`, () => checkList(client, key, config, consumer), context));
    }
  } finally {
    await client.quit();
  }
  return results;
}

async function probeKey(name: string, probe: () => Promise<CheckResult>, context: CheckContext): Promise<CheckResult> {
  try {
    return await withTimeout(probe(), context.timeoutMs, `Cannot look at ${name.slice("redis ".length)}`);
  } catch (error) {
    return redisFailure(name, error);
  }
}

async function checkStream(client: RedisClient, key: string, config: Config): Promise<CheckResult> {
  const name = `redis stream "${key}"`;
  const type = replyText(await client.call("TYPE", key));
  if (type === "none") {
    return {
      kind: "warning",
      name,
      detail: `does not exist yet: a run creates it with group "${config.consumer_group}" at start_id ` +
        `${config.start_id}`,
      hint: "check source.stream_keys if it should exist already",
    };
  }
  if (type !== "stream") return wrongType(name, key, type, "stream");
  const [length, groups] = await client.batch([["XLEN", key], ["XINFO", "GROUPS", key]]);
  const group = (groups as unknown[][]).map(replyFields).find((g) => g.get("name") === config.consumer_group);
  const count = Number(length);
  const entries = `${count} ${count === 1 ? "entry" : "entries"}`;
  if (!group) {
    return {
      kind: "ok",
      name,
      detail: `${entries}; group "${config.consumer_group}" not created yet (a run creates it at start_id ` +
        `${config.start_id})`,
    };
  }
  const lag = group.get("lag");
  const behind = lag === null || lag === undefined ? "lag unknown" : `lag ${lag}`;
  return {
    kind: "ok",
    name,
    detail: `${entries}; group "${config.consumer_group}": ${behind}, ${group.get("pending")} pending, ` +
      `${group.get("consumers")} consumers`,
  };
}

async function checkList(client: RedisClient, key: string, config: Config, consumer: string): Promise<CheckResult> {
  const name = `redis list "${key}"`;
  const type = replyText(await client.call("TYPE", key));
  if (type !== "list" && type !== "none") return wrongType(name, key, type, "list");
  const names = listKeysOf(key, config.consumer_group, consumer);
  const [length, processing, staging] = await client.batch([
    ["LLEN", key],
    ["LLEN", names.processing],
    ["LLEN", names.staging],
  ]);
  const held = Number(processing) + Number(staging);
  return {
    kind: "ok",
    name,
    detail: `${counted(Number(length), "item")}${type === "none" ? " (the key does not exist: empty)" : ""}; ` +
      `${held} taken and not yet acknowledged by consumer "${consumer}"`,
  };
}

function wrongType(name: string, key: string, type: string, wanted: "stream" | "list"): CheckResult {
  return {
    kind: "misconfigured",
    name,
    cause: `key "${key}" holds a ${type}, not a ${wanted}`,
    hint: wanted === "stream"
      ? "list only stream keys in source.stream_keys (lists go to source.list_keys)"
      : "list only list keys in source.list_keys (streams go to source.stream_keys)",
  };
}

/**
 * The failed result of a Redis call: refused credentials or rights, an address where nothing listens or that does
 * not resolve, or a refused TLS handshake are configuration faults; anything else is a failure.
 */
export function redisFailure(name: string, error: unknown): CheckResult {
  const cause = error instanceof Error ? error.message : String(error);
  if (error instanceof ConfigError) return { kind: "misconfigured", name, cause, hint: error.hint };
  const fault = classifyRedisError(error);
  if (fault === "other") return { kind: "failed", name, cause, hint: "check that Redis runs and answers" };
  return { kind: "misconfigured", name, cause, hint: REDIS_HINTS[fault] };
}

/** How to fix each configuration fault of a Redis connection. */
export const REDIS_HINTS = {
  credentials: "check source.username and source.password (or the url)",
  address: "check source.host and source.port (or the url), and that Redis runs there",
  tls: "check source.tls and the server's TLS port",
} as const;
