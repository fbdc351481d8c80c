/**
 * The Kafka client behind the Kafka source, and the only module that loads `@platformatic/kafka`: group membership
 * (join, heartbeats and rejoins are the library's; what must happen before each join is ours, through its public
 * `protocolsMetadata` callback, which it awaits before every JoinGroup), plain fetches of chosen partitions at
 * chosen offsets, watermarks, committed offsets and commits. Everything it returns is plain data in the source's
 * terms (topic, partition, bigint offsets), so `source.ts` never sees the library's types.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  Admin,
  type ClusterMetadata,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  type SASLOptions,
} from "@platformatic/kafka";
import type { Logger } from "../../core/logger.ts";
import { streamName } from "./offsets.ts";

/** A fetch reply as the library gives it (its type is not exported by name). */
type FetchResponse = Awaited<ReturnType<Consumer["fetch"]>>;
type FetchedHeader = [Buffer | null, Buffer | null];

/** The batch attribute bit of control batches (transaction markers). */
const IS_CONTROL = 1 << 5;
/** The batch attribute bit saying the broker stamped the batch (LogAppendTime): every record has `maxTimestamp`. */
const LOG_APPEND_TIME = 1 << 3;
/** Kafka error codes a fetch reports per partition that the source acts on (others: metadata refreshed, retried). */
export const FetchErrors = {
  OFFSET_OUT_OF_RANGE: 1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  UNKNOWN_TOPIC_ID: 100,
} as const;

/** Group errors meaning the group is rebalancing or this member was expelled. */
const REBALANCE_ERRORS = [
  "REBALANCE_IN_PROGRESS",
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "NOT_COORDINATOR",
  "FENCED_INSTANCE_ID",
];

/** Every error nested in `error` (aggregated ones and causes), itself first; bounded in depth. */
function nestedErrors(error: unknown, depth = 0): Error[] {
  if (!(error instanceof Error) || depth > 6) return [];
  const inner = (error as { errors?: unknown[] }).errors ?? [];
  const cause = (error as { cause?: unknown }).cause;
  return [error, ...inner.flatMap((e) => nestedErrors(e, depth + 1)), ...nestedErrors(cause, depth + 1)];
}

/** Does `error`, or an error nested in it, carry this property value (e.g. `apiId` or `code`)? */
function hasNested(error: unknown, property: string, value: string): boolean {
  return nestedErrors(error).some((e) => (e as unknown as Record<string, unknown>)[property] === value);
}

/** Is this error the group saying it is rebalancing or that this member was expelled? */
export function isRebalanceError(error: unknown): boolean {
  return REBALANCE_ERRORS.some((apiId) => hasNested(error, "apiId", apiId));
}

/** Is this a SASL authentication failure (at any depth of the client's nested errors)? */
export function isAuthenticationError(error: unknown): boolean {
  return hasNested(error, "code", "PLT_KFK_AUTHENTICATION") || hasNested(error, "apiId", "SASL_AUTHENTICATION_FAILED");
}

/** The distinct messages of an error and the errors nested in it, joined, without their trailing full stops. */
export function describeError(error: unknown): string {
  const messages: string[] = [];
  for (const e of nestedErrors(error)) {
    const text = e.message.replace(/\.$/, "");
    if (text && !messages.includes(text)) messages.push(text);
  }
  return messages.length > 0 ? messages.join(": ") : String(error);
}

/** TLS options as Node's `tls.connect` takes them. */
export interface ClientTls {
  readonly ca?: string[];
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** Connection and group settings of {@linkcode KafkaClient}, in client-neutral names. */
export interface ClientSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  readonly tls?: ClientTls;
  readonly sasl?: { readonly mechanism: string; readonly username: string; readonly password: string };
  /** Time for a TCP (and TLS) connection to a broker, ms. */
  readonly connectTimeoutMs: number;
  /** Time for one request, ms. */
  readonly requestTimeoutMs: number;
  /** Retries of a failed request (network errors, leader moves). */
  readonly retries: number;
  /** Delay between two retries, ms. */
  readonly retryDelayMs: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Read only committed transactions (the default) or everything. */
  readonly readCommitted: boolean;
  /** How long the broker holds a fetch while it has no data, ms. */
  readonly maxWaitMs: number;
  readonly minBytes: number;
  /** Bytes one fetch returns at most (across partitions). */
  readonly maxBytes: number;
  /** Bytes one fetch returns at most per partition. */
  readonly maxBytesPerPartition: number;
  /** Age after which cached cluster metadata is refreshed, ms. */
  readonly metadataMaxAgeMs?: number;
}

