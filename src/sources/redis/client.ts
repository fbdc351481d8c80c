/**
 * The one module that imports `ioredis`: opens connections (plain, ACL, TLS) with a reconnecting retry strategy,
 * and offers the few calls the redis source needs (raw commands with text or binary replies, pipelined batches,
 * Lua scripts by SHA with a fallback to EVAL). Swapping the client library means rewriting only this file.
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { Logger } from "../../core/logger.ts";
import { backoffDelay, sleep } from "../../core/retry.ts";
import { readPemFiles } from "../_common/tls.ts";
import type { RedisEndpoint } from "./config.ts";

/** An argument of a Redis command. */
export type RedisArg = string | number | Uint8Array;
/** One command of a pipelined batch: name, then arguments. */
export type RedisCommand = readonly [string, ...RedisArg[]];

/** A Lua script, sent by SHA and loaded on first use. */
export class LuaScript {
  /** Lua source. */
  readonly source: string;
  /** SHA-1 of the source, as EVALSHA wants it. */
  readonly sha: string;
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

/** Options of {@linkcode RedisClient.connect}. */
export interface RedisClientOptions {
  /** Where and how to connect. */
  readonly endpoint: RedisEndpoint;
  /** Name shown by CLIENT LIST. */
  readonly connectionName: string;
  /** Logger for connection events. */
  readonly log: Logger;
  /** Longest delay between reconnection attempts; default 5000 ms. */
  readonly maxReconnectDelayMs?: number;
  /** How long the first connection is tried before giving up (a wrong password gives up at once); default 15 s. */
  readonly connectTimeoutMs?: number;
}

/**
 * Builds the ioredis options of an endpoint; reads TLS files (the only I/O). Exported for tests.
 * @throws {ConfigError} when a TLS file cannot be read.
 */
export async function buildRedisOptions(options: RedisClientOptions): Promise<RedisOptions> {
  const { endpoint, log } = options;
  const cap = options.maxReconnectDelayMs ?? 5000;
  const result: RedisOptions = {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.db,
    username: endpoint.username,
    password: endpoint.password,
    connectionName: options.connectionName,
    lazyConnect: true,
    // A command waits through this many reconnection attempts, then fails; the source backs off and retries.
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    retryStrategy: (times: number) => {
      const delay = backoffDelay(times, { baseDelayMs: 100, maxDelayMs: cap, jitter: false });
      if (times === 1 || times % 20 === 0) {
        log.warn(
          { host: endpoint.host, port: endpoint.port, attempt: times, delay_ms: delay },
          "Reconnecting to Redis",
        );
      }
      return delay;
    },
  };
  const tls = endpoint.tls;
  if (tls) {
    result.tls = {
      servername: tls.servername ?? endpoint.host,
      rejectUnauthorized: tls.reject_unauthorized,
      ...await readPemFiles({ caFile: tls.ca_file, certFile: tls.cert_file, keyFile: tls.key_file }),
    };
  }
  return result;
}

/** A connection to Redis that reconnects by itself after the server goes away. */
export class RedisClient {
  readonly #redis: Redis;
  readonly #options: RedisClientOptions;
  #closed = false;

  private constructor(redis: Redis, options: RedisClientOptions) {
    this.#redis = redis;
    this.#options = options;
  }

