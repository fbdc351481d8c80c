/**
 * The Kafka source: a pull adapter over a group member that fetches its partitions itself. The library
 * (`client.ts`) keeps the group membership (join, heartbeats, rejoins); this module decides, per assigned
 * partition, where reading starts (the pure `startOffset` of `offsets.ts`), fetches from there into a bounded
 * buffer (a full buffer stops fetching), stops at the one-shot end, and commits offsets only in `ack()`, i.e. after
 * the pipeline has made the records durable, and never for a partition that is no longer ours.
 *
 * Rebalances: the group uses the eager protocol, so every rebalance takes all partitions away and the new
 * assignment resumes each from its committed offset. Before every JoinGroup the library awaits our hook
 * (`beforeJoin`): the source drops its buffered records, stops committing and awaits the pipeline's
 * `AssignmentListener.revoked`. Only then can the group move the partitions elsewhere.
 *
 * Topic recreation: each partition's topic id is kept from its assignment; records of the same topic name under a
 * new id, or an offset past the new end, restart the partition from the new log's start.
 * @module
 */
import type {
  AssignmentListener,
  MetadataColumn,
  ReadOptions,
  ReadResult,
  Source,
  SourceContext,
  SourceMessage,
  SourceProgress,
} from "../../core/source.ts";
import { ConfigError } from "../../core/errors.ts";
import { sleep } from "../../core/retry.ts";
import type { Logger } from "../../core/logger.ts";
import { MessageBuffer } from "./buffer.ts";
import {
  type ClientSettings,
  describeError,
  type FetchedPartition,
  FetchErrors,
  isAuthenticationError,
  isRebalanceError,
  KafkaClient,
} from "./client.ts";
import { KafkaLag } from "./lag.ts";
import { clientSettings, DEFAULT_SESSION_TIMEOUT_MS, kafkaTls } from "./settings.ts";
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
  PartitionTracker,
  startOffset,
  streamName,
  unfinishedElsewhere,
} from "./offsets.ts";
import { progressSnapshot } from "./progress.ts";
import { selectTopics, topicSelection } from "./topics.ts";

