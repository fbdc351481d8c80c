/**
 * The redis source: Redis streams read through a consumer group ({@linkcode StreamReader}, `streams.ts`) and Redis
 * lists consumed as reliable queues ({@linkcode ListReader}, `lists.ts`), in one source; leases in `leases.ts`, the
 * client in `client.ts`, the configuration in `config.ts`, the plugin declaration in `mod.ts`.
 *
 * Delivery: an entry or item is acknowledged in Redis (XACK, or removal from the processing list) only after the
 * pipeline reports its file durable, and a restart re-delivers what was not acknowledged with the same stream name
 * and position, so the pipeline's journal keeps a restart from writing anything twice. Stream names are
 * `<key>+<consumer>`: each consumer has its own journal, and a dead consumer's work is handed out under its own name
 * by whichever instance holds its lease. Every Redis read is safe to repeat, so a lost reply (a connection cut, Redis
 * restarting) neither skips nor reorders anything.
 * @module
 */
import type {
  MetadataColumn,
  ReadOptions,
  ReadResult,
  Source,
  SourceContext,
  SourceMessage,
  SourceProgress,
} from "../../core/source.ts";
import type { Logger } from "../../core/logger.ts";
import { backoffDelay, sleep } from "../../core/retry.ts";
import { RedisClient } from "./client.ts";
import { type Config, resolveConsumerName, resolveEndpoint } from "./config.ts";
import { comparePositions, streamNameOf } from "./ids.ts";
import { liveConnectionAddress } from "./leases.ts";
import { RedisLag } from "./lag.ts";
import { ListReader } from "./lists.ts";
import { StreamReader } from "./streams.ts";

/** Metadata column names. */
export const REDIS_KEY_COLUMN = "redis_key";
export const REDIS_ID_COLUMN = "redis_id";
export const REDIS_TIMESTAMP_COLUMN = "redis_timestamp";

/** Metadata columns of every row: the key, the entry id (list: item number), the time a stream id encodes. */
export const REDIS_METADATA_COLUMNS: readonly MetadataColumn[] = [
  { name: REDIS_KEY_COLUMN, type: "utf8" },
  { name: REDIS_ID_COLUMN, type: "utf8" },
  { name: REDIS_TIMESTAMP_COLUMN, type: "timestamp_ms" },
];

/** How long `ack` keeps retrying while Redis is unreachable before giving up. */
const ACK_RETRY_MS = 60_000;
/** One-shot, drained: how often the entries another live run of the group still holds are looked at again. */
const OTHERS_POLL_MS = 500;

/** Options of {@linkcode RedisSource} beyond the config; for tests. */
export interface RedisSourceOptions {
  /** Host name used in the default consumer name; default `Deno.hostname()`. */
  readonly hostname?: string;
  /** Least time between two lag refreshes, ms; default 5000 (see `lag.ts`). */
  readonly lagRefreshMs?: number;
}

/** Reads the configured stream and list keys. */
export class RedisSource implements Source {
  readonly metadataColumns: readonly MetadataColumn[] = REDIS_METADATA_COLUMNS;
  /** This instance's consumer name. */
  readonly consumer: string;
  readonly #config: Config;
  readonly #log: Logger;
  readonly #oneShot: boolean;
  readonly #lagRefreshMs?: number;
  #client?: RedisClient;
  #streams?: StreamReader;
  #lists?: ListReader;
  #lag?: RedisLag;
  #failures = 0;
  #streamsFirst = true;
  /** Messages fetched and not yet handed out. */
  #ready: SourceMessage[] = [];
  /** Entries and items handed to the pipeline since start, per key. */
  readonly #doneByKey = new Map<string, number>();
  /** One-shot: what each key held for this consumer at start (its lag then), per key; unknown keys left out. */
  #totals = new Map<string, number>();
  #prefetch?: Promise<SourceMessage[]>;

  constructor(config: Config, context: SourceContext, options: RedisSourceOptions = {}) {
    this.#config = config;
    this.#log = context.log;
    this.#oneShot = context.untilCaughtUp || !config.continuous;
    this.consumer = resolveConsumerName(config, options.hostname ?? Deno.hostname());
    this.#lagRefreshMs = options.lagRefreshMs;
  }

