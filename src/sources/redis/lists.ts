/**
 * Consumes Redis lists as reliable queues. A Lua script atomically pops items from the source list, numbers them
 * from a per-list counter (INCRBY on `<key>:fsds:seq`) and appends them as `<seq>:<item>` to this consumer's
 * processing list; they leave the processing list only when the pipeline acknowledges them (their file is durable).
 * The number is the item's position, fixed when the item was taken, so a restart re-delivers the processing list's
 * items with the same positions and the pipeline's journal recognises what was already written: nothing is lost
 * and nothing is written twice.
 *
 * When every list is empty, one blocking BLMOVE per list key (each on its own connection) waits for an item and
 * moves it into a per-consumer staging list, which the script drains first; an item is never only in memory.
 *
 * Several instances share a list by each moving items into their own processing list. Each holds a lease per list
 * (`...:<consumer>:lease`, expiring after `claim_idle_ms`, refreshed while alive) and is listed in the list's
 * consumer set. An instance that finds another consumer's lease expired with items left takes the lease and hands
 * that consumer's items out as that consumer's stream (`<key>+<other>`), so the other's journal applies and nothing
 * is written twice; the other, if it comes back, waits for the lease.
 * @module
 */
import type { SourceMessage } from "../../core/source.ts";
import type { Logger } from "../../core/logger.ts";
import { LuaScript, type RedisClient, replyBytes, replyText } from "./client.ts";
import { comparePositions, formatListPosition, parseListPosition, streamNameOf } from "./ids.ts";
import { leaseKeyOf, type Leases, readerLeases } from "./leases.ts";

/** Items read back per LRANGE while recovering a processing list. */
const RECOVER_PAGE = 1000;

/**
 * KEYS: source, staging, processing, counter, last move. ARGV: max items, `LPOP` or `RPOP`, move token.
 * Returns `{first seq, item...}` or an empty array. Safe to repeat: a repeated token returns what that move took
 * (the tail of the processing list) instead of taking more, so a lost reply never leaves items behind unseen.
 */
export const MOVE_SCRIPT = new LuaScript(`
local last = redis.call('GET', KEYS[5])
if last then
  local sep = string.find(last, ':', 1, true)
  if string.sub(last, 1, sep - 1) == ARGV[3] then
    local n = tonumber(string.sub(last, sep + 1))
    if n == 0 then return {} end
    local out = {}
    for i, v in ipairs(redis.call('LRANGE', KEYS[3], -n, -1)) do
      local c = string.find(v, ':', 1, true)
      if i == 1 then out[1] = string.sub(v, 1, c - 1) end
      out[#out + 1] = string.sub(v, c + 1)
    end
    return out
  end
end
local max = tonumber(ARGV[1])
local items = {}
while #items < max do
  local v = redis.call('LPOP', KEYS[2])
  if not v then break end
  items[#items + 1] = v
end
if #items < max then
  local more = redis.call(ARGV[2], KEYS[1], max - #items)
  if more then
    for _, v in ipairs(more) do items[#items + 1] = v end
  end
end
redis.call('SET', KEYS[5], ARGV[3] .. ':' .. #items)
if #items == 0 then return {} end
local last = redis.call('INCRBY', KEYS[4], #items)
local first = last - #items + 1
local wrapped = {}
for i, v in ipairs(items) do
  wrapped[#wrapped + 1] = string.format('%d', first + i - 1) .. ':' .. v
  if #wrapped == 500 then
    redis.call('RPUSH', KEYS[3], unpack(wrapped))
    wrapped = {}
  end
end
if #wrapped > 0 then redis.call('RPUSH', KEYS[3], unpack(wrapped)) end
local out = { string.format('%d', first) }
for _, v in ipairs(items) do out[#out + 1] = v end
return out
`);

/**
 * KEYS: processing. ARGV: highest acknowledged seq. Removes head items up to it; returns how many. Numbers rise
 * strictly from the head (each move appends the next ones), so those items are the first n, with n at most
 * `max - head + 1`: the script probes that index and, if it is past the end of them, finds n by binary search with
 * LINDEX, instead of reading every item (which held Redis ~100 ms per 100k items, stalling the next move). An item
 * without a number counts as not acknowledged.
 */