  /** Opens a connection; rejects when the server cannot be reached or refuses the credentials. */
  static async connect(options: RedisClientOptions): Promise<RedisClient> {
    const redisOptions = await buildRedisOptions(options);
    const where = `${options.endpoint.host}:${options.endpoint.port}`;
    const deadline = Date.now() + (options.connectTimeoutMs ?? 15_000);
    for (let attempt = 1;; attempt++) {
      // Each attempt is a single try; between attempts a server still starting gets time to come up.
      const redis = new Redis({ ...redisOptions, retryStrategy: () => null });
      // ioredis rejects connect() with a bare "Connection is closed."; the cause (refused, WRONGPASS) is an event.
      let reason: Error | undefined;
      redis.on("error", (error: Error) => reason ??= error);
      try {
        await redis.connect();
        // From now on reconnect for ever, with capped backoff.
        redis.options.retryStrategy = redisOptions.retryStrategy;
        const client = new RedisClient(redis, options);
        redis.on("ready", () => {
          if (!client.#closed) options.log.debug({ name: options.connectionName }, "Redis connection ready");
        });
        return client;
      } catch (thrown) {
        redis.disconnect();
        const error = reason ?? thrown;
        // A refused password or ACL is the user's to fix: no point in trying again.
        if (isAuthRefusal(error) || Date.now() >= deadline) {
          throw new Error(`Cannot connect to Redis at "${where}": ${(error as Error).message}`, { cause: error });
        }
        const delay = backoffDelay(attempt, { baseDelayMs: 200, maxDelayMs: 2000, jitter: false });
        options.log.warn(
          { where, attempt, delay_ms: delay, error: (error as Error).message },
          "Cannot connect to Redis yet",
        );
        await sleep(delay);
      }
    }
  }

  /** Opens another connection with the same settings, e.g. for blocking reads. */
  duplicate(connectionName: string): Promise<RedisClient> {
    return RedisClient.connect({ ...this.#options, connectionName });
  }

  /** Sends one command; text replies. */
  call(command: string, ...args: RedisArg[]): Promise<unknown> {
    return this.#redis.call(command, ...args.map(toArg));
  }

  /** Sends one command; binary replies (Uint8Array in place of strings). */
  callBinary(command: string, ...args: RedisArg[]): Promise<unknown> {
    return this.#redis.callBuffer(command, ...args.map(toArg));
  }

  /** Sends commands in one round trip; resolves their text replies, rejects with the first error. */
  async batch(commands: readonly RedisCommand[]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const [name, ...args] of commands) pipeline.call(name, ...args.map(toArg));
    const results = await pipeline.exec();
    if (!results) throw new Error("Cannot run a Redis batch: the connection closed");
    return results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  /** Like {@linkcode RedisClient.batch}, with binary replies. */
  async batchBinary(commands: readonly RedisCommand[]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const [name, ...args] of commands) pipeline.callBuffer(name, ...args.map(toArg));
    const results = await pipeline.exec();
    if (!results) throw new Error("Cannot run a Redis batch: the connection closed");
    return results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  /** Runs a Lua script by SHA (loading it on a NOSCRIPT reply); binary replies. */
  async evalScript(script: LuaScript, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    const rest = [keys.length, ...keys, ...args].map(toArg);
    try {
      return await this.#redis.callBuffer("EVALSHA", script.sha, ...rest);
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
      return await this.#redis.callBuffer("EVAL", script.source, ...rest);
    }
  }

  /** Closes the connection after the commands already sent are answered (at most `timeoutMs`, default 2000). */
  async quit(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#redis.status === "ready") {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
      await Promise.race([this.#redis.quit().catch(() => {}), timeout]);
      clearTimeout(timer);
    }
    this.#redis.disconnect(false);
  }

  /** Closes the connection at once; commands in flight (a blocking read) are abandoned. */
  close(): void {
    this.#closed = true;
    this.#redis.disconnect(false);
  }
}

function toArg(arg: RedisArg): string | number | Buffer {
  if (typeof arg === "string" || typeof arg === "number") return arg;
  return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
}

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * Longest reply element decoded by {@linkcode asciiText}: stream ids, field names and counters are short, and for
 * them one `String.fromCharCode` call costs less than a `TextDecoder` call (~30% in a micro-benchmark; `replyText`
 * ran once or twice per stream entry).
 */
const SHORT_TEXT_BYTES = 64;

/** The text of a Redis reply element (string or bytes). */
export function replyText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return value.length <= SHORT_TEXT_BYTES ? asciiText(value) : utf8.decode(value);
  if (typeof value === "number") return String(value);
  throw new TypeError(`Cannot read a Redis reply: expected text, got ${value === null ? "null" : typeof value}`);
}

/** Short bytes as text: ASCII through one `String.fromCharCode` call, anything else as UTF-8. */
function asciiText(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return utf8.decode(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** The bytes of a Redis reply element, as a plain Uint8Array view. */
export function replyBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return utf8Encoder.encode(value);
  throw new TypeError(`Cannot read a Redis reply: expected bytes, got ${value === null ? "null" : typeof value}`);
}

/** True for the replies of a refused password, user or ACL (`WRONGPASS`, `NOAUTH`, `NOPERM`, ...). */
export function isAuthRefusal(error: unknown): boolean {
  return error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM|ERR AUTH|ERR invalid password)/.test(error.message);
}

/** What a failed connection or command says about its cause. */
export type RedisFault =
  /** A refused password, user or right. */
  | "credentials"
  /** Nothing listens at the address, or the name does not resolve. */
  | "address"
  /** A failed TLS handshake (certificate, or TLS against a plain port). */
  | "tls"
  /** A timeout or anything else. */
  | "other";

const ADDRESS_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Sorts an error of {@linkcode RedisClient.connect} or of a command (and its cause) into a {@linkcode RedisFault}. */
export function classifyRedisError(error: unknown): RedisFault {
  for (const e of [error, error instanceof Error ? error.cause : undefined]) {
    if (!(e instanceof Error)) continue;
    if (isAuthRefusal(e)) return "credentials";
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && ADDRESS_CODES.has(code)) return "address";
    if (/certificate|SSL routines|wrong version number/i.test(e.message)) return "tls";
  }
  return "other";
}

/** The field-value pairs of a reply row (`XINFO GROUPS`, `XINFO CONSUMERS`) as a map from field name to value. */
export function replyFields(row: readonly unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (let i = 0; i + 1 < row.length; i += 2) out.set(replyText(row[i]), row[i + 1]);
  return out;
}

/** True when a Redis error reply starts with `code` (e.g. `NOGROUP`, `BUSYGROUP`). */
export function isReplyError(error: unknown, code: string): boolean {
  return error instanceof Error && error.message.startsWith(code);
}
