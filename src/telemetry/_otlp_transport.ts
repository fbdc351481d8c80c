/**
 * Sends one encoded OTLP export request over HTTP (fetch) or gRPC (unary call over `node:http2`), with a deadline
 * and a few retries of the failures the OTLP specification calls retryable. Never throws synchronously; the
 * returned promise rejects with an {@linkcode OtlpSendError} when the request could not be delivered.
 *
 * Both honour the export's compression (gzip: `Content-Encoding: gzip`, or the gRPC message's compressed flag with
 * `grpc-encoding: gzip`) and, for `https:` endpoints, its TLS material: extra CA certificates and a client
 * certificate (fetch through a `Deno.createHttpClient`, gRPC through the `node:http2` TLS options).
 *
 * gRPC is spoken directly (5-byte length prefix, `grpc-status` trailer) instead of through `@grpc/grpc-js`: it
 * needs only `node:http2`, which Deno implements (client and server, plaintext h2c and TLS), and it keeps
 * the dependency list short; `tests/bench/otlp_export_bench.ts` measures it against the official exporters.
 * Deno's `fetch` cannot send gRPC (no HTTP/2 prior knowledge over plaintext, no access to trailers), so
 * `node:http2` is the only path.
 * @module
 */
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { retry } from "../core/retry.ts";
import type { TlsMaterial } from "./_otlp_tls.ts";
import type { Signal, SignalExport } from "./otlp_settings.ts";

/** An export request that could not be delivered. `retryable` tells whether the failure was transient. */
export class OtlpSendError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "OtlpSendError";
    this.retryable = options.retryable;
  }
}

/** Sends encoded export requests of one signal to one endpoint. */
export interface OtlpSender {
  /** Delivers `body` (an encoded Export*ServiceRequest) or rejects within the configured timeout. */
  send(body: Uint8Array): Promise<void>;
  /** Cancels requests in flight and closes connections. */
  close(): void;
}

const GRPC_PATHS: Record<Signal, string> = {
  traces: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
};
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
/** CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS. */
const RETRYABLE_GRPC = new Set([1, 4, 8, 10, 11, 14, 15]);
const MAX_RETRIES = 2;

/** Creates the sender for `target`'s protocol; `tls` (read by `readTlsFiles`) applies to `https:` endpoints. */
export function createSender(signal: Signal, target: SignalExport, tls?: TlsMaterial): OtlpSender {
  const secure = new URL(target.url).protocol === "https:";
  return target.protocol === "grpc"
    ? new GrpcSender(signal, target, secure ? tls : undefined)
    : new HttpSender(target, secure ? tls : undefined);
}

/** The body as sent: gzip-compressed when the export asks for it. */
function encodeBody(target: SignalExport, body: Uint8Array): Uint8Array {
  return target.compression === "gzip" ? gzipSync(body) : body;
}

/**
 * TLS failures do not heal by retrying: an untrusted or mismatched certificate, a refused client, TLS spoken to a
 * plaintext server.
 */
function isTlsFailure(text: string): boolean {
  return /certificate|CERT_|UnknownIssuer|NotValidForName|handshake|InvalidContentType|wrong version number/i.test(
    text,
  );
}

/** Runs `attempt` with retries until it succeeds, fails for good, or the deadline of `timeoutMs` passes. */
async function withDeadline(
  timeoutMs: number,
  closed: AbortSignal,
  attempt: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const signal = AbortSignal.any([closed, AbortSignal.timeout(timeoutMs)]);
  await retry(() => attempt(signal), {
    maxRetries: MAX_RETRIES,
    baseDelayMs: 200,
    maxDelayMs: 2000,
    signal,
    isRetriable: (error) => error instanceof OtlpSendError && error.retryable && !signal.aborted,
  });
}

class HttpSender implements OtlpSender {
  #target: SignalExport;
  #closed = new AbortController();
  #headers: Record<string, string>;
  #client: Deno.HttpClient | undefined;
  constructor(target: SignalExport, tls: TlsMaterial | undefined) {
    this.#target = target;
    const contentType = target.protocol === "http/json" ? "application/json" : "application/x-protobuf";
    this.#headers = { ...target.headers, "content-type": contentType };
    if (target.compression === "gzip") this.#headers["content-encoding"] = "gzip";
    // HTTP/1.1 only: Deno's fetch leaves TCP_NODELAY off (denoland/deno#35581), so over HTTP/2 (what an https
    // collector negotiates) each POST's body waits for the peer's delayed ACK, ~44 ms per export on loopback
    // against 0.6 ms over HTTP/1.1 (tests/bench/otlp_export_bench.ts). The client also carries the TLS material.
    const caCerts = tls?.ca ? [tls.ca] : undefined;
    this.#client = tls?.cert && tls.key
      ? Deno.createHttpClient({ http2: false, caCerts, cert: tls.cert, key: tls.key })
      : Deno.createHttpClient({ http2: false, caCerts });
  }
  send(body: Uint8Array): Promise<void> {
    const sent = encodeBody(this.#target, body);
    return withDeadline(this.#target.timeoutMs, this.#closed.signal, (signal) => this.#post(sent, signal));
  }
  async #post(body: Uint8Array, signal: AbortSignal): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.#target.url, {
        method: "POST",
        headers: this.#headers,
        body: body as Uint8Array<ArrayBuffer>,
        signal,
        client: this.#client,
      });
    } catch (cause) {
      const reason = signal.aborted ? "timed out or cancelled" : errorText(cause);
      const retryable = !isTlsFailure(reason);
      throw new OtlpSendError(`Cannot export to "${this.#target.url}": ${reason}`, { retryable, cause });
    }
    // The body is read so the connection can be reused; its content (partial success) is not needed.
    const text = await response.text().catch(() => "");
    if (response.ok) return;
    throw new OtlpSendError(
      `Cannot export to "${this.#target.url}": HTTP ${response.status} ${text.slice(0, 200)}`.trimEnd(),
      { retryable: RETRYABLE_HTTP.has(response.status) },
    );
  }
  close(): void {
    this.#closed.abort();
    this.#client?.close();
    this.#client = undefined;
  }
}

