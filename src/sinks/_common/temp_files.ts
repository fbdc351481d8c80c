/**
 * Hidden temporary files beside their target: the atomic-write mechanism of the local and HDFS sinks (write the
 * temporary name, then rename it over the target). The names start with `.`, which Hive, Spark and Trino skip, and
 * end with {@linkcode TEMP_SUFFIX}. These names are the sinks' own, not part of the pipeline's layout.
 *
 * Each name carries its writer: `.<final name>.<host>-<pid>-<start>-<hex>.fsds-tmp`, where `<host>` is 8 hex digits
 * of a hash of the host name, `<pid>` the writer's process id and `<start>` its start time (ms since epoch, base 36).
 * At `connect()` a sink decides with {@linkcode classifyTemp} which temporary files a crashed run left behind:
 *
 * - written by this process: kept (a write of ours may be in flight);
 * - written on this host by a process that no longer runs: removed at once, whatever its age;
 * - written on this host by a running process (or one whose liveness cannot be told): removed once older than the
 *   sink's grace (a few times its write timeout, which bounds how long a live write keeps its temporary file);
 * - written on another host, or named the older way without a writer (`.<name>.<hex>.fsds-tmp`): removed once older
 *   than {@linkcode STALE_TEMP_MS}, since a process on another host cannot be asked whether it runs.
 *
 * Liveness is read from `/proc/<pid>` (Linux); elsewhere it is unknown and the grace applies. Instances that share a
 * host name must share a process-id space (true of hosts, pods and containers with their own host name), else one
 * could take another's live process for dead.
 * @module
 */

/** Ending of every temporary file name. */
export const TEMP_SUFFIX = ".fsds-tmp";
/** Age after which a temporary file of another host (or without a writer in its name) counts as left behind. */
export const STALE_TEMP_MS = 60 * 60 * 1000;
/** Age after which a leftover connect probe (written and deleted at once by a live run) is removed. */
export const STALE_PROBE_MS = 5 * 60 * 1000;

const SUFFIX_PATTERN = TEMP_SUFFIX.replaceAll(".", "\\.");
/** Names {@linkcode tempPathBeside} makes: `.<final name>.<host>-<pid>-<start>-<hex>.fsds-tmp`. */
const OWNED_TEMP_NAME = new RegExp(`^\\..+\\.([0-9a-f]{8})-([0-9]+)-([0-9a-z]+)-[0-9a-f]{8,}${SUFFIX_PATTERN}$`);
/** Names of earlier versions, without a writer: `.<final name>.<hex>.fsds-tmp`. */
const LEGACY_TEMP_NAME = new RegExp(`^\\..+\\.[0-9a-f]{8,}${SUFFIX_PATTERN}$`);

/** The writer a temporary file name carries. */
export interface TempOwner {
  /** 8 hex digits of a hash of the writer's host name. */
  readonly host: string;
  /** Process id of the writer. */
  readonly pid: number;
  /** Start time of the writer's process, ms since epoch. */
  readonly start: number;
}

/** This process as a writer: fixed for its lifetime. */
export const SELF: TempOwner = { host: hostTag(), pid: Deno.pid, start: processStart() };

/**
 * A fresh temporary path in the folder of `target` (a path with at least one `/`), owned by `owner` (default
 * {@linkcode SELF}): `<folder>/.<name>.<host>-<pid>-<start>-<12 hex digits>.fsds-tmp`.
 */
export function tempPathBeside(target: string, owner: TempOwner = SELF): string {
  const slash = target.lastIndexOf("/");
  const token = `${owner.host}-${owner.pid}-${owner.start.toString(36)}-${randomHex()}`;
  return `${target.slice(0, slash)}/.${target.slice(slash + 1)}.${token}${TEMP_SUFFIX}`;
}

/** Whether a file name has exactly a shape {@linkcode tempPathBeside} gives (or gave), so nothing else is cleaned. */
export function isTempName(name: string): boolean {
  return OWNED_TEMP_NAME.test(name) || LEGACY_TEMP_NAME.test(name);
}

/** The writer named in a temporary file name; undefined for an older name without one, or not a temporary name. */
export function tempOwner(name: string): TempOwner | undefined {
  const match = OWNED_TEMP_NAME.exec(name);
  if (!match) return undefined;
  return { host: match[1] as string, pid: Number(match[2]), start: parseInt(match[3] as string, 36) };
}

/** What {@linkcode classifyTemp} decided about one temporary file. */
export type TempVerdict =
  /** Left by a crashed or failed run: delete it. */
  | { readonly kind: "stale"; readonly reason: "dead_writer" | "past_grace" | "past_stale_age" }
  /** May belong to a live writer: leave it. */
  | { readonly kind: "live" };

/** Options of {@linkcode classifyTemp}. */
export interface ClassifyTempOptions {
  /** Age in ms after which a temporary file of a running (or unknown) writer on this host is stale. */
  readonly graceMs: number;
  /** Age in ms after which a temporary file of another host or without a writer is stale. Default one hour. */
  readonly staleMs?: number;
  /** Now, ms since epoch. Default `Date.now()`. */
  readonly now?: number;
  /** This process. Default {@linkcode SELF}. */
  readonly self?: TempOwner;
  /** Whether a process of this host runs: true, false, or undefined when it cannot be told. Default `/proc`. */
  readonly isAlive?: (pid: number) => boolean | undefined;
}

/** Applies the rule of the module doc to a temporary file `name` last modified at `mtime` (ms since epoch). */
export function classifyTemp(name: string, mtime: number, options: ClassifyTempOptions): TempVerdict {
  const now = options.now ?? Date.now();
  const self = options.self ?? SELF;
  const age = now - mtime;
  const owner = tempOwner(name);
  if (owner === undefined || owner.host !== self.host) {
    return age > (options.staleMs ?? STALE_TEMP_MS) ? { kind: "stale", reason: "past_stale_age" } : { kind: "live" };
  }
  if (owner.pid === self.pid && owner.start === self.start) return { kind: "live" };
  const alive = owner.pid === self.pid ? false : (options.isAlive ?? isProcessAlive)(owner.pid);
  if (alive === false) return { kind: "stale", reason: "dead_writer" };
  return age > options.graceMs ? { kind: "stale", reason: "past_grace" } : { kind: "live" };
}

/**
 * Whether process `pid` of this host runs, from `/proc/<pid>` (Linux); undefined where that cannot be told
 * (no `/proc`, or no permission to read it).
 */
export function isProcessAlive(pid: number): boolean | undefined {
  try {
    Deno.statSync("/proc/self");
  } catch {
    return undefined;
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? false : undefined;
  }
}

/** 8 hex digits of the FNV-1a hash of the host name: short, path-safe, and the name itself stays private. */
function hostTag(): string {
  let name = "unknown-host";
  try {
    name = Deno.hostname();
  } catch {
    // Without --allow-sys the host cannot be named; the age rules still hold for every instance alike.
  }
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

/** The start of this process (the runtime's time origin), in whole ms since epoch. */
function processStart(): number {
  return Math.round(performance.timeOrigin);
}

function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