export const ACK_SCRIPT = new LuaScript(`
local max = tonumber(ARGV[1])
local function seq(i)
  local v = redis.call('LINDEX', KEYS[1], i)
  if not v then return nil end
  return tonumber(string.match(v, '^(%d+):'))
end
local function done(i)
  local s = seq(i)
  return s ~= nil and s <= max
end
local head = seq(0)
if head == nil or head > max then return 0 end
local hi = math.min(redis.call('LLEN', KEYS[1]), max - head + 1)
local lo = 1
if not done(hi - 1) then
  while hi - lo > 1 do
    local mid = math.floor((lo + hi) / 2)
    if done(mid - 1) then lo = mid else hi = mid end
  end
  hi = lo
end
redis.call('LTRIM', KEYS[1], hi, -1)
return hi
`);

/** Options of {@linkcode ListReader}. */
export interface ListReaderOptions {
  /** Connection for the scripts and acknowledgements. */
  readonly client: RedisClient;
  /** Opens a connection for one key's blocking moves. */
  readonly openBlockingClient: (key: string) => Promise<RedisClient>;
  /** List keys. */
  readonly keys: readonly string[];
  /** Namespace of the bookkeeping keys (the consumer group). */
  readonly group: string;
  /** This instance's consumer name. */
  readonly consumer: string;
  /** End items are taken from. */
  readonly popSide: "left" | "right";
  /** Lease time: another consumer's items are taken over once its lease is this old; 0: no leases, no takeover. */
  readonly claimIdleMs: number;
  /** Drain what is there at start, then report drained. */
  readonly oneShot: boolean;
  /** Identifies this run (see `leases.ts`). */
  readonly runId: string;
  /** Where a run of this consumer is connected from while alive (see `leases.ts`). */
  readonly findLiveRun: (runId: string) => Promise<string | undefined>;
  /** Logger. */
  readonly log: Logger;
}

/** The bookkeeping keys of one list for one consumer. */
export interface ListKeys {
  /** Items taken and not yet acknowledged, as `<seq>:<item>`, oldest first. */
  readonly processing: string;
  /** Items moved by a blocking wait, not yet numbered. */
  readonly staging: string;
  /** Counter numbering the items of the list (shared by all consumers). */
  readonly counter: string;
  /** Token and size of the last move into the processing list, so a repeated move returns the same items. */
  readonly lastMove: string;
  /** Who works on this consumer's items (the consumer itself, or an instance that took them over); expires. */
  readonly lease: string;
  /** Set of the consumers of the list (in this group). */
  readonly consumers: string;
}

/** Names of the bookkeeping keys of `key` for one group and consumer. */
export function listKeysOf(key: string, group: string, consumer: string): ListKeys {
  return {
    processing: `${key}:fsds:${group}:${consumer}:processing`,
    staging: `${key}:fsds:${group}:${consumer}:staging`,
    counter: `${key}:fsds:seq`,
    lastMove: `${key}:fsds:${group}:${consumer}:last-move`,
    lease: leaseKeyOf(key, group, consumer),
    consumers: `${key}:fsds:${group}:consumers`,
  };
}

interface ListState {
  readonly key: string;
  /** Whose processing list this is: this instance's consumer, or a dead one taken over. */
  readonly owner: string;
  readonly stream: string;
  readonly names: ListKeys;
  /** Taken over from a dead consumer: only its processing list is handed out, then the lease is given back. */
  readonly adopted: boolean;
  /** Still handing out what a previous run left in the processing list. */
  recovering: boolean;
  /** Items recovered so far, and removed by acknowledgements since start: their difference is the next index. */
  recovered: number;
  removed: number;
  /** One-shot: items still to take (what was there at start). */
  budget: number;
  /** A move whose reply did not arrive: repeated (same token) before any other move of this list. */
  pendingMove?: { readonly token: string; readonly want: number };
  /** Serialises recovery reads with acknowledgements, which shift the indexes recovery reads at. */
  lock: Promise<unknown>;
  blockingClient?: RedisClient;
  blocking?: Promise<void>;
}