/** A partition's log start offset and high watermark. */
export interface Watermarks {
  readonly low: bigint;
  readonly high: bigint;
}

/** One record of a fetch, in the source's terms. */
export interface FetchedRecord {
  readonly offset: bigint;
  /** Record time, ms since the epoch (create time, or the broker's append time for LogAppendTime topics). */
  readonly timestamp: bigint;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly (readonly [Uint8Array | null, Uint8Array | null])[];
}

/** What a fetch returned for one partition. */
export interface FetchedPartition {
  readonly topic: string;
  /** Id of the topic the records come from (a recreated topic has a new one); empty when unknown. */
  readonly topicId: string;
  readonly partition: number;
  /** Kafka error code of the partition (0 when none; see {@linkcode FetchErrors}). */
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  /** Records in offset order (control batches and aborted transactions left out). */
  readonly records: FetchedRecord[];
  /** Offset after the last batch returned, control batches included (where the next fetch starts); null if none. */
  readonly nextOffset: bigint | null;
}

/** A partition to fetch, at an offset. */
export interface FetchWanted {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** What the group membership tells the source. */
export interface GroupHooks {
  /** Runs, and is awaited, before every JoinGroup of this member (the first one too). */
  beforeJoin(): Promise<void>;
  /** After every successful join: the partitions now assigned, by topic. */
  assigned(assignment: ReadonlyMap<string, readonly number[]>, generation: number): void;
  /** A group error the library could not recover from by itself. */
  failed(error: Error): void;
}

function baseOptions(settings: ClientSettings) {
  return {
    clientId: settings.clientId,
    bootstrapBrokers: [...settings.brokers],
    connectTimeout: settings.connectTimeoutMs,
    timeout: settings.requestTimeoutMs,
    retries: settings.retries,
    retryDelay: settings.retryDelayMs,
    ...(settings.metadataMaxAgeMs ? { metadataMaxAge: settings.metadataMaxAgeMs } : {}),
    ...(settings.tls ? { tls: { ...settings.tls, ca: settings.tls.ca ? [...settings.tls.ca] : undefined } } : {}),
    ...(settings.tls?.servername ? { tlsServerName: settings.tls.servername } : {}),
    ...(settings.sasl
      ? {
        sasl: {
          mechanism: settings.sasl.mechanism.toUpperCase(),
          username: settings.sasl.username,
          password: settings.sasl.password,
        } as SASLOptions,
      }
      : {}),
  };
}

/** The headers of a record without any (most records): one shared empty list instead of one each. */
const NO_HEADERS: FetchedRecord["headers"] = [];

/** Bytes of a Node buffer as a plain view (no copy). */
function bytes(buffer: Buffer | null | undefined): Uint8Array | null {
  return buffer ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : null;
}

/** Kafka through `@platformatic/kafka`: one admin connection and one consumer group member. */
export class KafkaClient {
  readonly #settings: ClientSettings;
  readonly #log: Logger;
  readonly #admin: Admin;
  #consumer?: Consumer;
  #closed = false;

  constructor(settings: ClientSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log;
    this.#admin = new Admin(baseOptions(settings));
    this.#admin.on("error", (error: Error) => this.#log.debug({ error }, "Kafka admin client error"));
  }

  /**
   * Connects once and lists topics with the given (short) timeouts and retries; throws the client's error as is.
   * Used at start so a wrong address or bad credentials fail within seconds.
   */
  static async probe(settings: ClientSettings): Promise<void> {
    const admin = new Admin(baseOptions(settings));
    admin.on("error", () => {});
    try {
      await admin.listTopics();
    } finally {
      await admin.close().catch(() => {});
    }
  }

