/**
 * Benchmark of one OTLP span export, side by side: this project's transport (`src/telemetry/_otlp_transport.ts`,
 * gRPC framed by hand on `node:http2`, HTTP through `fetch`) against the official exporters
 * (`@opentelemetry/exporter-trace-otlp-grpc` on `@grpc/grpc-js`, `@opentelemetry/exporter-trace-otlp-proto` on
 * `node:https`), both encoding with the same `@opentelemetry/otlp-transformer` serializer.
 *
 * Cases: gRPC and HTTP/protobuf, plaintext and TLS with gzip and a client certificate (mutual TLS, certificates by
 * openssl), batches of 512 spans (the batch processor's largest) and 32 spans (what a pipeline exports every 5 s).
 * The receiver runs in a child process and answers without decoding, so the figures are the exporting process's
 * own: CPU time per export (user + system, `process.cpuUsage`) and wall time per export, exports sent one after
 * another. Rounds alternate the two paths; the medians over rounds are printed. Also printed: the time to import
 * the official exporters on top of what the project loads already.
 *
 * Usage: `deno run -A tests/bench/otlp_export_bench.ts [--exports N] [--rounds N] [--json]`.
 * @module
 */
import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import process from "node:process";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import { telemetrySectionSchema } from "../../src/telemetry/config.ts";
import { OtlpSpanExporter } from "../../src/telemetry/otlp_exporters.ts";
import { readTlsFiles } from "../../src/telemetry/_otlp_tls.ts";
import { resolveExportSettings } from "../../src/telemetry/otlp_settings.ts";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls_certs.ts";
import { startReceiver } from "../telemetry_receiver.ts";

const SELF = new URL(import.meta.url).pathname;

/** The URLs of the receiver child. */
interface Urls {
  readonly plain: { readonly grpc: string; readonly http: string };
  readonly tls: { readonly grpc: string; readonly http: string };
}

/** What both paths offer: the SDK's exporter shape. */
interface SpanExporterLike {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void;
}

type Protocol = "grpc" | "http/protobuf";
type Security = "plaintext" | "tls+gzip";

/** Child mode: a plaintext and a TLS receiver (client certificate required) that answer without decoding. */
async function serveReceivers(certDir: string): Promise<void> {
  const read = (name: string) => Deno.readTextFile(`${certDir}/${name}`);
  const plain = await startReceiver("discard");
  const tls = await startReceiver("discard", {
    tls: { cert: await read("server.pem"), key: await read("server.key"), clientCa: await read("ca.pem") },
  });
  const urls: Urls = {
    plain: { grpc: plain.grpcUrl, http: plain.httpUrl },
    tls: { grpc: tls.grpcUrl, http: tls.httpUrl },
  };
  console.log(JSON.stringify(urls));
  // Runs until the parent closes stdin.
  for await (const _ of Deno.stdin.readable) { /* nothing to read */ }
  await plain.close();
  await tls.close();
}

function makeSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer("fs-data-sink", "0.1.0");
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(i % 2 === 0 ? "batch" : "sink.write_batch", {
      attributes: {
        "fs_data_sink.stream": `orders+${i % 4}`,
        "fs_data_sink.first_position": String(i * 1000).padStart(20, "0"),
        "fs_data_sink.last_position": String(i * 1000 + 999).padStart(20, "0"),
        "fs_data_sink.records": 1000,
        "fs_data_sink.file_path": `orders/date=2026-12-01/orders+${i % 4}+${
          String(i * 1000).padStart(20, "0")
        }.parquet`,
        "fs_data_sink.bytes": 123_456 + i,
      },
    });
    span.end();
  }
  return memory.getFinishedSpans();
}

async function ownExporter(protocol: Protocol, security: Security, urls: Urls, certs: TestCertificates) {
  const tls = security === "tls+gzip";
  const section = telemetrySectionSchema.parse({
    enabled: true,
    metrics_enabled: false,
    otlp_protocol: protocol,
    otlp_endpoint: protocol === "grpc" ? urls[tls ? "tls" : "plain"].grpc : urls[tls ? "tls" : "plain"].http,
    ...(tls && {
      otlp_compression: "gzip",
      otlp_certificate: certs.caCert,
      otlp_client_certificate: certs.clientCert,
      otlp_client_key: certs.clientKey,
    }),
  });
  const target = resolveExportSettings(section, {}).traces!;
  return new OtlpSpanExporter(target, { tls: await readTlsFiles(target.tls) });
}

/** The official exporters' modules, imported by non-literal specifiers so they load when asked, not at start. */
interface Official {
  readonly grpc: typeof import("@opentelemetry/exporter-trace-otlp-grpc");
  readonly grpcBase: typeof import("@opentelemetry/otlp-grpc-exporter-base");
  readonly proto: typeof import("@opentelemetry/exporter-trace-otlp-proto");
  /** Milliseconds each import took, on top of the project's own modules. */
  readonly importMs: { readonly grpc: number; readonly proto: number };
}

async function loadOfficial(): Promise<Official> {
  const specifiers = [
    "@opentelemetry/exporter-trace-otlp-grpc",
    "@opentelemetry/otlp-grpc-exporter-base",
    "@opentelemetry/exporter-trace-otlp-proto",
  ];
  const started = performance.now();
  const grpc = await import(specifiers[0]!);
  const grpcBase = await import(specifiers[1]!);
  const grpcMs = performance.now() - started;
  const protoStarted = performance.now();
  const proto = await import(specifiers[2]!);
  return { grpc, grpcBase, proto, importMs: { grpc: grpcMs, proto: performance.now() - protoStarted } };
}

