/**
 * Helpers of the redis integration tests: a client on the kit's Redis, unique key names, a source built from a
 * config section, and a reader loop that acknowledges like the pipeline does.
 * @module
 */
import type { SourceMessage } from "../src/core/source.ts";
import { Logger } from "../src/telemetry/log.ts";
import { RedisSource } from "../src/sources/redis/source.ts";
import { RedisClient } from "../src/sources/redis/client.ts";
import { parseRedisConfig } from "../src/sources/redis/config.ts";
import { endpoints } from "./services/endpoints.ts";

/** A logger for tests. */
export const testLog: Logger = new Logger("test.redis");

/** A key name no other test uses. */
export function uniqueKey(label: string): string {
  return `fsds-test:${label}:${crypto.randomUUID().slice(0, 8)}`;
}

/** A client on the kit's Redis for setting up and checking. */
export function adminClient(): Promise<RedisClient> {
  const { host, port } = endpoints().redis;
  return RedisClient.connect({ endpoint: { host, port, db: 0 }, connectionName: "fsds-test", log: testLog });
}

/** A source on the kit's Redis; `section` adds or overrides keys of the `source` section. */
export function makeSource(section: Record<string, unknown>, options: { untilCaughtUp?: boolean } = {}): RedisSource {
  const { host, port } = endpoints().redis;
  const config = parseRedisConfig({ type: "redis", host, port, ...section });
  return new RedisSource(config, { untilCaughtUp: options.untilCaughtUp ?? false, log: testLog });
}

/** Options of {@linkcode drain}. */
export interface DrainOptions {
  /** Messages per read; default 100. */
  readonly maxMessages?: number;
  /** Acknowledge each read's messages (per stream, in order); default true. */
  readonly ack?: boolean;
  /** Stop after this many messages (continuous sources); default: read until `end`. */
  readonly limit?: number;
  /** Stop after this many idle answers in a row; default 3 (continuous sources). */
  readonly idleLimit?: number;
  /** Wait per read; default 300 ms. */
  readonly maxWaitMs?: number;
}

/** Reads until `end`, a limit or repeated idleness, acknowledging as the pipeline would. */
export async function drain(source: RedisSource, options: DrainOptions = {}): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  const signal = new AbortController().signal;
  let idle = 0;
  while (out.length < (options.limit ?? Infinity)) {
    const max = Math.min(options.maxMessages ?? 100, (options.limit ?? Infinity) - out.length);
    const result = await source.read({ maxMessages: max, maxWaitMs: options.maxWaitMs ?? 300, signal });
    if (result.kind === "end") break;
    if (result.kind === "idle") {
      if (++idle >= (options.idleLimit ?? 3)) break;
      continue;
    }
    idle = 0;
    out.push(...result.messages);
    if (options.ack ?? true) await ackAll(source, result.messages);
  }
  return out;
}

/** Acknowledges messages grouped by stream, in order. */
export async function ackAll(source: RedisSource, messages: readonly SourceMessage[]): Promise<void> {
  const byStream = new Map<string, string[]>();
  for (const m of messages) byStream.set(m.stream, [...(byStream.get(m.stream) ?? []), m.position]);
  for (const [stream, positions] of byStream) await source.ack(stream, positions);
}

/** Number of pending entries of a group. */
export async function pendingCount(client: RedisClient, key: string, group = "fs-data-sink"): Promise<number> {
  const summary = await client.call("XPENDING", key, group) as unknown[];
  return Number(summary[0]);
}

/** Adds `count` entries with fields from `fields(i)`, in one round trip per 1000. */
export async function addEntries(
  client: RedisClient,
  key: string,
  count: number,
  fields: (i: number) => Record<string, string>,
): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const commands: [string, ...string[]][] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      commands.push(["XADD", key, "*", ...Object.entries(fields(i)).flat()]);
    }
    await client.batch(commands);
  }
}

/** Text of a message's payload. */
export function text(message: SourceMessage): string {
  return new TextDecoder().decode(message.value ?? new Uint8Array());
}