  /** Names of the cluster's topics (internal ones left out). */
  async listTopics(): Promise<string[]> {
    return (await this.#admin.listTopics()).filter((topic) => !topic.startsWith("__"));
  }

  /** Topic ids (UUIDs) by topic name; a topic missing from the cluster is missing from the map. */
  async topicIds(topics: readonly string[], forceUpdate = false): Promise<Map<string, string>> {
    const metadata = await this.#metadata(topics, forceUpdate);
    const out = new Map<string, string>();
    for (const topic of topics) {
      const id = metadata.topics.get(topic)?.id;
      if (id) out.set(topic, id);
    }
    return out;
  }

  /** Low and high watermark of every partition of the topics, by stream (`topic+partition`). */
  async watermarks(topics: readonly string[]): Promise<Map<string, Watermarks>> {
    const out = new Map<string, Watermarks>();
    if (topics.length === 0) return out;
    const consumer = this.#requireConsumer();
    const isolationLevel = this.#isolationLevel();
    const [low, high] = await Promise.all([
      consumer.listOffsets({ topics: [...topics], timestamp: ListOffsetTimestamps.EARLIEST, isolationLevel }),
      consumer.listOffsets({ topics: [...topics], timestamp: ListOffsetTimestamps.LATEST, isolationLevel }),
    ]);
    for (const [topic, offsets] of high) {
      offsets.forEach((h, partition) => {
        out.set(streamName(topic, partition), { low: low.get(topic)?.[partition] ?? 0n, high: h });
      });
    }
    return out;
  }

  /** The first offset at or after `ms` of every partition, by stream; absent when no record is that recent. */
  async offsetsAtTime(topics: readonly string[], ms: number): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (topics.length === 0) return out;
    const replies = await this.#requireConsumer().listOffsets({
      topics: [...topics],
      timestamp: BigInt(ms),
      isolationLevel: this.#isolationLevel(),
    });
    for (const [topic, offsets] of replies) {
      offsets.forEach((offset, partition) => {
        if (offset >= 0n) out.set(streamName(topic, partition), offset);
      });
    }
    return out;
  }

  /** The group's committed offsets (next offset to read) of the given partitions, by stream; absent when none. */
  async committed(partitions: ReadonlyMap<string, readonly number[]>): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    const topics = [...partitions].filter(([, list]) => list.length > 0)
      .map(([topic, list]) => ({ topic, partitions: [...list] }));
    if (topics.length === 0) return out;
    const replies = await this.#requireConsumer().listCommittedOffsets({ topics });
    for (const [topic, offsets] of replies) {
      offsets.forEach((offset, partition) => {
        if (offset >= 0n) out.set(streamName(topic, partition), offset);
      });
    }
    return out;
  }

  /** The number of partitions of each topic. */
  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const metadata = await this.#metadata(topics, false);
    const out = new Map<string, number>();
    for (const topic of topics) out.set(topic, metadata.topics.get(topic)?.partitionsCount ?? 0);
    return out;
  }

  /** Creates the group member (without joining). */
  createMember(hooks: GroupHooks): void {
    const settings = this.#settings;
    const consumer = new Consumer({
      ...baseOptions(settings),
      groupId: settings.groupId,
      autocommit: false,
      sessionTimeout: settings.sessionTimeoutMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      isolationLevel: this.#isolationLevel(),
      maxWaitTime: settings.maxWaitMs,
      minBytes: settings.minBytes,
      maxBytes: settings.maxBytes,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      // The library awaits this before every JoinGroup: the source lets go of its partitions there.
      protocolsMetadata: async () => {
        await hooks.beforeJoin();
        return Buffer.alloc(0);
      },
    });
    consumer.on("consumer:group:join", (payload) => {
      const assignment = new Map<string, number[]>();
      for (const { topic, partitions } of payload.assignments ?? []) assignment.set(topic, [...partitions]);
      hooks.assigned(assignment, payload.generationId ?? consumer.generationId);
    });
    // Group errors (a rebalance) are handled by a rejoin and never reach this event: what does is an outage.
    consumer.on("consumer:heartbeat:error", (payload) => {
      this.#log.warn({ error: describeError(payload.error) }, "Kafka heartbeat failed; retrying");
    });
    consumer.on("consumer:group:rebalance", () => this.#log.debug({}, "Kafka group rebalancing"));
    consumer.on("error", (error: Error) => {
      if (this.#closed) return;
      hooks.failed(error);
    });
    this.#consumer = consumer;
  }

  /** Joins the group for the topics; resolves once the first assignment is known. */
  async join(topics: readonly string[]): Promise<void> {
    const consumer = this.#requireConsumer();
    consumer.topics.trackAll(...topics);
    await consumer.joinGroup({});
  }

  /**
   * Fetches the partitions from their offsets, one request per leader broker (in parallel). Partition errors come
   * back as `errorCode`s; a request that fails as a whole throws.
   */
  async fetch(wanted: readonly FetchWanted[]): Promise<FetchedPartition[]> {
    if (wanted.length === 0) return [];
    const consumer = this.#requireConsumer();
    const topics = [...new Set(wanted.map((w) => w.topic))];
    const metadata = await this.#metadata(topics, false);
    const byNode = new Map<number, Map<string, { topicId: string; partitions: FetchWanted[] }>>();
    const names = new Map<string, string>();
    const out: FetchedPartition[] = [];
    for (const want of wanted) {
      const topic = metadata.topics.get(want.topic);
      const leader = topic?.partitions[want.partition]?.leader;
      if (!topic || leader === undefined || leader < 0) {
        out.push(this.#errorPartition(want, FetchErrors.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      names.set(topic.id, want.topic);
      const node = byNode.get(leader) ?? new Map();
      byNode.set(leader, node);
      const entry = node.get(topic.id) ?? { topicId: topic.id, partitions: [] };
      node.set(topic.id, entry);
      entry.partitions.push(want);
    }
    const settings = this.#settings;
    const responses = await Promise.all([...byNode].map(async ([node, byTopic]) => {
      const request = [...byTopic.values()].map(({ topicId, partitions }) => ({
        topicId,
        partitions: partitions.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.offset,
          lastFetchedEpoch: -1,
          partitionMaxBytes: settings.maxBytesPerPartition,
        })),
      }));
      try {
        return await consumer.fetch({ node, topics: request });
      } catch (error) {
        // A response with partition errors still carries the other partitions' data.
        const response = (error as { response?: FetchResponse }).response;
        if (response?.responses) {
          consumer.clearMetadata();
          return response;
        }
        throw error;
      }
    }));
    for (const response of responses) {
      for (const topicReply of response.responses) {
        const topic = names.get(topicReply.topicId) ?? topicReply.topicId;
        for (const p of topicReply.partitions) out.push(this.#toFetched(topic, topicReply.topicId, p));
      }
    }
    return out;
  }

  #toFetched(
    topic: string,
    topicId: string,
    p: FetchResponse["responses"][number]["partitions"][number],
  ): FetchedPartition {
    const records: FetchedRecord[] = [];
    let nextOffset: bigint | null = null;
    for (const batch of p.records ?? []) {
      nextOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      if (batch.attributes & IS_CONTROL) continue;
      const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
      for (const record of batch.records) {
        records.push({
          offset: batch.firstOffset + BigInt(record.offsetDelta),
          timestamp: appendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta,
          key: bytes(record.key),
          value: bytes(record.value),
          headers: record.headers.length === 0
            ? NO_HEADERS
            : record.headers.map(([name, value]: FetchedHeader) => [bytes(name), bytes(value)] as const),
        });
      }
    }
    return {
      topic,
      topicId,
      partition: p.partitionIndex,
      errorCode: p.errorCode,
      highWatermark: p.highWatermark,
      logStartOffset: p.logStartOffset,
      records,
      nextOffset,
    };
  }

  #errorPartition(want: FetchWanted, errorCode: number): FetchedPartition {
    return {
      topic: want.topic,
      topicId: "",
      partition: want.partition,
      errorCode,
      highWatermark: -1n,
      logStartOffset: -1n,
      records: [],
      nextOffset: null,
    };
  }

  /** Commits next-offsets of partitions for the group. */
  async commit(offsets: readonly FetchWanted[]): Promise<void> {
    await this.#requireConsumer().commit({
      offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset, leaderEpoch: -1 })),
    });
  }

  /** Forgets cached cluster metadata (after a leader move or a recreated topic). */
  refreshMetadata(): void {
    this.#consumer?.clearMetadata();
  }

  /** Leaves the group and closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    if (this.#consumer) {
      const consumer = this.#consumer;
      await new Promise<void>((resolve) =>
        consumer.leaveGroup(false, (error) => {
          if (error) errors.push(error);
          resolve();
        })
      );
      await this.#consumer.close(true).catch((error) => errors.push(error));
    }
    await this.#admin.close().catch((error) => errors.push(error));
    if (errors.length > 0) this.#log.debug({ error: errors[0] }, "error while disconnecting from Kafka");
  }

  #metadata(topics: readonly string[], forceUpdate: boolean): Promise<ClusterMetadata> {
    const client = this.#consumer ?? this.#admin;
    return client.metadata({ topics: [...topics], forceUpdate });
  }

  #isolationLevel(): number {
    return this.#settings.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
  }

  #requireConsumer(): Consumer {
    if (!this.#consumer) throw new Error("Kafka client: the group member is not created yet");
    return this.#consumer;
  }
}