async function officialExporter(
  official: Official,
  protocol: Protocol,
  security: Security,
  urls: Urls,
  certs: TestCertificates,
): Promise<SpanExporterLike> {
  const tls = security === "tls+gzip";
  const read = (path: string) => Deno.readFile(path).then((bytes) => Buffer.from(bytes));
  const compression = (tls ? "gzip" : "none") as never;
  if (protocol === "grpc") {
    // grpc-js names the TLS server by the URL's host, and Deno refuses an IP address there: localhost it is.
    const url = tls ? urls.tls.grpc.replace("127.0.0.1", "localhost") : urls.plain.grpc;
    const credentials = tls
      ? official.grpcBase.createSslCredentials(
        await read(certs.caCert),
        await read(certs.clientKey),
        await read(certs.clientCert),
      )
      : official.grpcBase.createInsecureCredentials();
    return new official.grpc.OTLPTraceExporter({ url, credentials, compression });
  }
  const url = `${tls ? urls.tls.http : urls.plain.http}/v1/traces`;
  const httpAgentOptions = tls
    ? { ca: await read(certs.caCert), cert: await read(certs.clientCert), key: await read(certs.clientKey) }
    : {};
  return new official.proto.OTLPTraceExporter({ url, compression, httpAgentOptions });
}

function exportOnce(exporter: SpanExporterLike, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) =>
    exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error("export failed"));
    })
  );
}

/** CPU µs and wall µs per export over `count` exports in a row. */
async function measure(exporter: SpanExporterLike, spans: ReadableSpan[], count: number) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) await exportOnce(exporter, spans);
  const wallUs = ((performance.now() - started) * 1000) / count;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / count, wallUs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      exports: { type: "string", default: "200" },
      rounds: { type: "string", default: "5" },
      json: { type: "boolean", default: false },
      receiver: { type: "string" },
    },
  });
  if (values.receiver) return await serveReceivers(values.receiver);
  const exports = Number(values.exports);
  const rounds = Number(values.rounds);

  const certs = await makeTestCertificates();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SELF, "--receiver", certs.dir],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const urls = JSON.parse((await reader.read()).value!) as Urls;
  reader.releaseLock();

  const rows: Record<string, unknown>[] = [];
  try {
    const official = await loadOfficial();

    for (const size of [512, 32]) {
      const spans = makeSpans(size);
      const count = size === 512 ? exports : exports * 4;
      for (const protocol of ["grpc", "http/protobuf"] as Protocol[]) {
        for (const security of ["plaintext", "tls+gzip"] as Security[]) {
          const paths = {
            own: await ownExporter(protocol, security, urls, certs),
            official: await officialExporter(official, protocol, security, urls, certs),
          };
          const results: Record<string, { cpuUs: number[]; wallUs: number[] }> = {
            own: { cpuUs: [], wallUs: [] },
            official: { cpuUs: [], wallUs: [] },
          };
          // Warm-up: connections, TLS sessions, JIT.
          for (const exporter of Object.values(paths)) await measure(exporter, spans, 20);
          for (let round = 0; round < rounds; round++) {
            const order = round % 2 === 0 ? ["own", "official"] as const : ["official", "own"] as const;
            for (const name of order) {
              const { cpuUs, wallUs } = await measure(paths[name], spans, count);
              results[name]!.cpuUs.push(cpuUs);
              results[name]!.wallUs.push(wallUs);
            }
          }
          // Not shut down (here nor above): Deno's http2 server (the receiver) aborts when a client closes a session that carried
          // about 100 streams (nghttp2 find_stream_on_goaway_func assertion); the connections end with this process.
          for (const name of ["own", "official"] as const) {
            rows.push({
              spans: size,
              protocol,
              security,
              path: name,
              cpuUsPerExport: Math.round(median(results[name]!.cpuUs)),
              wallUsPerExport: Math.round(median(results[name]!.wallUs)),
            });
          }
        }
      }
    }
    if (values.json) {
      console.log(JSON.stringify({ importMs: official.importMs, rows }));
      return;
    }
    console.log(
      `OTLP span export, ${exports} exports of 512 spans / ${exports * 4} of 32 per round, ${rounds} rounds:`,
    );
    console.log("  spans  protocol        security   path      CPU µs/export  wall µs/export");
    for (const row of rows) {
      console.log(
        `  ${String(row.spans).padStart(5)}  ${String(row.protocol).padEnd(14)}  ${String(row.security).padEnd(9)}  ` +
          `${String(row.path).padEnd(8)}  ${String(row.cpuUsPerExport).padStart(13)}  ${
            String(row.wallUsPerExport).padStart(14)
          }`,
      );
    }
    console.log(
      `  import of the official exporters on top of the project's modules: grpc ${
        official.importMs.grpc.toFixed(0)
      } ms, proto ${official.importMs.proto.toFixed(0)} ms`,
    );
  } finally {
    // Killed rather than closed: its http2 server could abort on the clients' sessions (see below).
    await stdin.close().catch(() => {});
    child.kill("SIGTERM");
    await child.status;
    await certs.remove();
  }
}

if (import.meta.main) {
  await main();
  // The exporters' connections stay open (see above); they end here.
  Deno.exit(0);
}
