/**
 * A small OTLP receiver for the telemetry tests, on loopback: OTLP/HTTP (JSON and protobuf, via `Deno.serve`) and
 * OTLP/gRPC (via `node:http2`). It decodes every export request into plain spans and metric points, so tests can
 * assert names and attributes. Protobuf is decoded with a generic wire-format reader and the OTLP field numbers.
 * Gzip-compressed requests (`Content-Encoding: gzip`, or a gRPC message with the compressed flag under
 * `grpc-encoding: gzip`) are decoded and marked as such.
 *
 * With `tls`, both are `node:http2` TLS servers (the HTTP one also takes HTTP/1.1, for clients on `node:https`),
 * optionally requiring a client certificate signed by a given CA; the subject of the certificate a client
 * presented is recorded with each request. Mode `discard` answers without decoding (benchmarks).
 * @module
 */
import http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { gunzipSync } from "node:zlib";

/** A decoded attribute value. */
export type AttrValue = string | number | boolean | AttrValue[] | null;

/** A span as received. */
export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly attributes: Record<string, AttrValue>;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly resource: Record<string, AttrValue>;
}

/** A metric data point as received. */
export interface ReceivedPoint {
  readonly metric: string;
  readonly kind: "sum" | "gauge" | "histogram";
  readonly attributes: Record<string, AttrValue>;
  /** Sum and gauge value. */
  readonly value?: number;
  /** Histogram count and sum. */
  readonly count?: number;
  readonly sum?: number;
  readonly resource: Record<string, AttrValue>;
}

/** One export request as received. */
export interface ReceivedRequest {
  readonly transport: "http" | "grpc";
  readonly path: string;
  readonly contentType: string;
  readonly headers: Record<string, string>;
  /** The body (HTTP) or the message (gRPC) came gzip-compressed and was decoded. */
  readonly gzip: boolean;
  /** Bytes of the body or message as received, and once decompressed. */
  readonly receivedBytes: number;
  readonly decodedBytes: number;
  /** Common name of the client certificate presented over TLS, if any. */
  readonly clientCertificate?: string;
  /** HTTP version of an OTLP/HTTP request over TLS ("1.1" or "2.0"); unknown over plaintext. */
  readonly httpVersion?: string;
}

/** TLS of the receiver: PEM texts. */
export interface ReceiverTls {
  readonly cert: string;
  readonly key: string;
  /** Require a client certificate signed by this CA. Default: none asked for. */
  readonly clientCa?: string;
}

/** Options of {@linkcode startReceiver}. */
export interface ReceiverOptions {
  /** Serve HTTP and gRPC over TLS on one port. Default: plaintext, one port each. */
  readonly tls?: ReceiverTls;
}

/** How the receiver answers. */
export type ReceiverMode =
  /** Decode and answer success. */
  | "ok"
  /** Accept the request and never answer (a stuck collector). */
  | "hang"
  /** Record the request and answer success without decoding its content (benchmarks of the sender). */
  | "discard";