  async connect(): Promise<void> {
    const config = this.#config;
    const endpoint = resolveEndpoint(config);
    const log = this.#log;
    const runId = crypto.randomUUID().slice(0, 8);
    const prefix = `fsds:${config.consumer_group}:${this.consumer}:`;
    const base = `${prefix}${runId}`;
    const client = await RedisClient.connect({ endpoint, connectionName: base, log });
    this.#client = client;
    const common = {
      client,
      group: config.consumer_group,
      consumer: this.consumer,
      oneShot: this.#oneShot,
      log,
      runId,
      findLiveRun: (run: string) => this.#findConnection(client, `${prefix}${run}`),
    };
    if (config.stream_keys.length > 0) {
      this.#streams = new StreamReader({
        ...common,
        keys: config.stream_keys,
        openBlockingClient: () => client.duplicate(`${base}:streams`),
        startId: config.start_id,
        claimIdleMs: config.claim_idle_ms,
        payloadField: config.payload_field,
      });
      await this.#startOrClose(this.#streams);
    }
    if (config.list_keys.length > 0) {
      this.#lists = new ListReader({
        ...common,
        keys: config.list_keys,
        openBlockingClient: () => client.duplicate(`${base}:lists`),
        popSide: config.list_pop_side,
        claimIdleMs: config.claim_idle_ms,
      });
      await this.#startOrClose(this.#lists);
    }
    this.#lag = new RedisLag({
      client,
      group: config.consumer_group,
      consumer: this.consumer,
      streamKeys: config.stream_keys,
      listKeys: config.list_keys,
      log,
      intervalMs: this.#lagRefreshMs,
    });
    // Primed now, so the first metrics collection already has values; a one-shot run waits for them: they are the
    // totals of its progress.
    this.#lag.lags();
    if (this.#oneShot) {
      await this.#lag.settled();
      const lags = this.#lag.lags();
      for (const key of [...config.stream_keys, ...config.list_keys]) {
        const lag = lags.get(streamNameOf(key, this.consumer));
        if (lag !== undefined) this.#totals.set(key, lag);
      }
    }
    log.info({
      host: endpoint.host,
      port: endpoint.port,
      db: endpoint.db,
      consumer: this.consumer,
      group: config.consumer_group,
      streams: config.stream_keys.length,
      lists: config.list_keys.length,
      one_shot: this.#oneShot,
    }, "Connected to Redis");
  }

  /** Starts a reader; on failure closes everything, so a refused start leaves no connection behind. */
  async #startOrClose(reader: { start(): Promise<void> }): Promise<void> {
    try {
      await reader.start();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /**
   * Where a live connection named `name` (another run's main connection) comes from, or undefined. A connection
   * silent for claim_idle_ms belongs to a dead instance the server has not noticed yet. Undefined when CLIENT LIST is
   * denied.
   */
  /** Whether run `runId` of consumer `owner` of this group has a connection open (see `leases.ts`). */
  async #isLiveRun(owner: string, runId: string): Promise<boolean> {
    const client = this.#client;
    if (!client) return false;
    return await this.#findConnection(client, `fsds:${this.#config.consumer_group}:${owner}:${runId}`) !== undefined;
  }

  async #findConnection(client: RedisClient, name: string): Promise<string | undefined> {
    let replies: unknown[];
    try {
      replies = await client.batch([["CLIENT", "ID"], ["CLIENT", "LIST", "TYPE", "normal"]]);
    } catch (error) {
      this.#log.debug({ error }, "Cannot list clients; taking a lease of our name as left by an earlier run");
      return undefined;
    }
    return liveConnectionAddress(String(replies[1]), {
      name,
      ownId: String(replies[0]),
      claimIdleMs: this.#config.claim_idle_ms,
    });
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    const { maxWaitMs, signal } = options;
    const max = Math.max(1, options.maxMessages);
    let waited = false;
    for (;;) {
      try {
        if (this.#ready.length === 0) {
          const prefetched = this.#prefetch;
          this.#prefetch = undefined;
          this.#ready = prefetched ? await prefetched : await this.#fetch(max);
        }
        this.#failures = 0;
        if (this.#ready.length > 0) {
          const messages = this.#ready.splice(0, max);
          this.#count(messages);
          // A full batch suggests more: read the next one while the pipeline works on this one.
          if (messages.length === max && this.#ready.length === 0 && !signal.aborted) this.#startPrefetch(max);
          return { kind: "messages", messages };
        }
        if (this.#oneShot && this.#drained()) {
          const isLive = (owner: string, run: string) => this.#isLiveRun(owner, run);
          const none = { waiting: false, held: [] };
          const streams = await this.#streams?.heldElsewhere(isLive) ?? none;
          const lists = streams.waiting ? none : await this.#lists?.heldElsewhere(isLive) ?? none;
          const others = { waiting: streams.waiting || lists.waiting, held: [...streams.held, ...lists.held] };
          if (!others.waiting) {
            return others.held.length > 0 ? { kind: "end", incomplete: others.held } : { kind: "end" };
          }
          // Another live run still writes entries or items of the group: wait for it, looking again shortly.
          await sleep(Math.min(maxWaitMs, OTHERS_POLL_MS), signal);
          return { kind: "idle" };
        }
        if (waited || signal.aborted) return { kind: "idle" };
        await this.#wait(Math.min(maxWaitMs, this.#config.block_ms), signal);
        waited = true;
      } catch (error) {
        this.#failures++;
        const delay = backoffDelay(this.#failures, { baseDelayMs: 100, maxDelayMs: 10_000, jitter: false });
        this.#log.warn({ error, attempt: this.#failures, delay_ms: delay }, "Cannot read from Redis; retrying");
        await sleep(delay, signal);
        return { kind: "idle" };
      }
    }
  }

  /**
   * Starts the next fetch in the background. What it takes is safe if the process dies before handing it out:
   * stream entries sit in this consumer's pending list and list items in its processing list, both re-read at start.
   */
  #startPrefetch(max: number): void {
    const next = this.#fetch(max);
    next.catch(() => {/* surfaces when the next read awaits it */});
    this.#prefetch = next;
  }

  /** Takes from streams and lists, alternating which goes first. */
  async #fetch(max: number): Promise<SourceMessage[]> {
    const order = this.#streamsFirst ? [this.#streams, this.#lists] : [this.#lists, this.#streams];
    this.#streamsFirst = !this.#streamsFirst;
    const out: SourceMessage[] = [];
    for (const reader of order) {
      if (!reader || out.length >= max) continue;
      const got = await reader.fetch(max - out.length);
      for (const m of got) out.push(m);
    }
    return out;
  }

  #count(messages: readonly SourceMessage[]): void {
    let key: string | undefined;
    let run = 0;
    for (const message of messages) {
      if (message.dataset !== key) {
        if (key !== undefined) this.#doneByKey.set(key, (this.#doneByKey.get(key) ?? 0) + run);
        key = message.dataset;
        run = 0;
      }
      run++;
    }
    if (key !== undefined) this.#doneByKey.set(key, (this.#doneByKey.get(key) ?? 0) + run);
  }

  #drained(): boolean {
    return (this.#streams?.drained() ?? true) && (this.#lists?.drained() ?? true);
  }

  async #wait(ms: number, signal: AbortSignal): Promise<void> {
    const waits = [this.#streams, this.#lists].filter((r) => r !== undefined).map((r) => r.wait(ms, signal));
    await Promise.race(waits);
  }

  async ack(stream: string, positions: readonly string[]): Promise<void> {
    const started = Date.now();
    for (let attempt = 1;; attempt++) {
      try {
        if (await this.#streams?.ack(stream, positions)) return;
        if (await this.#lists?.ack(stream, positions)) return;
        throw new RangeError(`Cannot acknowledge stream "${stream}": it was not read by this source`);
      } catch (error) {
        if (error instanceof RangeError || Date.now() - started > ACK_RETRY_MS) {
          throw new Error(
            `Cannot acknowledge ${positions.length} entries of "${stream}": ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        const delay = backoffDelay(attempt, { baseDelayMs: 100, maxDelayMs: 5000, jitter: false });
        this.#log.warn({ stream, error, attempt, delay_ms: delay }, "Cannot acknowledge in Redis; retrying");
        await sleep(delay);
      }
    }
  }

  /**
   * Entries waiting for this consumer plus those it holds unacknowledged, per key (stream name `<key>+<consumer>`),
   * as of the last background refresh (at most every few seconds); see `lag.ts`. Never throws.
   */
  lag(): ReadonlyMap<string, number> {
    return this.#lag?.lags() ?? new Map();
  }

  /**
   * Per key (streams, then lists): entries or items handed to the pipeline; one-shot, what the key held for this
   * consumer at start (waiting plus held, as `lag()` counts it; unknown on Redis before 7); continuous, the lag.
   */
  progress(): SourceProgress[] {
    const lags = this.#oneShot ? undefined : this.lag();
    return [...this.#config.stream_keys, ...this.#config.list_keys].map((key) => ({
      label: "key",
      name: key,
      done: this.#doneByKey.get(key) ?? 0,
      total: this.#oneShot ? this.#totals.get(key) ?? null : null,
      lag: lags?.get(streamNameOf(key, this.consumer)) ?? null,
    }));
  }

  comparePositions(a: string, b: string): number {
    return comparePositions(a, b);
  }

  describe(message: SourceMessage): string {
    return this.#streams?.describe(message) ?? this.#lists?.describe(message) ??
      `redis "${message.stream}" position ${message.position}`;
  }

  async close(): Promise<void> {
    this.#lag?.stop();
    this.#streams?.close();
    this.#lists?.close();
    await this.#client?.quit();
  }
}
