/**
 * Reads Redis streams through a consumer group. On start, each key first re-delivers this consumer's own pending
 * entries (XREADGROUP from id 0), then entries left pending by dead consumers are taken over, then new entries
 * (`>`) are read. Entries are acknowledged (XACK, pipelined, many ids per command) only when the pipeline says their
 * files are durable.
 *
 * Stream names: what consumer `c` reads from key `k` is the pipeline stream `k+c`, so each instance keeps its own
 * checkpoint journal. Entries of a dead consumer `d` are claimed with XCLAIM *for `d` itself* (which resets their
 * idle time but keeps them in `d`'s pending list) and delivered as stream `k+d`: the pipeline then finds `d`'s
 * journal, skips what `d` had already written, and a crash of the adopter leaves the entries with `d`, where the next
 * adopter (or `d` come back) finds them again. An instance keeps the entries it holds fresh (XCLAIM JUSTID to their
 * owner), and holds a lease per key (see `leases.ts`): another consumer's entries are taken over only with that
 * consumer's lease, so live work is never taken over and a consumer that comes back waits for its adopter.
 * @module
 */
import type { SourceMessage } from "../../core/source.ts";
import type { Logger } from "../../core/logger.ts";
import { isReplyError, type RedisClient, type RedisCommand, replyBytes, replyText } from "./client.ts";
import { comparePositions, streamIdTimestampMs, streamNameOf } from "./ids.ts";
import { leaseKeyOf, type Leases, readerLeases } from "./leases.ts";

/** Ids per XACK / XCLAIM command; several commands go in one round trip. */
const IDS_PER_COMMAND = 1000;
/** Idle entries looked at per XPENDING call. */
const PENDING_PAGE = 500;

/** Options of {@linkcode StreamReader}. */
export interface StreamReaderOptions {
  /** Connection for non-blocking commands and acknowledgements. */
  readonly client: RedisClient;
  /** Opens the connection used for blocking reads (so acknowledgements never wait behind them). */
  readonly openBlockingClient: () => Promise<RedisClient>;
  /** Stream keys. */
  readonly keys: readonly string[];
  /** Consumer group. */
  readonly group: string;
  /** This instance's consumer name. */
  readonly consumer: string;
  /** Where a group created here starts. */
  readonly startId: string;
  /** Idle time after which another consumer's pending entries are taken over; 0: never. */
  readonly claimIdleMs: number;
  /** Entry field holding an encoded payload, if any. */
  readonly payloadField?: string;
  /** Drain what is there at start, then report drained. */
  readonly oneShot: boolean;
  /** Identifies this run (see `leases.ts`). */
  readonly runId: string;
  /** Where a run of this consumer is connected from while alive (see `leases.ts`). */
  readonly findLiveRun: (runId: string) => Promise<string | undefined>;
  /** Logger. */
  readonly log: Logger;
}

/** Per key: where the reader is. */
interface KeyState {
  readonly key: string;
  /** The pipeline stream of this instance's entries of the key. */
  readonly stream: string;
  /** Re-reading own pending entries (from `cursor`), then reading new ones. */
  phase: "pending" | "live";
  /** Last own entry id handed out (`0`: none): own pending entries after it were never handed out. */
  cursor: string;
  /** One-shot: the last entry id at start (undefined: the stream was empty). */
  endId?: string;
  /** One-shot: nothing more to read from this key. */
  drained: boolean;
}

/** Entries handed out but not yet acknowledged, per pipeline stream, kept fresh so no one takes them over. */
interface InFlight {
  readonly key: string;
  readonly owner: string;
  ids: string[];
}

/** An idle consumer whose entries this instance hands out (it holds that consumer's lease). */
interface Adopted {
  readonly key: string;
  readonly owner: string;
  /** The pipeline stream of the owner's entries. */
  readonly stream: string;
  /** Last pending id of the owner handed out; `-` before the first. */
  cursor: string;
  /** Every pending entry of the owner was handed out. */
  walked: boolean;
}