/** How long the fetch loop waits for buffer room before looking again. */
const ROOM_POLL_MS = 1000;
/** How often `read()` re-checks the one-shot end while no data arrives. */
const END_POLL_MS = 100;
/** How long the fetch loop naps while it has nothing to fetch (no assignment yet, or every partition at its end). */
const IDLE_MS = 100;
/** The reachability check at start: one quick retry, so a wrong address fails within about 10 s. */
const START_PROBE = { connectTimeoutMs: 3000, requestTimeoutMs: 5000, retries: 1, retryDelayMs: 300 };
/** One-shot: how often the group's commits of other members' partitions are looked up while waiting for them. */
const OTHERS_POLL_MS = 1000;
/** Beyond the session timeout, how long a one-shot run waits for other members' partitions to move. */
const OTHERS_MARGIN_MS = 15_000;
/** How long fetches may keep failing (brokers unreachable) before the source fails. */
const OUTAGE_LIMIT_MS = 60_000;

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
  /** A commit of an offset covers every earlier one: `ack` reads only its last position. */
  readonly acksThroughLast = true;
  /** Counters since start. */
  readonly stats: KafkaSourceStats = { delivered: 0, tombstones: 0, revocations: 0, resets: 0 };
  #config: Config;
  #options: ResolvedKafkaOptions;
  #untilCaughtUp: boolean;
  #log: Logger;
  #fields: readonly MetadataField[];
  #buffer: MessageBuffer;
  #client?: KafkaClient;
  #topics: string[] = [];
  #trackers = new Map<string, PartitionTracker>();
  /** Topic id of each assigned partition's log, by stream (a recreated topic has a new one). */
  #topicIds = new Map<string, string>();
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
  /** Settles when the current assignment is revoked: commits in flight stop waiting then. */
  #revoked = Promise.withResolvers<void>();
  #listener?: AssignmentListener;
  #failure?: Error;
  #closed = false;
  /** Aborted by `close()`: stops the waits between commit retries. */
  readonly #closing = new AbortController();
  #noTopics = false;
  #doneByStream = new Map<string, number>();
  #lag: KafkaLag;
  #loop?: Promise<void>;
  #wakeLoop?: () => void;

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
    for (const { key, reason } of this.#options.ignored) this.#log.warn({ key }, `extra_config key ignored: ${reason}`);
    const settings = clientSettings(this.#options, await kafkaTls(this.#options.tls));
    await this.#checkReachable({ ...settings, ...START_PROBE });
    const client = new KafkaClient(settings, this.#log);
    this.#client = client;
    this.#topics = selectTopics(topicSelection(this.#config), await client.listTopics());
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
    client.createMember({
      beforeJoin: () => this.#revokeAll("rebalance"),
      assigned: (assignment, generation) => this.#onAssigned(assignment, generation),
      failed: (error) => this.#fail(error),
    });
    if (this.#untilCaughtUp) {
      for (const [stream, marks] of await client.watermarks(this.#topics)) {
        this.#offsetsAtStart.set(stream, marks);
        this.#endAtStart.set(stream, marks.high);
      }
    }
    await client.join(this.#topics);
    await this.#prepared;
    if (this.#failure) throw this.#failure;
    this.#loop = this.#fetchLoop();
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
    const out = new Map<string, bigint>();
    if (!this.#client || this.#closed) return out;
    for (const [stream, { high }] of await this.#client.watermarks(topics)) out.set(stream, high);
    return out;
  }

  /** The high watermark of an assigned partition, as a position; undefined for a partition not assigned here. */
  endOf(stream: string): string | undefined {
    const tracker = this.#trackers.get(stream);
    return tracker ? formatPosition(tracker.highWatermark) : undefined;
  }

  /** The topic id of an assigned partition (a recreated topic has a new one); undefined when not assigned here. */
  incarnationOf(stream: string): string | undefined {
    return this.#topicIds.get(stream);
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
    this.#closing.abort();
    this.#lag.stop();
    this.#buffer.wakeAll();
    this.#wakeLoop?.();
    if (this.#client && !this.#noTopics) this.#log.info({ ...this.stats }, "Kafka source closed");
    await this.#client?.close();
    await this.#loop;
  }

  /**
   * Connects once with a short timeout and one retry, so a wrong or unreachable bootstrap address or bad
   * credentials end the start within seconds with one error naming the addresses (exit 2); an outage after this
   * point is retried as configured.
   */
  async #checkReachable(settings: ClientSettings): Promise<void> {
    const where = `Cannot connect to Kafka at "${this.#options.brokers.join(",")}"`;
    try {
      await KafkaClient.probe(settings);
    } catch (error) {
      if (isAuthenticationError(error)) {
        const { mechanism, username } = this.#options.sasl ?? { mechanism: "?", username: "?" };
        throw new ConfigError(`${where}: SASL authentication failed (mechanism ${mechanism}, user "${username}")`, {
          hint: "check source.sasl (mechanism, username, password)",
          cause: error,
        });
      }
      throw new ConfigError(`${where}: ${describeError(error)}`, {
        hint: "check source.bootstrap_servers (host:port of a broker's client listener), TLS and that the brokers run",
        cause: error,
      });
    }
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#closed) return;
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#failure = new Error(`Kafka consumer of group "${this.#options.groupId}" failed: ${describeError(cause)}`, {
      cause,
    });
    this.#log.error({ error: cause }, "Kafka consumer failed");
    this.#buffer.wakeAll();
    this.#wakeLoop?.();
  }

  /** Called by the client right after this member joined the group, with its new assignment. */
  #onAssigned(assignment: ReadonlyMap<string, readonly number[]>, generation: number): void {
    if (this.#trackers.size > 0) void this.#revokeAll("rejoin");
    const ours = ++this.#generation;
    this.#assignmentReady = false;
    this.#log.debug({ generation }, "joined the group");
    this.#prepared = this.#prepare(ours, assignment).then(
      () => {
        if (ours === this.#generation) this.#assignmentReady = true;
        this.#buffer.wakeAll();
        this.#wakeLoop?.();
      },
      (error) => this.#fail(error),
    );
  }

  /** Finds where each newly assigned partition starts (and ends, one-shot), and commits start points of new groups. */
  async #prepare(generation: number, assignment: ReadonlyMap<string, readonly number[]>): Promise<void> {
    await this.#revoking;
    const client = this.#client!;
    const topics = [...assignment].filter(([, partitions]) => partitions.length > 0).map(([topic]) => topic);
    const startFrom = this.#options.startFrom;
    const [committed, watermarks, atTime, ids] = await Promise.all([
      client.committed(assignment),
      client.watermarks(topics),
      startFrom.kind === "timestamp" ? client.offsetsAtTime(topics, startFrom.ms) : new Map<string, bigint>(),
      client.topicIds(topics, true),
    ]);
    const trackers: PartitionTracker[] = [];
    const startCommits: { tracker: PartitionTracker; offset: bigint }[] = [];
    for (const topic of topics) {
      for (const partition of assignment.get(topic) ?? []) {
        const stream = streamName(topic, partition);
        const marks = watermarks.get(stream) ?? { low: 0n, high: 0n };
        const offsets = { committed: committed.get(stream) ?? null, ...marks, atTime: atTime.get(stream) ?? null };
        const decision = startOffset(offsets, startFrom);
        if (decision.kind === "past_end") {
          this.stats.resets++;
          this.#log.warn(
            { topic, partition, committed: decision.committed, end: offsets.high },
            "committed offset is past the end of the partition (topic deleted and recreated?): reading it from its start",
          );
        }
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
    for (const tracker of trackers) {
      this.#trackers.set(tracker.stream, tracker);
      const id = ids.get(tracker.topic);
      if (id) this.#topicIds.set(tracker.stream, id);
    }
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
    this.#topicIds.clear();
    this.stats.revocations++;
    this.#revoked.resolve();
    this.#revoked = Promise.withResolvers<void>();
    const dropped = this.#buffer.drop(new Set(streams));
    this.#log.info({ reason, partitions: streams.length, dropped }, "partitions revoked");
    const listener = this.#listener;
    this.#revoking = this.#revoking
      .then(() => listener?.revoked(streams))
      .catch((error) => this.#fail(error));
    return this.#revoking;
  }

  /**
   * Commits `offset` for the partition. A commit still in flight when the partition is revoked stops being waited
   * for (the library may finish it after its rejoin; the journal deduplicates what the new owner re-reads), so a
   * revocation never waits on its own commit. A commit the brokers cannot take (an outage) is retried every second
   * for up to {@linkcode OUTAGE_LIMIT_MS}, as fetches are: the records are durable already, so only the offset waits.
   * Closing stops the retries; the journal then covers what the next run reads again.
   */
  async #commit(tracker: PartitionTracker, offset: bigint): Promise<void> {
    let failingSince: number | undefined;
    while (true) {
      const client = this.#client;
      if (!client) return;
      const generation = this.#generation;
      const revoked = this.#revoked.promise.then(() => "revoked" as const);
      try {
        return await this.#commitOnce(client, tracker, offset, revoked);
      } catch (error) {
        failingSince ??= Date.now();
        if (Date.now() - failingSince > OUTAGE_LIMIT_MS) {
          throw new Error(`Cannot commit offset ${offset} of ${tracker.stream}: ${describeError(error)}`, {
            cause: error,
          });
        }
        const fields = { stream: tracker.stream, offset, error: describeError(error) };
        if (this.#closed || generation !== this.#generation) {
          this.#log.warn(
            fields,
            "commit not taken before the source stopped: the journal deduplicates what is read again",
          );
          return;
        }
        this.#log.warn(fields, "Kafka commit failed; retrying");
        client.refreshMetadata();
        await Promise.race([sleep(1000, this.#closing.signal), revoked]);
      }
    }
  }

  /**
   * One try of {@linkcode #commit}: resolves once committed, overtaken by a revocation (`revoked` settles first) or
   * refused by a rebalance; throws what the brokers answered otherwise.
   */
  async #commitOnce(
    client: KafkaClient,
    tracker: PartitionTracker,
    offset: bigint,
    revoked: Promise<"revoked">,
  ): Promise<void> {
    const generation = this.#generation;
    try {
      const outcome = await Promise.race([
        client.commit([{ topic: tracker.topic, partition: tracker.partition, offset }]).then(() => "done" as const),
        revoked,
      ]);
      if (outcome === "revoked" || generation !== this.#generation) {
        this.#log.debug({ stream: tracker.stream, offset }, "commit overtaken by a rebalance");
        return;
      }
      tracker.committedTo(offset);
      this.#log.debug({ stream: tracker.stream, offset }, "committed");
    } catch (error) {
      if (!isRebalanceError(error)) throw error;
      this.#log.warn(
        { stream: tracker.stream, offset, error },
        "commit refused during a rebalance: the records will be read again and deduplicated by the journal",
      );
    }
  }

  /** Fetches the assigned partitions into the buffer until closed or failed. */
  async #fetchLoop(): Promise<void> {
    let failingSince: number | undefined;
    while (!this.#closed && !this.#failure) {
      if (!this.#assignmentReady) {
        await this.#nap(IDLE_MS);
        continue;
      }
      if (!this.#buffer.hasRoom()) {
        await this.#buffer.waitForRoom(ROOM_POLL_MS);
        continue;
      }
      const generation = this.#generation;
      const wanted = [...this.#trackers.values()]
        .filter((t) => !t.caughtUp)
        .map((t) => ({ topic: t.topic, partition: t.partition, offset: t.nextOffset }));
      if (wanted.length === 0) {
        await this.#nap(IDLE_MS);
        continue;
      }
      let fetched: FetchedPartition[];
      try {
        fetched = await this.#client!.fetch(wanted);
        failingSince = undefined;
      } catch (error) {
        if (this.#closed) return;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > OUTAGE_LIMIT_MS) {
          this.#fail(new Error(`fetches failed for ${OUTAGE_LIMIT_MS / 1000} s: ${describeError(error)}`));
          return;
        }
        this.#log.warn({ error: describeError(error) }, "Kafka fetch failed; retrying");
        this.#client?.refreshMetadata();
        await this.#nap(1000);
        continue;
      }
      if (generation !== this.#generation || this.#closed) continue;
      const asked = new Map(wanted.map((w) => [streamName(w.topic, w.partition), w.offset]));
      for (const partition of fetched) {
        const stream = streamName(partition.topic, partition.partition);
        const from = asked.get(stream);
        const tracker = this.#trackers.get(stream);
        if (from === undefined || !tracker || tracker.nextOffset !== from) continue;
        await this.#onFetched(tracker, partition, from);
        if (generation !== this.#generation) break;
      }
    }
  }

  /** Hands over what a fetch returned for one partition, or acts on its error. */
  async #onFetched(tracker: PartitionTracker, fetched: FetchedPartition, from: bigint): Promise<void> {
    const { topic, partition } = tracker;
    if (fetched.errorCode !== 0) return await this.#onFetchError(tracker, fetched.errorCode);
    const knownId = this.#topicIds.get(tracker.stream);
    if (knownId && fetched.topicId && fetched.topicId !== knownId) {
      return await this.#restart(tracker, "the topic was deleted and recreated (new topic id)", fetched.topicId);
    }
    tracker.highWatermark = fetched.highWatermark;
    const records = fetched.records;
    let i = 0;
    while (i < records.length && records[i]!.offset < from) i++;
    const firstRecord = records[i];
    const lastRecord = records[records.length - 1];
    const until = tracker.end;
    if (!firstRecord || !lastRecord) {
      // Nothing but transaction markers or aborted records: the position still moves.
      if (fetched.nextOffset !== null && fetched.nextOffset > from) {
        tracker.fetched(until !== null && fetched.nextOffset > until ? until - 1n : fetched.nextOffset - 1n);
      }
      return;
    }
    const check = tracker.checkBatch(firstRecord.offset, lastRecord.offset);
    if (check.kind === "past_end") {
      if (until !== null) tracker.fetched(until - 1n);
      return;
    }
    if (check.kind !== "deliver") return;
    const messages: SourceMessage[] = [];
    const origin = {
      fields: this.#fields,
      topic,
      partition,
      stream: tracker.stream,
      skipTombstones: this.#config.tombstones === "skip",
    };
    for (; i < records.length; i++) {
      const record = records[i]!;
      const offset = record.offset;
      if (offset < check.from) continue;
      if (until !== null && offset >= until) break;
      if (record.value === null) this.stats.tombstones++;
      tracker.delivered(offset);
      messages.push(toSourceMessage(record, origin));
    }
    this.#buffer.push(messages);
    const last = (fetched.nextOffset ?? lastRecord.offset + 1n) - 1n;
    tracker.fetched(until !== null && last >= until ? until - 1n : last);
  }

  async #onFetchError(tracker: PartitionTracker, code: number): Promise<void> {
    const client = this.#client!;
    if (code === FetchErrors.OFFSET_OUT_OF_RANGE) {
      const marks = (await client.watermarks([tracker.topic])).get(tracker.stream);
      if (!marks) return;
      if (tracker.nextOffset > marks.high) {
        return await this.#restart(tracker, "offsets went backwards (topic deleted and recreated?)");
      }
      if (tracker.nextOffset < marks.low) {
        this.#log.warn(
          { stream: tracker.stream, from: tracker.nextOffset, low: marks.low, lost: marks.low - tracker.nextOffset },
          "records were deleted by retention before they were read: reading on from the oldest retained record",
        );
        tracker.skipTo(marks.low);
      }
      return;
    }
    client.refreshMetadata();
    if (code === FetchErrors.UNKNOWN_TOPIC_OR_PARTITION || code === FetchErrors.UNKNOWN_TOPIC_ID) {
      const id = (await client.topicIds([tracker.topic], true)).get(tracker.topic);
      const knownId = this.#topicIds.get(tracker.stream);
      if (id && knownId && id !== knownId) {
        return await this.#restart(tracker, "the topic was deleted and recreated (new topic id)", id);
      }
      this.#log.debug({ stream: tracker.stream, code }, "topic or partition unknown to the broker; retrying");
      await this.#nap(500);
      return;
    }
    this.#log.debug({ stream: tracker.stream, code }, "fetch error on a partition; retrying");
  }

  /** The partition's log was replaced: read it again from its new start (a one-shot run's end moves to its end). */
  async #restart(tracker: PartitionTracker, why: string, newTopicId?: string): Promise<void> {
    const generation = this.#generation;
    const client = this.#client!;
    const [watermarks, ids] = await Promise.all([
      client.watermarks([tracker.topic]),
      newTopicId ? new Map([[tracker.topic, newTopicId]]) : client.topicIds([tracker.topic], true),
    ]);
    const marks = watermarks.get(tracker.stream) ?? { low: 0n, high: 0n };
    if (generation !== this.#generation) return;
    const id = ids.get(tracker.topic);
    if (id) this.#topicIds.set(tracker.stream, id);
    this.stats.resets++;
    this.#log.warn(
      { topic: tracker.topic, partition: tracker.partition, expected: tracker.nextOffset, from: marks.low },
      `${why}: reading the partition from its start`,
    );
    tracker.resetTo(marks.low, marks.high);
    tracker.highWatermark = marks.high;
    if (tracker.end !== null) this.#endAtStart.set(tracker.stream, tracker.end);
  }

  #nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeLoop = done;
    });
  }

  /**
   * One-shot, own partitions done: whether every other partition that had records at start is committed by the group
   * up to its end at start. Partitions still held by another member (a dead one whose session has not expired, or
   * another instance still writing) are waited for, the group asked at most once a second; the wait fails once the
   * group's commits for them have not moved for the session timeout plus a margin (then the run ends as incomplete).
   */
  async #othersCaughtUp(): Promise<boolean> {
    const now = Date.now();
    const wait = this.#waitingElsewhere;
    if (wait?.done) return true;
    if (wait && now - wait.checkedAt < OTHERS_POLL_MS) return false;
    const partitions = new Map<string, number[]>();
    for (const stream of this.#offsetsAtStart.keys()) {
      const { topic, partition } = parseStream(stream);
      partitions.set(topic, [...partitions.get(topic) ?? [], partition]);
    }
    const committed = await this.#client!.committed(partitions);
    const waiting = unfinishedElsewhere(this.#offsetsAtStart, new Set(this.#trackers.keys()), committed);
    if (waiting.length === 0) {
      if (wait) this.#log.info({}, "partitions of other members are committed to their end at start");
      this.#waitingElsewhere = { since: now, seen: "", checkedAt: now, done: true };
      return true;
    }
    const seen = waiting.map((s) => `${s}@${committed.get(s) ?? "none"}`).join(",");
    const limitMs = this.#sessionTimeoutMs() + OTHERS_MARGIN_MS;
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

  #sessionTimeoutMs(): number {
    const session = this.#options.consumer.sessionTimeout;
    return typeof session === "number" ? session : DEFAULT_SESSION_TIMEOUT_MS;
  }

  #caughtUp(): boolean {
    if (!this.#assignmentReady || this.#buffer.size > 0) return false;
    for (const tracker of this.#trackers.values()) if (!tracker.caughtUp) return false;
    return true;
  }

  /** Per topic: records delivered, and the records to read (one-shot) or the committed lag (continuous). */
  progress(): SourceProgress[] {
    return progressSnapshot({
      topics: this.#topics,
      trackers: this.#trackers.values(),
      doneByStream: this.#doneByStream,
      oneShot: this.#untilCaughtUp,
      caughtUp: this.#untilCaughtUp && this.#caughtUp(),
      lags: this.#untilCaughtUp ? new Map() : this.#lag.lags(),
    });
  }
}
