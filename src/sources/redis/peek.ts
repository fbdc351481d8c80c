/**
 * `fs-data-sink preview` for the redis source: the entries and items a run of this consumer would read next, read
 * with commands that change nothing. Streams: this consumer's pending entries first (XPENDING, then XRANGE of each
 * id; a group read would count a delivery and reset their idle time), then the entries after the group's
 * last-delivered id (XRANGE; without a group, after `start_id`). Lists: the items this consumer took and did not
 * acknowledge (its processing, then staging list, LRANGE), then the list itself from the pop side (LRANGE); the
 * items a run has not taken yet get the numbers a run would give them next (the list's counter plus one, two, ...).
 * Entries other consumers hold are not shown (a run takes them over only after `claim_idle_ms`).
 * @module
 */
import { ConfigError } from "../../core/errors.ts";
import type { Peek, PeekContext } from "../../core/peek.ts";
import type { SourceMessage } from "../../core/source.ts";
import { classifyRedisError, RedisClient, replyBytes, replyFields, replyText } from "./client.ts";
import { REDIS_HINTS } from "./check.ts";
import { type Config, resolveConsumerName, resolveEndpoint } from "./config.ts";
import { comparePositions, streamNameOf } from "./ids.ts";
import { describeListItem, listItemMessage, listKeysOf } from "./lists.ts";
import { REDIS_METADATA_COLUMNS } from "./source.ts";
import { describeStreamEntry, parseEntries, streamEntryMessage } from "./streams.ts";

/** Reads up to `context.maxMessages` entries and items without changing anything; see the module doc. */
export async function peekRedis(config: Config, context: PeekContext): Promise<Peek> {
  const endpoint = resolveEndpoint(config);
  const consumer = resolveConsumerName(config, Deno.hostname());
  let client: RedisClient;
  try {
    client = await RedisClient.connect({
      endpoint,
      connectionName: `fsds:${config.consumer_group}:preview`,
      log: context.log,
      connectTimeoutMs: context.timeoutMs,
    });
  } catch (error) {
    throw connectError(error);
  }
  const messages: SourceMessage[] = [];
  const notes: string[] = [];
  const kinds = new Map<string, { key: string; kind: "stream" | "list" }>();
  try {
    const keys = [
      ...config.stream_keys.map((key) => ({ key, kind: "stream" as const })),
      ...config.list_keys.map((key) => ({ key, kind: "list" as const })),
    ];
    for (const { key, kind } of keys) {
      const left = context.maxMessages - messages.length;
      if (left <= 0) break;
      const peek = kind === "stream" ? peekStream : peekList;
      const read = await peek(client, key, config, consumer, left);
      notes.push(read.note);
      messages.push(...read.messages);
      kinds.set(streamNameOf(key, consumer), { key, kind });
    }
  } finally {
    await client.quit();
  }
  return {
    metadataColumns: REDIS_METADATA_COLUMNS,
    messages,
    notes,
    describe: (message) => {
      const found = kinds.get(message.stream);
      if (found?.kind === "stream") {
        return describeStreamEntry(found.key, message.position, config.consumer_group, consumer);
      }
      if (found?.kind === "list") return describeListItem(found.key, message.position, consumer);
      return `redis "${message.stream}" position ${message.position}`;
    },
    comparePositions,
  };
}

interface KeyRead {
  readonly messages: SourceMessage[];
  readonly note: string;
}