/** A running receiver. */
export interface OtlpReceiver {
  /** Base URL of the OTLP/HTTP server, e.g. `http://127.0.0.1:41234` (`https://` with TLS). */
  readonly httpUrl: string;
  /** Base URL of the OTLP/gRPC server, e.g. `http://127.0.0.1:41235` (HTTP/2; `https://` with TLS). */
  readonly grpcUrl: string;
  /** TLS handshakes the server refused (an untrusted or missing client certificate, a client that gave up). */
  readonly tlsErrors: string[];
  readonly spans: ReceivedSpan[];
  readonly points: ReceivedPoint[];
  readonly requests: ReceivedRequest[];
  /** Resolves once `predicate` holds, polling every 20 ms; rejects after `timeoutMs` (default 10 s). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 with ephemeral ports. */
export async function startReceiver(mode: ReceiverMode = "ok", options: ReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const requests: ReceivedRequest[] = [];
  const tlsErrors: string[] = [];
  const hanging = new Set<() => void>();

  const ingest = (path: string, body: Uint8Array, json: boolean) => {
    if (path.endsWith("/v1/traces") || path.includes("TraceService")) {
      spans.push(...(json ? tracesFromJson(JSON.parse(text(body))) : tracesFromProto(body)));
    } else if (path.endsWith("/v1/metrics") || path.includes("MetricsService")) {
      points.push(...(json ? metricsFromJson(JSON.parse(text(body))) : metricsFromProto(body)));
    }
  };

  /** Records and decodes one OTLP/HTTP request; the response status, or undefined when hanging. */
  const httpRequest = (
    path: string,
    headers: Record<string, string>,
    raw: Uint8Array,
    tls?: { clientCertificate?: string; httpVersion: string },
  ) => {
    const contentType = headers["content-type"] ?? "";
    const gzip = headers["content-encoding"] === "gzip";
    const body = gzip ? new Uint8Array(gunzipSync(raw)) : raw;
    requests.push({
      transport: "http",
      path,
      contentType,
      headers,
      gzip,
      receivedBytes: raw.length,
      decodedBytes: body.length,
      ...tls,
    });
    if (mode === "ok") ingest(path, body, contentType.includes("json"));
  };

  const clientName = (socket: unknown): string | undefined => {
    const name: unknown = (socket as TLSSocket | undefined)?.getPeerCertificate?.()?.subject?.CN;
    return typeof name === "string" && name !== "" ? name : undefined;
  };

  /** Serves one OTLP/gRPC call. */
  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Uint8Array[] = [];
    stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("end", () => {
      const path = String(headers[":path"]);
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (typeof v === "string") flat[k] = v;
      const clientCertificate = clientName(stream.session?.socket);
      const body = concat(chunks);
      const length = body.length >= 5 ? new DataView(body.buffer, body.byteOffset).getUint32(1) : 0;
      const gzip = body[0] === 1;
      const message = body.subarray(5, 5 + length);
      const decoded = gzip ? new Uint8Array(gunzipSync(message)) : message;
      requests.push({
        transport: "grpc",
        path,
        contentType: String(headers["content-type"]),
        headers: flat,
        gzip,
        receivedBytes: message.length,
        decodedBytes: decoded.length,
        clientCertificate,
      });
      if (mode === "hang") return;
      if (mode === "ok") ingest(path, decoded, false);
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(new Uint8Array([0, 0, 0, 0, 0]));
    });
  };