/** A stream entry as it came from Redis. */
export interface RawEntry {
  readonly id: string;
  /** Field-value pairs; null when the entry was deleted while pending. */
  readonly pairs: readonly unknown[] | null;
}

/** The stream half of the redis source. */
export class StreamReader {
  readonly #o: StreamReaderOptions;
  readonly #keys: KeyState[];
  readonly #inflight = new Map<string, InFlight>();
  readonly #streams = new Map<string, { key: string; owner: string }>();
  #claimDueAt = 0;
  #blockingClient?: RedisClient;
  #blocking?: Promise<void>;
  #heartbeat?: ReturnType<typeof setInterval>;
  #closed = false;
  readonly #leases?: Leases;
  /** Idle consumers whose lease we hold, by their stream name `<key>+<owner>`. */
  readonly #adopted = new Map<string, Adopted>();

  constructor(options: StreamReaderOptions) {
    this.#o = options;
    this.#leases = readerLeases(options);
    this.#keys = options.keys.map((key) => ({
      key,
      stream: streamNameOf(key, options.consumer),
      phase: "pending",
      cursor: "0",
      drained: false,
    }));
  }

  /** Creates the groups (and empty streams) and, in one-shot mode, notes where each stream ends now. */
  async start(): Promise<void> {
    await this.#ensureGroups();
    for (const { key } of this.#keys) {
      await this.#leases?.acquireOwn(leaseKeyOf(key, this.#o.group, this.#o.consumer), `stream "${key}"`);
    }
    if (this.#o.oneShot) {
      const replies = await this.#o.client.batch(this.#keys.map((k) => ["XREVRANGE", k.key, "+", "-", "COUNT", 1]));
      this.#keys.forEach((state, i) => {
        const last = (replies[i] as unknown[][])[0];
        state.endId = last ? replyText(last[0]) : undefined;
        // Nothing was there at start: only own pending entries (read first) can come from this key.
        if (state.endId === undefined) state.drained = true;
      });
    }
    if (this.#o.claimIdleMs > 0) {
      const every = Math.max(100, Math.floor(this.#o.claimIdleMs / 3));
      const timer = setInterval(() => this.#refresh().catch(() => {}), every);
      Deno.unrefTimer(timer);
      this.#heartbeat = timer;
    }
  }

  async #ensureGroups(): Promise<void> {
    for (const { key } of this.#keys) {
      try {
        await this.#o.client.call("XGROUP", "CREATE", key, this.#o.group, this.#o.startId, "MKSTREAM");
        this.#o.log.info({ key, group: this.#o.group, start_id: this.#o.startId }, "Created consumer group");
      } catch (error) {
        if (!isReplyError(error, "BUSYGROUP")) {
          throw new Error(`Cannot create consumer group "${this.#o.group}" on stream "${key}": ${msg(error)}`, {
            cause: error,
          });
        }
      }
    }
  }

  /** True in one-shot mode once every key was read up to where it ended at start, and all was handed out. */
  drained(): boolean {
    return this.#keys.every((k) => k.drained && k.phase === "live") &&
      [...this.#adopted.values()].every((a) => a.walked);
  }

  /**
   * One-shot, drained: the entries of the group still pending at other consumers, which this run did not take.
   * `waiting` when one of those consumers is a live run (its lease names a run that `isLive` finds connected): its entries are
   * being written, so the run waits for them. Otherwise `held` has one line per key and dead consumer whose entries may
   * not be taken over yet (idle less than `claim_idle_ms`, or takeover off); empty when all is drained.
   */
  async heldElsewhere(
    isLive: (owner: string, runId: string) => Promise<boolean>,
  ): Promise<{ readonly waiting: boolean; readonly held: string[] }> {
    const { client, group, consumer, claimIdleMs } = this.#o;
    const held: string[] = [];
    for (const { key } of this.#keys) {
      const rows = await client.call("XINFO", "CONSUMERS", key, group) as unknown[][];
      const others = pendingElsewhere(rows, {
        consumer,
        handedOut: (owner) => this.#adopted.has(streamNameOf(key, owner)),
      });
      for (const { owner, pending, idleMs } of others) {
        const reply = await client.call("GET", leaseKeyOf(key, group, owner));
        const lease = reply === null || reply === undefined ? "" : replyText(reply);
        const run = lease.includes("#") ? lease.slice(lease.lastIndexOf("#") + 1) : "";
        if (run && await isLive(owner, run)) return { waiting: true, held: [] };
        held.push(
          `stream "${key}": ${pending} ${pending === 1 ? "entry" : "entries"} pending at consumer "${owner}" ` +
            `(idle ${idleMs} ms; taken over after claim_idle_ms ${claimIdleMs})`,
        );
      }
    }
    return { waiting: false, held };
  }

  /** Takes up to `max` entries without blocking; empty when there is nothing now. */
  async fetch(max: number): Promise<SourceMessage[]> {
    try {
      return await this.#fetch(max);
    } catch (error) {
      // The group vanished (the key was deleted, or Redis came back without its data): create it again.
      if (isReplyError(error, "NOGROUP")) await this.#ensureGroups().catch(() => {});
      throw error;
    }
  }

  /**
   * Every read is safe to repeat: own entries are read from a cursor (the last id handed out), so entries a lost
   * reply left in our pending list are found by the next read, before any newer entry, and stream order holds.
   */
  async #fetch(max: number): Promise<SourceMessage[]> {
    for (const state of this.#keys) {
      if (state.phase !== "pending") continue;
      const out = await this.#readOwnPending(state, max);
      if (out.length > 0) return this.#handOut(out);
    }
    if (this.#leases && Date.now() >= this.#claimDueAt) {
      this.#claimDueAt = this.#o.oneShot ? Infinity : Date.now() + Math.max(1000, this.#o.claimIdleMs / 2);
      await this.#findIdleConsumers();
    }
    for (const adopted of this.#adopted.values()) {
      if (adopted.walked) continue;
      const out = await this.#walkAdopted(adopted, max);
      if (out.length > 0) return this.#handOut(out);
    }
    const live = this.#keys.filter((k) => !k.drained);
    if (live.length === 0) return [];
    const { group, consumer } = this.#o;
    const count = Math.max(1, Math.ceil(max / live.length));
    const keys = live.map((k) => k.key);
    const [behind, fresh] = await this.#o.client.batchBinary([
      ["XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", ...keys, ...live.map((k) => k.cursor)],
      ["XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", ...keys, ...live.map(() => ">")],
    ]);
    const old = parseStreamReply(behind);
    const out: SourceMessage[] = [];
    const added = parseStreamReply(fresh);
    for (const state of live) {
      // Entries behind come first; while there are any, what `>` took stays pending after them and comes next.
      const behindEntries = old.get(state.key) ?? [];
      const entries = behindEntries.length > 0 ? behindEntries : added.get(state.key) ?? [];
      if (entries.length > 0) state.cursor = entries[entries.length - 1]!.id;
      const gone = entries.filter((e) => e.pairs === null).map((e) => e.id);
      if (gone.length > 0) await this.#o.client.batch(xackCommands(state.key, group, gone));
      const present = entries.filter((e) => e.pairs !== null);
      for (const e of present) out.push(this.#toMessage(state.key, consumer, state.stream, e));
      if (this.#o.oneShot) {
        const last = present[present.length - 1]?.id;
        if (last === undefined || state.endId === undefined || comparePositions(last, state.endId) >= 0) {
          state.drained = true;
        }
      }
    }
    return this.#handOut(out);
  }

  /** Re-reads this consumer's pending entries of one key, after `state.cursor`. */
  async #readOwnPending(state: KeyState, max: number): Promise<SourceMessage[]> {
    const { group, consumer, client } = this.#o;
    const reply = await client.callBinary(
      "XREADGROUP",
      "GROUP",
      group,
      consumer,
      "COUNT",
      max,
      "STREAMS",
      state.key,
      state.cursor,
    );
    const entries = parseStreamReply(reply).get(state.key) ?? [];
    if (entries.length === 0) {
      state.phase = "live";
      this.#o.log.debug({ key: state.key }, "Own pending entries re-read");
      return [];
    }
    const gone = entries.filter((e) => e.pairs === null).map((e) => e.id);
    if (gone.length > 0) {
      // Deleted or trimmed while pending: nothing to deliver, so nothing to wait for.
      this.#o.log.warn({ key: state.key, count: gone.length }, "Pending entries were deleted; acknowledging them");
      await client.batch(xackCommands(state.key, group, gone));
    }
    state.cursor = entries[entries.length - 1]!.id;
    return entries.filter((e) => e.pairs !== null).map((e) => this.#toMessage(state.key, consumer, state.stream, e));
  }

  /** Finds consumers idle longer than `claimIdleMs` with pending entries, and takes their lease (see module doc). */
  async #findIdleConsumers(): Promise<void> {
    const { client, group, consumer, claimIdleMs, log } = this.#o;
    for (const { key } of this.#keys) {
      const rows = await client.call("XINFO", "CONSUMERS", key, group) as unknown[][];
      const candidates = idleConsumers(rows, {
        consumer,
        claimIdleMs,
        // A stream handed out once in this run is not taken again: the pipeline consults its journal only at first.
        handedOut: (owner) =>
          this.#adopted.has(streamNameOf(key, owner)) || this.#streams.has(streamNameOf(key, owner)),
      });
      for (const { owner, pending } of candidates) {
        if (!(await this.#leases!.tryTake(leaseKeyOf(key, group, owner)))) continue;
        log.info({ key, owner, pending }, "Taking over the entries of an idle consumer");
        const stream = streamNameOf(key, owner);
        this.#adopted.set(stream, { key, owner, stream, cursor: "-", walked: false });
      }
    }
  }

  /** Hands out the next pending entries of an adopted consumer, in id order, claimed for that consumer. */
  async #walkAdopted(adopted: Adopted, max: number): Promise<SourceMessage[]> {
    const { client, group } = this.#o;
    const { key, owner, stream } = adopted;
    const start = adopted.cursor === "-" ? "-" : `(${adopted.cursor}`;
    const rows = await client.call("XPENDING", key, group, start, "+", Math.min(max, PENDING_PAGE), owner) as [
      string,
      ...unknown[],
    ][];
    if (rows.length === 0) {
      adopted.walked = true;
      await this.#releaseIfDone(stream);
      return [];
    }
    const ids = rows.map((r) => r[0]);
    // XCLAIM to the owner itself (min idle 0: we hold its lease) returns the entries and keeps them in its list.
    const entries = parseEntries(await client.callBinary("XCLAIM", key, group, owner, 0, ...ids));
    adopted.cursor = ids[ids.length - 1]!;
    return entries.filter((e) => e.pairs !== null).map((e) => this.#toMessage(key, owner, stream, e));
  }

  /**
   * Waits up to `ms` for a new entry on any key, without taking it (XREAD on its own connection; the next fetch
   * reads it through the group); returns early on abort.
   */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#closed || this.#keys.every((k) => k.drained)) return;
    if (!this.#blocking) this.#blocking = this.#blockingWait(ms).finally(() => this.#blocking = undefined);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([this.#blocking, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort!);
    }
  }

  async #blockingWait(ms: number): Promise<void> {
    try {
      this.#blockingClient ??= await this.#o.openBlockingClient();
      const keys = this.#keys.map((k) => k.key);
      const block = Math.max(1, Math.floor(ms));
      await this.#blockingClient.call("XREAD", "COUNT", 1, "BLOCK", block, "STREAMS", ...keys, ...keys.map(() => "$"));
    } catch (error) {
      if (!this.#closed) this.#o.log.debug({ error }, "Blocking stream wait failed");
    }
  }

  /** Acknowledges entries of one pipeline stream; false when the stream is not one of ours. */
  async ack(stream: string, positions: readonly string[]): Promise<boolean> {
    const target = this.#streams.get(stream);
    if (!target) return false;
    if (positions.length === 0) return true;
    await this.#o.client.batch(xackCommands(target.key, this.#o.group, positions));
    const flight = this.#inflight.get(stream);
    if (flight) {
      const last = positions[positions.length - 1]!;
      if (flight.ids[flight.ids.length - 1] === last) {
        flight.ids = [];
      } else {
        const keep = flight.ids.findIndex((id) => comparePositions(id, last) > 0);
        flight.ids = keep < 0 ? [] : flight.ids.slice(keep);
      }
    }
    await this.#releaseIfDone(stream);
    return true;
  }

  /** Gives an adopted consumer's lease back once all its entries were handed out and acknowledged. */
  async #releaseIfDone(stream: string): Promise<void> {
    const adopted = this.#adopted.get(stream);
    if (!adopted?.walked || (this.#inflight.get(stream)?.ids.length ?? 0) > 0) return;
    const left = await this.#o.client.call("XPENDING", adopted.key, this.#o.group, "-", "+", 1, adopted.owner);
    if ((left as unknown[]).length > 0) return;
    this.#adopted.delete(stream);
    await this.#leases?.release(leaseKeyOf(adopted.key, this.#o.group, adopted.owner));
    this.#o.log.info({ key: adopted.key, owner: adopted.owner }, "Finished an idle consumer's entries");
  }

  /** Resets the idle time of every entry handed out and not yet acknowledged, keeping their owner. */
  async #refresh(): Promise<void> {
    const commands: RedisCommand[] = [];
    for (const flight of this.#inflight.values()) {
      for (let i = 0; i < flight.ids.length; i += IDS_PER_COMMAND) {
        const ids = flight.ids.slice(i, i + IDS_PER_COMMAND);
        commands.push(["XCLAIM", flight.key, this.#o.group, flight.owner, 0, ...ids, "JUSTID"]);
      }
    }
    await this.#o.client.batch(commands);
  }

  /** Describes a message of this reader. */
  describe(message: SourceMessage): string | undefined {
    const target = this.#streams.get(message.stream);
    if (!target) return undefined;
    return describeStreamEntry(target.key, message.position, this.#o.group, target.owner);
  }

  /** Stops the heartbeat and closes the blocking connection. */
  close(): void {
    this.#closed = true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#leases?.stop();
    this.#blockingClient?.close();
  }

  /** Records messages as in flight and returns them. */
  #handOut(messages: SourceMessage[]): SourceMessage[] {
    for (const m of messages) {
      let flight = this.#inflight.get(m.stream);
      if (!flight) {
        const target = this.#streams.get(m.stream)!;
        flight = { key: target.key, owner: target.owner, ids: [] };
        this.#inflight.set(m.stream, flight);
      }
      flight.ids.push(m.position);
    }
    return messages;
  }

  /** `stream`: the pipeline stream of `key` read for `owner`, kept by the caller (not a new string per entry). */
  #toMessage(key: string, owner: string, stream: string, entry: RawEntry): SourceMessage {
    if (!this.#streams.has(stream)) this.#streams.set(stream, { key, owner });
    return streamEntryMessage(key, owner, entry, this.#o.payloadField, stream);
  }
}

/**
 * The pipeline's message for a stream entry read for consumer `owner`: stream `<key>+<owner>`, the entry id as
 * position, metadata key, id and the time the id encodes; the `payloadField` value as the payload to decode, else
 * the entry's fields as columns. Pure; also used by `preview` (`peek.ts`).
 */
export function streamEntryMessage(
  key: string,
  owner: string,
  entry: RawEntry,
  payloadField: string | undefined,
  stream = streamNameOf(key, owner),
): SourceMessage {
  const timestampMs = streamIdTimestampMs(entry.id);
  const metadata = [key, entry.id, timestampMs];
  const pairs = entry.pairs ?? [];
  if (payloadField !== undefined) {
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      if (replyText(pairs[i]) === payloadField) {
        return { stream, dataset: key, position: entry.id, value: replyBytes(pairs[i + 1]), metadata, timestampMs };
      }
    }
  }
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) fields[replyText(pairs[i])] = replyText(pairs[i + 1]);
  return { stream, dataset: key, position: entry.id, value: null, metadata, timestampMs, fields };
}