async function peekStream(
  client: RedisClient,
  key: string,
  config: Config,
  consumer: string,
  max: number,
): Promise<KeyRead> {
  const group = config.consumer_group;
  const type = replyText(await client.call("TYPE", key));
  if (type === "none") return { messages: [], note: `stream "${key}": does not exist yet` };
  if (type !== "stream") {
    throw new ConfigError(`Cannot read stream "${key}": the key holds a ${type}`, {
      hint: "list only stream keys in source.stream_keys",
    });
  }
  const groups = (await client.call("XINFO", "GROUPS", key) as unknown[][]).map(replyFields);
  const info = groups.find((g) => g.get("name") === group);
  const out: SourceMessage[] = [];
  let pendingCount = 0;
  if (info) {
    const pending = await client.call("XPENDING", key, group, "-", "+", max, consumer) as unknown[][];
    const ids = pending.map((row) => replyText(row[0]));
    const replies = await client.batchBinary(ids.map((id) => ["XRANGE", key, id, id]));
    for (const reply of replies) {
      for (const entry of parseEntries(reply)) {
        if (entry.pairs !== null) out.push(streamEntryMessage(key, consumer, entry, config.payload_field));
      }
    }
    pendingCount = out.length;
  }
  // Where the group reads new entries from: after its last-delivered id, or where a run would create it.
  const after = info ? replyText(info.get("last-delivered-id")) : config.start_id;
  let fresh: SourceMessage[] = [];
  if (after !== "$" && out.length < max) {
    const start = after === "0" ? "-" : `(${after}`;
    const reply = await client.callBinary("XRANGE", key, start, "+", "COUNT", max - out.length);
    fresh = parseEntries(reply).filter((e) => e.pairs !== null).map((entry) =>
      streamEntryMessage(key, consumer, entry, config.payload_field)
    );
  }
  out.push(...fresh);
  const note = info
    ? `stream "${key}": ${pendingCount} pending at consumer "${consumer}", then ${fresh.length} new after ` +
      `last-delivered id ${after} of group "${group}"`
    : after === "$"
    ? `stream "${key}": group "${group}" not created yet and start_id $: a run reads only entries added after it starts`
    : `stream "${key}": group "${group}" not created yet; ${fresh.length} from start_id ${after}`;
  return { messages: out, note };
}

async function peekList(
  client: RedisClient,
  key: string,
  config: Config,
  consumer: string,
  max: number,
): Promise<KeyRead> {
  const type = replyText(await client.call("TYPE", key));
  if (type !== "list" && type !== "none") {
    throw new ConfigError(`Cannot consume list "${key}": the key holds a ${type}`, {
      hint: "list only list keys in source.list_keys",
    });
  }
  const names = listKeysOf(key, config.consumer_group, consumer);
  const out: SourceMessage[] = [];
  // Taken earlier and not acknowledged: a run re-delivers them first, with the numbers they were given.
  for (const raw of await client.callBinary("LRANGE", names.processing, 0, max - 1) as unknown[]) {
    const bytes = replyBytes(raw);
    const colon = bytes.indexOf(0x3a);
    const seq = colon > 0 ? replyText(bytes.subarray(0, colon)) : "";
    if (!/^\d+$/.test(seq)) continue;
    out.push(listItemMessage(key, consumer, seq, bytes.subarray(colon + 1)));
  }
  const held = out.length;
  const waiting: Uint8Array[] = [];
  if (out.length < max) {
    const staged = await client.callBinary("LRANGE", names.staging, 0, max - out.length - 1) as unknown[];
    for (const raw of staged) waiting.push(replyBytes(raw));
  }
  const want = max - out.length - waiting.length;
  if (want > 0) {
    const items = config.list_pop_side === "left"
      ? await client.callBinary("LRANGE", key, 0, want - 1) as unknown[]
      : (await client.callBinary("LRANGE", key, -want, -1) as unknown[]).reverse();
    for (const raw of items) waiting.push(replyBytes(raw));
  }
  const counter = await client.call("GET", names.counter);
  let next = BigInt(counter === null || counter === undefined ? "0" : replyText(counter));
  for (const value of waiting) {
    next += 1n;
    out.push(listItemMessage(key, consumer, next.toString(), value));
  }
  return {
    messages: out,
    note: `list "${key}": ${held} taken and not acknowledged by consumer "${consumer}", then ${waiting.length} ` +
      `from the ${config.list_pop_side} end (nothing popped)`,
  };
}

function connectError(error: unknown): Error {
  const fault = classifyRedisError(error);
  if (fault === "other") return error instanceof Error ? error : new Error(String(error));
  return new ConfigError((error as Error).message, { hint: REDIS_HINTS[fault], cause: error });
}