/** The list half of the redis source. */
export class ListReader {
  readonly #o: ListReaderOptions;
  readonly #lists: ListState[];
  #adopted: ListState[] = [];
  readonly #byStream = new Map<string, ListState>();
  #next = 0;
  #closed = false;
  #adoptDueAt = 0;
  readonly #leases?: Leases;

  constructor(options: ListReaderOptions) {
    this.#o = options;
    this.#leases = readerLeases(options);
    this.#lists = options.keys.map((key) => this.#state(key, options.consumer, false));
  }

  #state(key: string, owner: string, adopted: boolean): ListState {
    const state: ListState = {
      key,
      owner,
      adopted,
      stream: streamNameOf(key, owner),
      names: listKeysOf(key, this.#o.group, owner),
      recovering: true,
      recovered: 0,
      removed: 0,
      budget: adopted ? 0 : Infinity,
      lock: Promise.resolve(),
    };
    this.#byStream.set(state.stream, state);
    return state;
  }

  /** Checks the key types, takes this consumer's leases and, in one-shot mode, counts what is there to take. */
  async start(): Promise<void> {
    const { client } = this.#o;
    for (const state of this.#lists) {
      const type = await client.call("TYPE", state.key);
      if (type !== "list" && type !== "none") {
        throw new Error(`Cannot consume list "${state.key}": the key holds a ${type}`);
      }
      if (this.#leases) {
        await this.#leases.acquireOwn(state.names.lease, `list "${state.key}"`);
        await client.call("SADD", state.names.consumers, this.#o.consumer);
      }
      if (this.#o.oneShot) {
        const [a, b] = await client.batch([["LLEN", state.key], ["LLEN", state.names.staging]]);
        state.budget = Number(a) + Number(b);
      }
    }
  }

  /** True in one-shot mode once every list is recovered and what was there at start is taken. */
  drained(): boolean {
    return [...this.#lists, ...this.#adopted].every((s) => !s.recovering && s.budget <= 0);
  }

  /**
   * One-shot, drained: items other consumers of the group still hold in their processing (or staging) lists, which
   * this run did not take over. `waiting` when one of them is a live run (its lease names a connected run); otherwise
   * `held` has one line per list and dead consumer whose lease has not expired yet; empty when all is drained.
   */
  async heldElsewhere(
    isLive: (owner: string, runId: string) => Promise<boolean>,
  ): Promise<{ readonly waiting: boolean; readonly held: string[] }> {
    const { client, consumer, group } = this.#o;
    const held: string[] = [];
    for (const own of this.#lists) {
      const members = (await client.call("SMEMBERS", own.names.consumers) as string[]).sort();
      for (const other of members) {
        if (other === consumer || this.#byStream.has(streamNameOf(own.key, other))) continue;
        const names = listKeysOf(own.key, group, other);
        const [processing, staging, lease] = await client.batch([
          ["LLEN", names.processing],
          ["LLEN", names.staging],
          ["GET", names.lease],
        ]);
        const count = Number(processing) + Number(staging);
        if (count === 0) continue;
        const holder = lease === null || lease === undefined ? "" : replyText(lease);
        const run = holder.includes("#") ? holder.slice(holder.lastIndexOf("#") + 1) : "";
        if (run && await isLive(other, run)) return { waiting: true, held: [] };
        held.push(
          `list "${own.key}": ${count} ${count === 1 ? "item" : "items"} held by consumer "${other}" ` +
            `(taken over once its lease expires, claim_idle_ms)`,
        );
      }
    }
    return { waiting: false, held };
  }

  /** Takes up to `max` items without blocking, serving the lists in turn; empty when there is nothing now. */
  async fetch(max: number): Promise<SourceMessage[]> {
    for (const state of this.#lists) {
      if (!state.recovering) continue;
      const out = await this.#recover(state, max);
      if (out.length > 0) return out;
    }
    if (this.#leases && Date.now() >= this.#adoptDueAt) {
      this.#adoptDueAt = this.#o.oneShot ? Infinity : Date.now() + Math.max(1000, this.#o.claimIdleMs / 2);
      await this.#adoptIdle();
    }
    for (const state of this.#adopted) {
      if (!state.recovering) continue;
      const out = await this.#recover(state, max);
      if (out.length > 0) return out;
      await this.#releaseIfDone(state);
    }
    const out: SourceMessage[] = [];
    const count = this.#lists.length;
    const share = Math.max(1, Math.ceil(max / count));
    for (let i = 0; i < count && out.length < max; i++) {
      const state = this.#lists[(this.#next + i) % count]!;
      const want = Math.min(share, max - out.length, state.budget);
      if (want <= 0) continue;
      const got = await this.#move(state, want);
      if (this.#o.oneShot) state.budget = got.length < want ? 0 : state.budget - got.length;
      out.push(...got);
    }
    this.#next = (this.#next + 1) % count;
    return out;
  }

  /** Takes the lease of consumers whose lease expired and whose items are left, and queues their items. */
  async #adoptIdle(): Promise<void> {
    const { client, consumer, log, popSide } = this.#o;
    const leases = this.#leases!;
    for (const own of this.#lists) {
      const members = (await client.call("SMEMBERS", own.names.consumers) as string[]).sort();
      for (const other of members) {
        // A stream handed out once in this run is not taken again: the pipeline consults its journal only at first.
        if (other === consumer || this.#byStream.has(streamNameOf(own.key, other))) continue;
        const names = listKeysOf(own.key, this.#o.group, other);
        if (!(await leases.tryTake(names.lease))) continue;
        // Number what its blocking move left in staging, so it is handed out with the rest.
        const staged = Number(await client.call("LLEN", names.staging));
        if (staged > 0) {
          const pop = popSide === "left" ? "LPOP" : "RPOP";
          const keys = [names.staging, names.staging, names.processing, names.counter, names.lastMove];
          await client.evalScript(MOVE_SCRIPT, keys, [staged, pop, crypto.randomUUID()]);
        }
        const left = Number(await client.call("LLEN", names.processing));
        if (left === 0) {
          await leases.release(names.lease, { key: names.consumers, member: other });
          continue;
        }
        log.info(
          { key: own.key, owner: other, count: left },
          "Taking over the unacknowledged items of an idle consumer",
        );
        this.#adopted.push(this.#state(own.key, other, true));
      }
    }
  }

  /** Gives an adopted consumer's lease back once all its items are acknowledged. */
  async #releaseIfDone(state: ListState): Promise<void> {
    if (!state.adopted || state.recovering || state.removed < state.recovered) return;
    const left = Number(await this.#o.client.call("LLEN", state.names.processing));
    if (left > 0) return;
    await this.#leases?.release(state.names.lease, { key: state.names.consumers, member: state.owner });
    this.#adopted = this.#adopted.filter((s) => s !== state);
    this.#o.log.info(
      { key: state.key, owner: state.owner, count: state.recovered },
      "Finished an idle consumer's items",
    );
  }

  #recover(state: ListState, max: number): Promise<SourceMessage[]> {
    const run = state.lock.then(() => this.#recoverPage(state, max));
    state.lock = run.catch(() => {});
    return run;
  }

  async #recoverPage(state: ListState, max: number): Promise<SourceMessage[]> {
    const start = state.recovered - state.removed;
    const n = Math.min(max, RECOVER_PAGE);
    const reply = await this.#o.client.callBinary("LRANGE", state.names.processing, start, start + n - 1);
    const items = reply as Uint8Array[];
    if (items.length === 0) {
      state.recovering = false;
      if (state.recovered > 0) {
        this.#o.log.info(
          { key: state.key, owner: state.owner, count: state.recovered },
          "Recovered unacknowledged items",
        );
      }
      return [];
    }
    state.recovered += items.length;
    return items.map((raw) => {
      const bytes = replyBytes(raw);
      const colon = bytes.indexOf(0x3a);
      const seq = colon > 0 ? replyText(bytes.subarray(0, colon)) : "";
      if (!/^\d+$/.test(seq)) {
        throw new Error(
          `Cannot recover list "${state.key}": processing list "${state.names.processing}" holds an item without a number`,
        );
      }
      return this.#toMessage(state, seq, bytes.subarray(colon + 1));
    });
  }

  async #move(state: ListState, want: number): Promise<SourceMessage[]> {
    const pop = this.#o.popSide === "left" ? "LPOP" : "RPOP";
    const { processing, staging, counter, lastMove } = state.names;
    const move = state.pendingMove ?? { token: crypto.randomUUID(), want };
    state.pendingMove = move;
    const keys = [state.key, staging, processing, counter, lastMove];
    const reply = await this.#o.client.evalScript(MOVE_SCRIPT, keys, [move.want, pop, move.token]);
    state.pendingMove = undefined;
    const parts = reply as unknown[];
    if (parts.length === 0) return [];
    const firstText = replyText(parts[0]);
    const first = Number(firstText);
    // Numbers while they are exact (a BigInt per item cost more than the rest of the move's handling).
    const seqAt = Number.isSafeInteger(first + parts.length)
      ? (i: number) => String(first + i)
      : (i: number) => String(BigInt(firstText) + BigInt(i));
    const out: SourceMessage[] = new Array(parts.length - 1);
    for (let i = 1; i < parts.length; i++) out[i - 1] = this.#toMessage(state, seqAt(i - 1), replyBytes(parts[i]));
    return out;
  }

  /** Waits up to `ms` for an item on any list (a blocking move into staging per key); returns early on abort. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    const waiting = this.#lists.filter((s) => s.budget > 0).map((state) => {
      state.blocking ??= this.#blockingMove(state, ms).finally(() => state.blocking = undefined);
      return state.blocking;
    });
    if (waiting.length === 0 || this.#closed) return;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([...waiting, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort!);
    }
  }

  async #blockingMove(state: ListState, ms: number): Promise<void> {
    try {
      state.blockingClient ??= await this.#o.openBlockingClient(state.key);
      const side = this.#o.popSide === "left" ? "LEFT" : "RIGHT";
      const seconds = (Math.max(10, Math.floor(ms)) / 1000).toFixed(3);
      await state.blockingClient.call("BLMOVE", state.key, state.names.staging, side, "RIGHT", seconds);
    } catch (error) {
      if (!this.#closed) this.#o.log.debug({ key: state.key, error }, "Blocking list move failed");
    }
  }

  /** Acknowledges items of one pipeline stream; false when the stream is not one of ours. */
  async ack(stream: string, positions: readonly string[]): Promise<boolean> {
    const state = this.#byStream.get(stream);
    if (!state) return false;
    if (positions.length === 0) return true;
    let last = positions[0]!;
    for (const p of positions) if (comparePositions(p, last) > 0) last = p;
    const max = parseListPosition(last);
    const run = state.lock.then(async () => {
      const removed = await this.#o.client.evalScript(ACK_SCRIPT, [state.names.processing], [max.toString()]);
      state.removed += Number(removed);
    });
    state.lock = run.catch(() => {});
    await run;
    await this.#releaseIfDone(state);
    return true;
  }

  /** Describes a message of this reader. */
  describe(message: SourceMessage): string | undefined {
    const state = this.#byStream.get(message.stream);
    if (!state) return undefined;
    return describeListItem(state.key, message.position, state.owner);
  }

  /** Closes the blocking connections (an item a blocking move takes stays in staging for the next run). */
  close(): void {
    this.#closed = true;
    this.#leases?.stop();
    for (const state of this.#lists) state.blockingClient?.close();
  }

  #toMessage(state: ListState, seq: string, value: Uint8Array): SourceMessage {
    return listItemMessage(state.key, state.owner, seq, value, state.stream);
  }
}

/**
 * The pipeline's message for list item number `seq` taken by consumer `owner`: stream `<key>+<owner>`, the
 * zero-padded number as position, metadata key and number. Pure; also used by `preview` (`peek.ts`).
 */
export function listItemMessage(
  key: string,
  owner: string,
  seq: string,
  value: Uint8Array,
  stream = streamNameOf(key, owner),
): SourceMessage {
  return { stream, dataset: key, position: formatListPosition(seq), value, metadata: [key, seq, null] };
}

/** Describes a list item for errors: `redis list "k" item 12 (consumer "c")`. Pure. */
export function describeListItem(key: string, position: string, owner: string): string {
  return `redis list "${key}" item ${BigInt(position)} (consumer "${owner}")`;
}
