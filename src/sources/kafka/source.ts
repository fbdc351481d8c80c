/**
 * The Kafka source: a pull adapter over the push-based kafkajs consumer, and the only module that loads `kafkajs`
 * (the other modules of this folder import its types at most). The client's `eachBatch` handler pushes into a
 * bounded buffer and waits (sending heartbeats) while it is full, so a slow pipeline stops fetching; `read()` takes
 * from the buffer. Where each assigned partition starts is decided by the pure `startOffset` (`offsets.ts`).
 * Offsets are committed manually, only in `ack()`, i.e. after the pipeline has made the records durable, and never
 * for a partition that is no longer ours.
 *
 * Rebalances: kafkajs uses the eager protocol, so every rebalance takes all partitions away and resumes retained
 * ones from their committed offsets. kafkajs has no revocation callback, so its group's `joinAndSync` is wrapped:
 * before a member rejoins its group, its source drops its buffered records, stops committing and awaits the
 * pipeline's `AssignmentListener.revoked`. Only then can the group move the partitions elsewhere.
 * @module
 */
import {
  type Admin,
  CompressionCodecs,
  CompressionTypes,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  logLevel,
  type SASLOptions,
} from "kafkajs";
// kafkajs has no "partitions revoked" callback; its group class is wrapped (rejoin.ts; pinned version 2.2.4).
import ConsumerGroup from "kafkajs/src/consumer/consumerGroup.js";
import process from "node:process";
import type {
  AssignmentListener,
  MetadataColumn,
  ReadOptions,
  ReadResult,
  Source,
  SourceContext,
  SourceMessage,
} from "../../core/source.ts";
import { ConfigError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { MessageBuffer } from "./buffer.ts";
import { type CodecRegistry, registerCodecs } from "./codecs.ts";
import { KafkaLag } from "./lag.ts";
import { readPemFiles } from "../_common/tls.ts";
import {
  type Config,
  metadataColumnList,
  type MetadataField,
  type ResolvedKafkaOptions,
  resolveKafkaOptions,
} from "./config.ts";
import { toSourceMessage } from "./message.ts";
import {
  type EndAtStart,
  formatPosition,
  parsePosition,
  parseStream,
  partitionOffsets,
  PartitionTracker,
  startOffset,
  streamName,
  type TopicOffsetReplies,
  unfinishedElsewhere,
} from "./offsets.ts";
import { type ProgressHandle, progressSnapshot, startProgress, type TopicProgress } from "./progress.ts";
import { deleteRejoinHook, installJoinHook, isRebalanceError, setRejoinHook } from "./rejoin.ts";
import { selectTopics, topicSelection } from "./topics.ts";

registerCodecs({ codecs: CompressionCodecs, types: CompressionTypes } as unknown as CodecRegistry);

/** How often a handler waiting for buffer room sends heartbeats (kafkajs throttles them to its interval). */
const ROOM_POLL_MS = 1000;
/** How often `read()` re-checks the one-shot end while no data arrives. */
const END_POLL_MS = 100;
/** The reachability check at start: a few quick tries, so a wrong address fails within about 10 s. */
const START_RETRY = { retries: 2, initialRetryTime: 300, maxRetryTime: 2000 };
const START_CONNECT_TIMEOUT_MS = 3000;
/** Client log lines of routine, retried states of a normal start or rebalance: debug, not warnings. */
const BENIGN_CLIENT_LOG = /group coordinator is not available|group is rebalancing|rebalancing, re-joining/i;
/** One-shot: how often the group's commits of other members' partitions are looked up while waiting for them. */
const OTHERS_POLL_MS = 1000;
/** kafkajs's default session timeout: how long a dead member holds its partitions. */
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/** Beyond the session timeout, how long a one-shot run waits for other members' partitions to move. */
const OTHERS_MARGIN_MS = 15_000;

/** Counters of one source instance, for logs and tests. */
export interface KafkaSourceStats {
  /** Messages handed to the pipeline. */
  delivered: number;
  /** Tombstones seen (skipped or kept). */
  tombstones: number;
  /** Rebalances that took partitions away. */
  revocations: number;
  /** Times offsets went backwards. */
  resets: number;
}

/** Options of {@linkcode KafkaSource} beyond the config; for tests. */
export interface KafkaSourceOptions {
  /** Least time between two high-watermark refreshes for `lag()`, ms; default 5000 (see `lag.ts`). */
  readonly lagRefreshMs?: number;
}

/** The Kafka source. Created by the plugin; no I/O before `connect()`. */
export class KafkaSource implements Source {
  readonly metadataColumns: readonly MetadataColumn[];
  /** Counters since start. */
  readonly stats: KafkaSourceStats = { delivered: 0, tombstones: 0, revocations: 0, resets: 0 };
  #config: Config;
  #options: ResolvedKafkaOptions;
  #untilCaughtUp: boolean;
  #log: Logger;
  #fields: readonly MetadataField[];
  #buffer: MessageBuffer;
  #kafka?: Kafka;
  #admin?: Admin;
  #consumer?: Consumer;
  #topics: string[] = [];
  #trackers = new Map<string, PartitionTracker>();
  /** One-shot: end offset of each partition, taken when it was first assigned. */
  #endAtStart = new Map<string, bigint>();
  /** One-shot: every partition of the subscribed topics at start; the run ends only once all are committed to it. */
  #offsetsAtStart = new Map<string, EndAtStart>();
  /** One-shot, own partitions done: since when it waits for partitions of other members, and what it last saw. */
  #waitingElsewhere: { since: number; seen: string; checkedAt: number; done: boolean } | undefined;
  /** One-shot: partitions given up on after the wait (the run ends with the exit code of an incomplete drain). */
  #incomplete: string[] | undefined;
  #generation = 0;
  #assignmentReady = false;
  #prepared: Promise<void> = Promise.resolve();
  #revoking: Promise<void> = Promise.resolve();
  #listener?: AssignmentListener;
  #failure?: Error;
  #closed = false;
  #noTopics = false;
  #doneByStream = new Map<string, number>();
  #progress?: ProgressHandle;
  #unsubscribe: (() => void)[] = [];
  #memberId?: string;
  #lag: KafkaLag;

  constructor(config: Config, context: SourceContext, options: KafkaSourceOptions = {}) {
    this.#config = config;
    this.#options = resolveKafkaOptions(config);
    this.#untilCaughtUp = context.untilCaughtUp;
    this.#log = context.log;
    const columns = metadataColumnList(config.metadata_columns);
    this.metadataColumns = columns.map(({ name, type }) => ({ name, type }));
    this.#fields = columns.map(({ field }) => field);
    this.#buffer = new MessageBuffer({
      maxMessages: this.#options.bufferMaxMessages,
      maxBytes: this.#options.bufferMaxBytes,
    });
    this.#lag = new KafkaLag({
      partitions: () => this.#trackers.values(),
      fetchHighWatermarks: (topics) => this.#fetchHighWatermarks(topics),
      log: this.#log,
      intervalMs: options.lagRefreshMs,
    });
  }

  /** Topics subscribed to (after pattern / all-topics selection); known after `connect()`. */
  get topics(): readonly string[] {
    return this.#topics;
  }

  /** Streams (`topic+partition`) currently assigned to this instance. */
  get assignedStreams(): string[] {
    return [...this.#trackers.keys()].sort();
  }

  async connect(): Promise<void> {
    silenceNegativeTimeoutWarning();
    for (const { key, reason } of this.#options.ignored) this.#log.warn({ key }, `extra_config key ignored: ${reason}`);
    const ssl = await kafkaTls(this.#options.tls);
    const client = (quick: boolean) =>
      new Kafka({
        clientId: this.#options.clientId,
        brokers: [...this.#options.brokers],
        ssl,
        sasl: this.#options.sasl as SASLOptions | undefined,
        logLevel: this.#log.enabled("DEBUG") ? logLevel.INFO : logLevel.WARN,
        logCreator: () => ({ level, log }) => {
          const { message, ...fields } = log;
          const text = `kafkajs: ${message}`;
          // kafkajs logs retried request failures as errors; a real failure reaches us as a crash (logged by #fail)
          // or, at start, as the one error of the reachability check. Retries of a normal start stay at debug.
          const routine = quick || BENIGN_CLIENT_LOG.test(`${message} ${String(fields.error ?? "")}`);
          if (!routine && (level === logLevel.ERROR || level === logLevel.WARN)) this.#log.warn(fields, text);
          else this.#log.debug(fields, text);
        },
        requestTimeout: this.#options.client.requestTimeout,
        connectionTimeout: quick
          ? Math.min(this.#options.client.connectionTimeout ?? START_CONNECT_TIMEOUT_MS, START_CONNECT_TIMEOUT_MS)
          : this.#options.client.connectionTimeout ?? 10_000,
        authenticationTimeout: this.#options.client.authenticationTimeout,
        retry: quick ? START_RETRY : {
          retries: this.#options.client.retries ?? 8,
          initialRetryTime: this.#options.client.initialRetryTime ?? 300,
        },
      });
    await this.#checkReachable(client(true));
    const kafka = client(false);
    this.#kafka = kafka;
    const admin = kafka.admin();
    this.#admin = admin;
    await admin.connect().catch((error) => {
      throw new Error(`Cannot connect to Kafka at "${this.#options.brokers.join(",")}": ${error.message}`, {
        cause: error,
      });
    });
    this.#topics = selectTopics(topicSelection(this.#config), await admin.listTopics());
    if (this.#topics.length === 0) {
      if (!this.#untilCaughtUp) {
        throw new ConfigError("Cannot choose topics: no topic on the cluster matches the selection", {
          hint: "check source.topic_pattern / include / exclude, or create the topics first",
        });
      }
      this.#log.warn({}, "no topic matches the selection: nothing to read");
      this.#noTopics = true;
      return;
    }
    this.#log.info({ topics: this.#topics, group_id: this.#options.groupId }, "subscribing");
    if (this.#untilCaughtUp) {
      for (const topic of this.#topics) {
        for (const mark of await admin.fetchTopicOffsets(topic)) {
          const stream = streamName(topic, mark.partition);
          const high = BigInt(mark.high ?? mark.offset);
          this.#offsetsAtStart.set(stream, { low: BigInt(mark.low ?? 0), high });
          this.#endAtStart.set(stream, high);
        }
      }
    }
    const consumer = kafka.consumer({
      groupId: this.#options.groupId,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: () => Promise.resolve(false) },
      // A short fetch wait keeps shutdown quick: disconnecting waits for the fetch in flight.
      maxWaitTimeInMs: 1000,
      ...this.#options.consumer,
    });
    this.#consumer = consumer;
    this.#unsubscribe.push(
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        if (this.#memberId) deleteRejoinHook(this.#memberId);
        this.#memberId = event.payload.memberId;
        setRejoinHook(this.#memberId, () => this.#revokeAll("rebalance"));
        this.#onAssigned(event.payload.memberAssignment);
      }),
      consumer.on(consumer.events.REBALANCING, () => void this.#revokeAll("rebalance")),
      consumer.on(consumer.events.CRASH, (event) => this.#fail(event.payload.error)),
      // Batches made only of transaction markers never reach eachBatch, but still move the fetch position.
      consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
        const { topic, partition, lastOffset } = event.payload;
        this.#trackers.get(streamName(topic, partition))?.fetched(BigInt(lastOffset));
      }),
    );
    installJoinHook(ConsumerGroup);
    this.#unsubscribe.push(() => {
      if (this.#memberId) deleteRejoinHook(this.#memberId);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.#topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: this.#config.concurrency,
      eachBatch: (payload) => this.#onBatch(payload),
    });
    await this.#prepared;
    if (this.#failure) throw this.#failure;
    this.#progress = startProgress(() => this.#snapshot(), {
      mode: this.#config.progress,
      intervalMs: this.#config.progress_interval_seconds * 1000,
      log: this.#log,
    });
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    const deadline = Date.now() + options.maxWaitMs;
    while (true) {
      if (this.#failure) throw this.#failure;
      if (this.#buffer.size > 0) {
        const messages = this.#buffer.take(options.maxMessages);
        this.stats.delivered += messages.length;
        for (const message of messages) {
          this.#doneByStream.set(message.stream, (this.#doneByStream.get(message.stream) ?? 0) + 1);
        }
        return { kind: "messages", messages };
      }
      if (this.#noTopics || (this.#untilCaughtUp && this.#caughtUp() && await this.#othersCaughtUp())) {
        return this.#incomplete ? { kind: "end", incomplete: this.#incomplete } : { kind: "end" };
      }
      const left = deadline - Date.now();
      if (left <= 0 || options.signal.aborted || this.#closed) return { kind: "idle" };
      await this.#buffer.waitForData(Math.min(left, this.#untilCaughtUp ? END_POLL_MS : left));
    }
  }

  async ack(stream: string, positions: readonly string[]): Promise<void> {
    const last = positions[positions.length - 1];
    if (last === undefined) return;
    const tracker = this.#trackers.get(stream);
    if (!tracker) {
      this.#log.debug({ stream }, "not committing: the partition is no longer assigned");
      return;
    }
    const target = tracker.commitTarget(parsePosition(last));
    if (target !== undefined) await this.#commit(tracker, target);
  }

  /**
   * Committed lag per assigned partition (`<topic>+<partition>`): high watermark minus the committed offset, i.e.
   * records not yet durable and committed, buffered ones included; see `lag.ts`. Never throws.
   */
  lag(): ReadonlyMap<string, number> {
    return this.#lag.lags();
  }

  async #fetchHighWatermarks(topics: readonly string[]): Promise<ReadonlyMap<string, bigint>> {
    const admin = this.#admin;
    const out = new Map<string, bigint>();
    if (!admin || this.#closed) return out;
    await Promise.all(topics.map(async (topic) => {
      for (const mark of await admin.fetchTopicOffsets(topic)) {
        out.set(streamName(topic, mark.partition), BigInt(mark.high ?? mark.offset));
      }
    }));
    return out;
  }

  /** The high watermark of an assigned partition, as a position; undefined for a partition not assigned here. */
  endOf(stream: string): string | undefined {
    const tracker = this.#trackers.get(stream);
    return tracker ? formatPosition(tracker.highWatermark) : undefined;
  }

  setAssignmentListener(listener: AssignmentListener): void {
    this.#listener = listener;
  }

  describe(message: SourceMessage): string {
    const at = message.stream.lastIndexOf("+");
    return `topic "${message.stream.slice(0, at)}" partition ${message.stream.slice(at + 1)} offset ${
      BigInt(message.position)
    }`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#lag.stop();
    this.#progress?.stop();
    this.#buffer.wakeAll();
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#consumer) this.#log.info({ ...this.stats }, "Kafka source closed");
    const errors: unknown[] = [];
    await this.#consumer?.disconnect().catch((error) => errors.push(error));
    await this.#admin?.disconnect().catch((error) => errors.push(error));
    if (errors.length > 0) this.#log.warn({ error: errors[0] }, "error while disconnecting from Kafka");
  }

  /**
   * Connects once with few, short retries and a quiet client, so a wrong or unreachable bootstrap address or bad
   * credentials end the start within seconds with one error naming the addresses (exit 2), instead of a minute of
   * client retries; an outage after this point is retried as configured.
   */
  async #checkReachable(kafka: Kafka): Promise<void> {
    const admin = kafka.admin();
    const where = `Cannot connect to Kafka at "${this.#options.brokers.join(",")}"`;
    try {
      await admin.connect();
      await admin.listTopics();
    } catch (error) {
      const cause = error as Error;
      if (cause?.name === "KafkaJSSASLAuthenticationError") {
        throw new ConfigError(`${where}: ${cause.message}`, {
          hint: "check source.sasl (mechanism, username, password)",
          cause,
        });
      }
      throw new ConfigError(`${where}: ${cause?.message ?? String(error)}`, {
        hint: "check source.bootstrap_servers (host:port of a broker's client listener), TLS and that the brokers run",
        cause,
      });
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#closed) return;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#failure = new Error(`Kafka consumer of group "${this.#options.groupId}" failed: ${cause.message}`, { cause });
    this.#log.error({ error: cause }, "Kafka consumer failed");
    this.#buffer.wakeAll();
  }

  /** Called synchronously by kafkajs right after it joined the group, before it fetches. */
  #onAssigned(assignment: Record<string, number[]>): void {
    if (this.#trackers.size > 0) void this.#revokeAll("rejoin");
    const generation = ++this.#generation;
    this.#assignmentReady = false;
    // Pauses survive a rejoin in kafkajs: a one-shot partition paused at its end must be read again from its commit.
    this.#consumer?.resume(Object.keys(assignment).map((topic) => ({ topic })));
    this.#prepared = this.#prepare(generation, assignment).then(
      () => {
        if (generation === this.#generation) this.#assignmentReady = true;
        this.#buffer.wakeAll();
      },
      (error) => this.#fail(error),
    );
  }

  /** Finds where each newly assigned partition starts (and ends, one-shot), and commits start points of new groups. */
  async #prepare(generation: number, assignment: Record<string, number[]>): Promise<void> {
    await this.#revoking;
    const admin = this.#admin!;
    const topics = Object.keys(assignment).filter((topic) => (assignment[topic] ?? []).length > 0);
    const committed = topics.length > 0 ? await admin.fetchOffsets({ groupId: this.#options.groupId, topics }) : [];
    const trackers: PartitionTracker[] = [];
    const startCommits: { tracker: PartitionTracker; offset: bigint }[] = [];
    const startFrom = this.#options.startFrom;
    for (const topic of topics) {
      const replies: TopicOffsetReplies = {
        watermarks: await admin.fetchTopicOffsets(topic),
        committed: committed.find((c) => c.topic === topic)?.partitions ?? [],
        atTime: startFrom.kind === "timestamp" ? await admin.fetchTopicOffsetsByTimestamp(topic, startFrom.ms) : [],
      };
      for (const partition of assignment[topic] ?? []) {
        const offsets = partitionOffsets(replies, partition);
        const decision = startOffset(offsets, startFrom);
        if (decision.kind === "past_end") {
          this.stats.resets++;
          this.#log.warn(
            { topic, partition, committed: decision.committed, end: offsets.high },
            "committed offset is past the end of the partition (topic deleted and recreated?): reading it from its start",
          );
        }
        const stream = streamName(topic, partition);
        let end: bigint | null = null;
        if (this.#untilCaughtUp) {
          end = this.#endAtStart.get(stream) ?? offsets.high;
          this.#endAtStart.set(stream, end);
        }
        const tracker = new PartitionTracker(topic, partition, {
          committed: decision.kind === "committed" ? decision.committed : null,
          start: decision.start,
          end,
        });
        tracker.highWatermark = offsets.high;
        trackers.push(tracker);
        if (decision.kind === "start_from") startCommits.push({ tracker, offset: decision.start });
      }
    }
    if (generation !== this.#generation) return;
    for (const tracker of trackers) this.#trackers.set(tracker.stream, tracker);
    // A new group starting at `latest` or a time: commit that start so a later assignment does not move it.
    for (const { tracker, offset } of startCommits) await this.#commit(tracker, offset);
    this.#log.info({
      generation,
      partitions: trackers.length,
      streams: trackers.map((t) => `${t.stream}@${t.start}${t.end === null ? "" : `..${t.end}`}`),
    }, "partitions assigned");
  }

  /** Takes every partition away: drops buffered records, stops commits for them, and tells the pipeline. */
  #revokeAll(reason: string): Promise<void> {
    const streams = [...this.#trackers.keys()];
    this.#generation++;
    this.#assignmentReady = false;
    if (streams.length === 0) return this.#revoking;
    this.#trackers.clear();
    this.stats.revocations++;
    const dropped = this.#buffer.drop(new Set(streams));
    this.#log.info({ reason, partitions: streams.length, dropped }, "partitions revoked");
    const listener = this.#listener;
    this.#revoking = this.#revoking
      .then(() => listener?.revoked(streams))
      .catch((error) => this.#fail(error));
    return this.#revoking;
  }

  async #heartbeat(heartbeat: () => Promise<void>): Promise<void> {
    try {
      await heartbeat();
    } catch (error) {
      // Seen here, the rebalance waits for the pipeline to let go of the partitions before kafkajs rejoins.
      if (isRebalanceError(error)) await this.#revokeAll("rebalance");
      throw error;
    }
  }

  async #commit(tracker: PartitionTracker, offset: bigint): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    try {
      await consumer.commitOffsets([{ topic: tracker.topic, partition: tracker.partition, offset: offset.toString() }]);
      tracker.committedTo(offset);
      this.#log.debug({ stream: tracker.stream, offset }, "committed");
    } catch (error) {
      if (!isRebalanceError(error)) {
        throw new Error(`Cannot commit offset ${offset} of ${tracker.stream}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      this.#log.warn(
        { stream: tracker.stream, offset, error },
        "commit refused during a rebalance: the records will be read again and deduplicated by the journal",
      );
    }
  }

  async #onBatch({ batch, heartbeat, pause }: EachBatchPayload): Promise<void> {
    await this.#prepared;
    const generation = this.#generation;
    const stream = streamName(batch.topic, batch.partition);
    const tracker = this.#trackers.get(stream);
    const firstMessage = batch.messages[0];
    const lastMessage = batch.messages[batch.messages.length - 1];
    if (!tracker || !firstMessage || !lastMessage) return;
    tracker.highWatermark = BigInt(batch.highWatermark);
    const check = tracker.checkBatch(BigInt(firstMessage.offset), BigInt(lastMessage.offset));
    if (check.kind === "seek") {
      this.#consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: check.seekTo.toString() });
      return;
    }
    if (check.kind === "past_end") {
      if (tracker.end !== null) tracker.fetched(tracker.end - 1n);
      pause();
      return;
    }
    if (check.kind === "reset") {
      this.stats.resets++;
      this.#log.warn(
        { topic: batch.topic, partition: batch.partition, expected: check.expected, got: check.from },
        "offsets went backwards (topic deleted and recreated?): reading the partition from its start",
      );
    }
    const from = check.from;
    const until = tracker.end;
    const messages: SourceMessage[] = [];
    const skipTombstones = this.#config.tombstones === "skip";
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < from) continue;
      if (until !== null && offset >= until) break;
      const tombstone = message.value === null;
      if (tombstone) this.stats.tombstones++;
      tracker.delivered(offset);
      messages.push(toSourceMessage(message, {
        fields: this.#fields,
        topic: batch.topic,
        partition: batch.partition,
        stream,
        offset,
        skip: tombstone && skipTombstones,
      }));
    }
    while (!this.#buffer.hasRoom() && !this.#closed && generation === this.#generation) {
      await this.#buffer.waitForRoom(ROOM_POLL_MS);
      await this.#heartbeat(heartbeat);
    }
    if (generation !== this.#generation || this.#closed) return;
    this.#buffer.push(messages);
    const last = BigInt(batch.lastOffset());
    tracker.fetched(until !== null && last >= until ? until - 1n : last);
    if (until !== null && last >= until - 1n) pause();
    await this.#heartbeat(heartbeat);
  }

  /**
   * One-shot, own partitions done: whether every other partition that had records at start is committed by the group
   * up to its end at start. Partitions still held by another member (a dead one whose session has not expired, or
   * another instance still writing) are waited for, the admin asked at most once a second; the wait fails once the
   * group's commits for them have not moved for the session timeout plus a margin (then the run ends as incomplete).
   */
  async #othersCaughtUp(): Promise<boolean> {
    const now = Date.now();
    const wait = this.#waitingElsewhere;
    if (wait?.done) return true;
    if (wait && now - wait.checkedAt < OTHERS_POLL_MS) return false;
    const topics = [...new Set([...this.#offsetsAtStart.keys()].map((s) => parseStream(s).topic))];
    const replies = await this.#admin!.fetchOffsets({ groupId: this.#options.groupId, topics });
    const committed = new Map<string, bigint>();
    for (const { topic, partitions } of replies) {
      for (const p of partitions) {
        if (Number(p.offset) >= 0) committed.set(streamName(topic, p.partition), BigInt(p.offset));
      }
    }
    const waiting = unfinishedElsewhere(this.#offsetsAtStart, new Set(this.#trackers.keys()), committed);
    if (waiting.length === 0) {
      if (wait) this.#log.info({}, "partitions of other members are committed to their end at start");
      this.#waitingElsewhere = { since: now, seen: "", checkedAt: now, done: true };
      return true;
    }
    const seen = waiting.map((s) => `${s}@${committed.get(s) ?? "none"}`).join(",");
    const session = this.#options.consumer.sessionTimeout;
    const limitMs = (typeof session === "number" ? session : DEFAULT_SESSION_TIMEOUT_MS) + OTHERS_MARGIN_MS;
    if (!wait || wait.seen !== seen) {
      if (!wait) {
        this.#log.warn(
          { partitions: waiting, wait_limit_s: limitMs / 1000 },
          "own partitions done; waiting for partitions held by another member (a dead member's session must expire)",
        );
      }
      this.#waitingElsewhere = { since: now, seen, checkedAt: now, done: false };
      return false;
    }
    wait.checkedAt = now;
    if (now - wait.since > limitMs) {
      this.#incomplete = waiting.map((stream) =>
        `partition ${stream} of group "${this.#options.groupId}" is held by another member and was not committed ` +
        `up to its end at start (${this.#offsetsAtStart.get(stream)?.high}) within ${Math.round(limitMs / 1000)} s`
      );
      wait.done = true;
      return true;
    }
    return false;
  }

  #caughtUp(): boolean {
    if (!this.#assignmentReady || this.#buffer.size > 0) return false;
    for (const tracker of this.#trackers.values()) if (!tracker.caughtUp) return false;
    return true;
  }

  #snapshot(): TopicProgress[] {
    return progressSnapshot({
      topics: this.#topics,
      trackers: this.#trackers.values(),
      doneByStream: this.#doneByStream,
    });
  }
}

/** TLS options in the shape the Kafka client takes (`ssl`). */
interface KafkaTlsOptions {
  /** CA certificates (PEM), when a CA file is configured. */
  ca?: string[];
  /** Client certificate (PEM). */
  cert?: string;
  /** Client key (PEM). */
  key?: string;
  /** Check the broker's certificate. */
  rejectUnauthorized: boolean;
  /** Host name checked against the certificate (SNI), when configured. */
  servername?: string;
}

/**
 * The client's TLS options, with the CA, certificate and key read from their files; `undefined` when TLS is off.
 * @throws {ConfigError} when a file cannot be read.
 */
async function kafkaTls(tls: ResolvedKafkaOptions["tls"]): Promise<KafkaTlsOptions | undefined> {
  if (!tls) return undefined;
  const pem = await readPemFiles(tls);
  return {
    ca: pem.ca ? [pem.ca] : undefined,
    cert: pem.cert,
    key: pem.key,
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  };
}

/**
 * kafkajs arms `setTimeout` with a negative delay when its request queue is idle, which Node's timers report as a
 * `TimeoutNegativeWarning` on stderr in every run. That warning alone is dropped from the process's `warning`
 * event; every other warning still shows. Installed once per process.
 */
function silenceNegativeTimeoutWarning(): void {
  const original = process.listeners("warning");
  if (original.some((listener) => (listener as { fsdsFilter?: boolean }).fsdsFilter)) return;
  const filter = Object.assign((warning: Error) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of original) listener(warning);
  }, { fsdsFilter: true });
  process.removeAllListeners("warning");
  process.on("warning", filter);
}