/** Describes a stream entry for errors: `redis stream "k" entry 1-0 (group "g", consumer "c")`. Pure. */
export function describeStreamEntry(key: string, id: string, group: string, owner: string): string {
  return `redis stream "${key}" entry ${id} (group "${group}", consumer "${owner}")`;
}

/** A consumer whose pending entries may be taken over, as {@linkcode idleConsumers} found it. */
export interface IdleConsumer {
  /** Consumer name. */
  readonly owner: string;
  /** Entries pending with it. */
  readonly pending: number;
}

/** What {@linkcode idleConsumers} needs besides the reply. */
export interface IdleConsumerQuery {
  /** This instance's consumer name, never taken over. */
  readonly consumer: string;
  /** Idle time from which a consumer counts as dead. */
  readonly claimIdleMs: number;
  /** True for a consumer whose stream this run already handed out (it is not taken again). */
  readonly handedOut: (owner: string) => boolean;
}

/**
 * The consumers of an `XINFO CONSUMERS` reply whose entries may be taken over, in reply order: another consumer,
 * not handed out yet in this run, with pending entries, idle for at least `claimIdleMs`. Taking one still needs its
 * lease. Pure.
 */
export function idleConsumers(rows: readonly unknown[][], query: IdleConsumerQuery): IdleConsumer[] {
  const found: IdleConsumer[] = [];
  for (const row of rows) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
    const owner = String(info.get("name"));
    if (owner === query.consumer || query.handedOut(owner)) continue;
    const pending = Number(info.get("pending"));
    if (pending === 0 || Number(info.get("idle")) < query.claimIdleMs) continue;
    found.push({ owner, pending });
  }
  return found;
}