class GrpcSender implements OtlpSender {
  #signal: Signal;
  #target: SignalExport;
  #tls: TlsMaterial | undefined;
  #session: http2.ClientHttp2Session | undefined;
  /** Why the last session failed (a refused connection, a TLS handshake), for the message of its streams. */
  #sessionError: unknown;
  #closed = new AbortController();
  constructor(signal: Signal, target: SignalExport, tls: TlsMaterial | undefined) {
    this.#signal = signal;
    this.#target = target;
    this.#tls = tls;
  }
  send(body: Uint8Array): Promise<void> {
    const payload = encodeBody(this.#target, body);
    const frame = new Uint8Array(5 + payload.length);
    frame[0] = this.#target.compression === "gzip" ? 1 : 0;
    new DataView(frame.buffer).setUint32(1, payload.length);
    frame.set(payload, 5);
    return withDeadline(this.#target.timeoutMs, this.#closed.signal, (signal) => this.#call(frame, signal));
  }
  #connect(): http2.ClientHttp2Session {
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const tls = this.#tls;
    const session = http2.connect(this.#target.url, tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {});
    this.#sessionError = undefined;
    // Without a listener a refused connection would be an uncaught error and end the process.
    session.on("error", (error) => {
      this.#sessionError = error;
      session.destroy();
    });
    session.on("close", () => {
      if (this.#session === session) this.#session = undefined;
    });
    this.#session = session;
    return session;
  }
  #call(frame: Uint8Array, signal: AbortSignal): Promise<void> {
    const where = `${this.#target.url}${GRPC_PATHS[this.#signal]}`;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        return reject(new OtlpSendError(`Cannot export to "${where}": timed out or cancelled`, { retryable: false }));
      }
      let settled = false;
      let status: number | undefined;
      let message = "";
      const finish = (error?: OtlpSendError) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const fail = (reason: string, retryable: boolean, cause?: unknown) =>
        finish(new OtlpSendError(`Cannot export to "${where}": ${reason}`, { retryable, cause }));
      const session = this.#connect();
      const request = session.request({
        ":method": "POST",
        ":path": GRPC_PATHS[this.#signal],
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${Math.max(1, Math.ceil(this.#target.timeoutMs))}m`,
        ...(this.#target.compression === "gzip" && { "grpc-encoding": "gzip" }),
        ...this.#target.headers,
      });
      const onAbort = () => {
        try {
          request.close(http2.constants.NGHTTP2_CANCEL);
        } catch {
          // Already closed with its session.
        }
        fail("timed out or cancelled", false);
      };
      signal.addEventListener("abort", onAbort);
      const readStatus = (headers: http2.IncomingHttpHeaders) => {
        const code = headers["grpc-status"];
        if (code !== undefined) status = Number(code);
        const text = headers["grpc-message"];
        if (typeof text === "string") message = decodeURIComponent(text);
      };
      request.on("response", (headers) => {
        const httpStatus = headers[":status"];
        if (httpStatus !== 200) {
          return fail(`HTTP/2 status ${httpStatus}`, httpStatus === 503 || httpStatus === 429);
        }
        readStatus(headers);
      });
      request.on("trailers", readStatus);
      request.on("error", (error: unknown) => {
        // A stream cancelled because its session failed says little; the session's error (its cause) says why.
        const cancelled = (error as { code?: unknown }).code === "ERR_HTTP2_STREAM_CANCEL";
        const inner = cancelled && error instanceof Error ? error.cause : undefined;
        const cause = this.#sessionError ?? (inner instanceof Error ? inner : error);
        const reason = errorText(cause);
        fail(reason, !isTlsFailure(reason), cause);
      });
      // The response message (partial success) is not needed, but it must be read for "end" to fire.
      request.on("data", () => {});
      request.on("end", () => {
        if (status === 0) return finish();
        if (status === undefined) return fail("response without grpc-status", true);
        fail(`gRPC status ${status}${message ? ` ${message}` : ""}`, RETRYABLE_GRPC.has(status));
      });
      request.on("close", () => {
        if (settled) return;
        const reason = this.#sessionError ? errorText(this.#sessionError) : "stream closed before the response";
        fail(reason, !isTlsFailure(reason), this.#sessionError);
      });
      request.end(frame);
    });
  }
  close(): void {
    this.#closed.abort();
    const session = this.#session;
    this.#session = undefined;
    if (session && !session.destroyed) session.destroy();
  }
}

/** The error's message with its code, and the innermost cause's message when it adds something (fetch's). */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  let text = typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  let inner = error.cause;
  for (let depth = 0; inner instanceof Error && depth < 5; depth++, inner = inner.cause) {
    if (!text.includes(inner.message)) text += `: ${inner.message}`;
  }
  return text;
}