  const tls = options.tls;
  const tlsOptions = tls && {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa && { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
  };
  const abort = new AbortController();
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<{ destroy(): void }>();
  let httpServer: Deno.HttpServer<Deno.NetAddr> | http2.Http2SecureServer;
  if (!tlsOptions) {
    httpServer = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: abort.signal, onListen: () => {} },
      async (req) => {
        const path = new URL(req.url).pathname;
        httpRequest(path, Object.fromEntries(req.headers), new Uint8Array(await req.arrayBuffer()));
        if (mode === "hang") {
          await new Promise<void>((resolve) => hanging.add(resolve));
          return new Response(null, { status: 503 });
        }
        return (req.headers.get("content-type") ?? "").includes("json")
          ? Response.json({})
          : new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
      },
    );
  } else {
    const server = http2.createSecureServer({ ...tlsOptions, allowHTTP1: true });
    server.on("tlsClientError", (error: Error) => tlsErrors.push(error.message));
    server.on("session", (session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
    });
    // HTTP/1.1 connections (node:https clients) are not sessions; they are ended with the server.
    server.on("secureConnection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    server.on("request", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      const chunks: Uint8Array[] = [];
      req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      req.on("end", () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const tlsInfo = { clientCertificate: clientName(req.socket), httpVersion: req.httpVersion };
        httpRequest(req.url.split("?")[0]!, headers, concat(chunks), tlsInfo);
        if (mode === "hang") return;
        const json = (headers["content-type"] ?? "").includes("json");
        res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
        res.end(json ? "{}" : new Uint8Array(0));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    httpServer = server;
  }

  // No "request" listener here: with one, Deno's http2 compatibility layer loses the gRPC trailers of TLS streams.
  const grpcServer = tlsOptions ? http2.createSecureServer(tlsOptions) : http2.createServer();
  grpcServer.on("tlsClientError", (error: Error) => tlsErrors.push(error.message));
  grpcServer.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  grpcServer.on("stream", onStream);
  await new Promise<void>((resolve) => grpcServer.listen(0, "127.0.0.1", () => resolve()));
  const grpcPort = (grpcServer.address() as { port: number }).port;
  const grpcUrl = `${tls ? "https" : "http"}://127.0.0.1:${grpcPort}`;

  const httpPort = "addr" in httpServer ? httpServer.addr.port : (httpServer.address() as { port: number }).port;
  return {
    httpUrl: `${tls ? "https" : "http"}://127.0.0.1:${httpPort}`,
    grpcUrl,
    tlsErrors,
    spans,
    points,
    requests,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`Receiver: condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      for (const release of hanging) release();
      abort.abort();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      if ("finished" in httpServer) await httpServer.finished;
      else {
        const server = httpServer;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await new Promise<void>((resolve) => grpcServer.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

// ---- OTLP JSON ----

type Json = Record<string, unknown>;

function jsonAttrs(list: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of (list as Json[] | undefined) ?? []) out[String(kv.key)] = jsonValue(kv.value as Json | undefined);
  return out;
}

function jsonValue(value: Json | undefined): AttrValue {
  if (!value) return null;
  if ("stringValue" in value) return String(value.stringValue);
  if ("boolValue" in value) return Boolean(value.boolValue);
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return Number(value.doubleValue);
  if ("arrayValue" in value) {
    return (((value.arrayValue as Json).values as Json[] | undefined) ?? []).map((v) => jsonValue(v));
  }
  return null;
}

function tracesFromJson(body: Json): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of (body.resourceSpans as Json[] | undefined) ?? []) {
    const resource = jsonAttrs((rs.resource as Json | undefined)?.attributes);
    for (const ss of (rs.scopeSpans as Json[] | undefined) ?? []) {
      for (const span of (ss.spans as Json[] | undefined) ?? []) {
        out.push({
          name: String(span.name),
          traceId: String(span.traceId ?? ""),
          spanId: String(span.spanId ?? ""),
          parentSpanId: String(span.parentSpanId ?? ""),
          attributes: jsonAttrs(span.attributes),
          statusCode: Number((span.status as Json | undefined)?.code ?? 0),
          resource,
        });
      }
    }
  }
  return out;
}

function metricsFromJson(body: Json): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const rm of (body.resourceMetrics as Json[] | undefined) ?? []) {
    const resource = jsonAttrs((rm.resource as Json | undefined)?.attributes);
    for (const sm of (rm.scopeMetrics as Json[] | undefined) ?? []) {
      for (const metric of (sm.metrics as Json[] | undefined) ?? []) {
        const name = String(metric.name);
        for (const kind of ["sum", "gauge", "histogram"] as const) {
          const data = metric[kind] as Json | undefined;
          if (!data) continue;
          for (const dp of (data.dataPoints as Json[] | undefined) ?? []) {
            const attributes = jsonAttrs(dp.attributes);
            if (kind === "histogram") {
              out.push({ metric: name, kind, attributes, count: Number(dp.count), sum: Number(dp.sum), resource });
            } else {
              const value = dp.asInt !== undefined ? Number(dp.asInt) : Number(dp.asDouble);
              out.push({ metric: name, kind, attributes, value, resource });
            }
          }
        }
      }
    }
  }
  return out;
}

// ---- OTLP protobuf ----

/** One field occurrence: varint as bigint, length-delimited as bytes, fixed64/fixed32 as raw 8/4 bytes. */
type Field = { wire: 0; value: bigint } | { wire: 1 | 2 | 5; value: Uint8Array };

function decodeMessage(bytes: Uint8Array): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[pos++];
      if (byte === undefined) throw new RangeError("Truncated varint");
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    let field: Field;
    if (wire === 0) field = { wire: 0, value: varint() };
    else if (wire === 1) field = { wire: 1, value: bytes.subarray(pos, pos += 8) };
    else if (wire === 5) field = { wire: 5, value: bytes.subarray(pos, pos += 4) };
    else if (wire === 2) {
      const length = Number(varint());
      field = { wire: 2, value: bytes.subarray(pos, pos += length) };
    } else throw new RangeError(`Unsupported wire type ${wire}`);
    const list = fields.get(number) ?? [];
    list.push(field);
    fields.set(number, list);
  }
  return fields;
}

const messages = (m: Map<number, Field[]>, n: number) =>
  (m.get(n) ?? []).filter((f) => f.wire === 2).map((f) => decodeMessage(f.value as Uint8Array));
const bytesOf = (m: Map<number, Field[]>, n: number) => m.get(n)?.[0]?.value as Uint8Array | undefined;
const stringOf = (m: Map<number, Field[]>, n: number) => text(bytesOf(m, n) ?? new Uint8Array());
const hexOf = (m: Map<number, Field[]>, n: number) =>
  [...(bytesOf(m, n) ?? [])].map((b) => b.toString(16).padStart(2, "0")).join("");
const varintOf = (m: Map<number, Field[]>, n: number) => {
  const f = m.get(n)?.[0];
  return f?.wire === 0 ? f.value : 0n;
};
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const doubleOf = (m: Map<number, Field[]>, n: number) => {
  const b = bytesOf(m, n);
  return b ? view(b).getFloat64(0, true) : undefined;
};
const int64Of = (m: Map<number, Field[]>, n: number) => {
  const b = bytesOf(m, n);
  return b ? Number(view(b).getBigInt64(0, true)) : undefined;
};

function protoValue(m: Map<number, Field[]>): AttrValue {
  if (m.has(1)) return stringOf(m, 1);
  if (m.has(2)) return varintOf(m, 2) !== 0n;
  if (m.has(3)) return Number(BigInt.asIntN(64, varintOf(m, 3)));
  if (m.has(4)) return doubleOf(m, 4) ?? null;
  if (m.has(5)) return messages(messages(m, 5)[0] ?? new Map(), 1).map(protoValue);
  return null;
}

function protoAttrs(list: Map<number, Field[]>[]): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list) out[stringOf(kv, 1)] = protoValue(messages(kv, 2)[0] ?? new Map());
  return out;
}

function tracesFromProto(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of messages(decodeMessage(body), 1)) {
    const resource = protoAttrs(messages(messages(rs, 1)[0] ?? new Map(), 1));
    for (const ss of messages(rs, 2)) {
      for (const span of messages(ss, 2)) {
        const status = messages(span, 15)[0];
        out.push({
          name: stringOf(span, 5),
          traceId: hexOf(span, 1),
          spanId: hexOf(span, 2),
          parentSpanId: hexOf(span, 4),
          attributes: protoAttrs(messages(span, 9)),
          statusCode: status ? Number(varintOf(status, 3)) : 0,
          resource,
        });
      }
    }
  }
  return out;
}

function metricsFromProto(body: Uint8Array): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const rm of messages(decodeMessage(body), 1)) {
    const resource = protoAttrs(messages(messages(rm, 1)[0] ?? new Map(), 1));
    for (const sm of messages(rm, 2)) {
      for (const metric of messages(sm, 2)) {
        const name = stringOf(metric, 1);
        for (const [kind, field] of [["gauge", 5], ["sum", 7]] as const) {
          for (const data of messages(metric, field)) {
            for (const dp of messages(data, 1)) {
              const value = int64Of(dp, 6) ?? doubleOf(dp, 4);
              out.push({ metric: name, kind, attributes: protoAttrs(messages(dp, 7)), value, resource });
            }
          }
        }
        for (const data of messages(metric, 9)) {
          for (const dp of messages(data, 1)) {
            const count = bytesOf(dp, 4);
            out.push({
              metric: name,
              kind: "histogram",
              attributes: protoAttrs(messages(dp, 9)),
              count: count ? Number(view(count).getBigUint64(0, true)) : 0,
              sum: doubleOf(dp, 5),
              resource,
            });
          }
        }
      }
    }
  }
  return out;
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