/** Parses an XREADGROUP / XREAD reply into entries per key, in order. */
export function parseStreamReply(reply: unknown): Map<string, RawEntry[]> {
  const result = new Map<string, RawEntry[]>();
  if (reply === null || reply === undefined) return result;
  for (const item of reply as unknown[][]) {
    result.set(replyText(item[0]), parseEntries(item[1]));
  }
  return result;
}

/** Parses a list of `[id, [field, value, ...] | null]` entries (XRANGE, XCLAIM, one key of XREADGROUP). */
export function parseEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: RawEntry[] = [];
  for (const e of reply) {
    if (Array.isArray(e)) entries.push({ id: replyText(e[0]), pairs: Array.isArray(e[1]) ? e[1] : null });
  }
  return entries;
}

/** XACK commands for many ids of one key, `IDS_PER_COMMAND` ids each. */
function xackCommands(key: string, group: string, ids: readonly string[]): RedisCommand[] {
  const commands: RedisCommand[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
    commands.push(["XACK", key, group, ...ids.slice(i, i + IDS_PER_COMMAND)]);
  }
  return commands;
}

function msg(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A consumer of an `XINFO CONSUMERS` reply holding entries this run did not take, as {@linkcode pendingElsewhere} found it. */
export interface HeldEntries {
  readonly owner: string;
  readonly pending: number;
  readonly idleMs: number;
}

/**
 * The other consumers of an `XINFO CONSUMERS` reply that still hold pending entries this run did not take over
 * (`handedOut` false), in reply order. Pure.
 */
export function pendingElsewhere(
  rows: readonly unknown[][],
  query: Pick<IdleConsumerQuery, "consumer" | "handedOut">,
): HeldEntries[] {
  const found: HeldEntries[] = [];
  for (const row of rows) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
    const owner = String(info.get("name"));
    const pending = Number(info.get("pending"));
    if (owner === query.consumer || pending === 0 || query.handedOut(owner)) continue;
    found.push({ owner, pending, idleMs: Number(info.get("idle")) });
  }
  return found;
}
