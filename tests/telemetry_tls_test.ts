/**
 * OTLP export with compression and TLS against a real receiver on loopback (tests/telemetry_receiver.ts; its TLS
 * server is `node:http2`, certificates made by openssl in a temporary folder): gzip-compressed requests arrive and
 * decode, a custom CA is trusted and an unrelated one is not, a client certificate is presented to a receiver that
 * requires it, and a certificate file that cannot be read is named. `fs-data-sink check`'s OTLP probe is run with
 * the same settings.
 */
import { deepEqual as assertEquals, ok as assert, rejects } from "node:assert/strict";
import { ConfigError } from "../src/core/errors.ts";
import { type OtlpProtocol, type TelemetrySection, telemetrySectionSchema } from "../src/telemetry/config.ts";
import { configureLogging } from "../src/telemetry/log.ts";
import { METRIC_NAMES, SPAN, startTelemetry } from "../src/telemetry/mod.ts";
import { checkOtlp } from "../src/telemetry/otlp_check.ts";
import type { Env } from "../src/telemetry/otlp_settings.ts";
import { makeTestCertificates, type TestCertificates } from "./helpers/tls_certs.ts";
import { type OtlpReceiver, type ReceiverOptions, startReceiver } from "./telemetry_receiver.ts";

const PROTOCOLS: OtlpProtocol[] = ["grpc", "http/protobuf", "http/json"];

function section(overrides: Partial<Record<keyof TelemetrySection, unknown>>): TelemetrySection {
  return telemetrySectionSchema.parse({
    enabled: true,
    metrics_export_interval_seconds: 3600,
    shutdown_timeout_seconds: 5,
    export_timeout_seconds: 3,
    ...overrides,
  });
}

/** Starts telemetry, records a span and a counter, shuts down; returns the JSON log lines written meanwhile. */
async function exportOnce(telemetrySection: TelemetrySection, env: Env): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  configureLogging({ writer: (line) => lines.push(line), format: "json", level: "DEBUG" });
  try {
    const telemetry = await startTelemetry(telemetrySection, { env, configureLogging: false });
    await telemetry.withSpan(SPAN.batch, { "fs_data_sink.stream": "orders/0" }, () => Promise.resolve());
    telemetry.metrics.recordsProcessed(42);
    await telemetry.shutdown();
  } finally {
    const encoder = new TextEncoder();
    configureLogging({ writer: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")), format: "text" });
    configureLogging({ level: "INFO" });
  }
  return lines.map((line) => JSON.parse(line));
}

async function withTls(
  fn: (
    certs: TestCertificates,
    start: (options?: { requireClient?: boolean }) => Promise<OtlpReceiver>,
  ) => Promise<void>,
): Promise<void> {
  const certs = await makeTestCertificates();
  const receivers: OtlpReceiver[] = [];
  try {
    await fn(certs, async ({ requireClient = false } = {}) => {
      const tls: ReceiverOptions["tls"] = {
        cert: await Deno.readTextFile(certs.serverCert),
        key: await Deno.readTextFile(certs.serverKey),
        ...(requireClient && { clientCa: await Deno.readTextFile(certs.caCert) }),
      };
      const receiver = await startReceiver("ok", { tls });
      receivers.push(receiver);
      return receiver;
    });
  } finally {
    for (const receiver of receivers) await receiver.close();
    await certs.remove();
  }
}

function exportWarnings(lines: Record<string, unknown>[]): string[] {
  return lines
    .filter((line) => line.level === "WARNING" && String(line.message).startsWith("Cannot export telemetry"))
    .map((line) => String(line.error));
}

for (const protocol of PROTOCOLS) {
  Deno.test(`OTLP ${protocol} over TLS: gzip, the configured CA and a client certificate reach the receiver`, async () => {
    await withTls(async (certs, start) => {
      const receiver = await start({ requireClient: true });
      // The file's keys give the CA; the client certificate comes from the standard variables.
      const lines = await exportOnce(
        section({
          otlp_endpoint: protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl,
          otlp_protocol: protocol,
          otlp_certificate: certs.caCert,
        }),
        {
          OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
          OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCert,
          OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKey,
        },
      );
      assertEquals(exportWarnings(lines), []);
      assertEquals(receiver.spans.map((span) => span.name), [SPAN.batch]);
      assertEquals(receiver.points.find((p) => p.metric === METRIC_NAMES.recordsProcessed)?.value, 42);
      assert(receiver.requests.length >= 2, "a traces and a metrics request");
      for (const request of receiver.requests) {
        assertEquals([request.gzip, request.clientCertificate], [true, certs.clientName], request.path);
        const header = protocol === "grpc" ? "grpc-encoding" : "content-encoding";
        assertEquals(request.headers[header], "gzip");
        // HTTP/2 would cost ~44 ms per export: Deno's fetch leaves TCP_NODELAY off (see _otlp_transport.ts).
        if (protocol !== "grpc") assertEquals(request.httpVersion, "1.1");
      }
      const check = await checkOtlp(
        section({
          otlp_endpoint: protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl,
          otlp_protocol: protocol,
          otlp_certificate: certs.caCert,
          otlp_client_certificate: certs.clientCert,
          otlp_client_key: certs.clientKey,
          otlp_compression: "gzip",
        }),
        { env: {}, timeoutMs: 3000 },
      );
      assertEquals(check.map((result) => result.kind), ["ok", "ok"]);
    });
  });
}

for (const protocol of ["grpc", "http/protobuf"] as OtlpProtocol[]) {
  Deno.test(`OTLP ${protocol} over TLS: a collector certificate signed by another CA is refused, and said so`, async () => {
    await withTls(async (certs, start) => {
      const receiver = await start();
      const endpoint = protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl;
      const settings = section({ otlp_endpoint: endpoint, otlp_protocol: protocol });
      for (const env of [{ OTEL_EXPORTER_OTLP_CERTIFICATE: certs.otherCaCert }, {}]) {
        const warnings = exportWarnings(await exportOnce(settings, env));
        assert(warnings.length > 0, "a warning about the failed export");
        assert(
          warnings.every((error) => /certificate|UnknownIssuer/i.test(error)),
          `the warning names the certificate: ${warnings.join(" | ")}`,
        );
        const check = await checkOtlp(settings, { env, timeoutMs: 3000 });
        assertEquals(check.map((result) => result.kind), ["misconfigured", "misconfigured"]);
        const first = check[0]!;
        assert(first.kind === "misconfigured" && /otlp_certificate/.test(first.hint ?? ""), JSON.stringify(first));
      }
      assertEquals(receiver.requests, [], "nothing got through");
    });
  });

  Deno.test(`OTLP ${protocol} over TLS: a receiver that requires a client certificate refuses an export without`, async () => {
    await withTls(async (certs, start) => {
      const receiver = await start({ requireClient: true });
      const settings = section({
        otlp_endpoint: protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl,
        otlp_protocol: protocol,
        otlp_certificate: certs.caCert,
      });
      const warnings = exportWarnings(await exportOnce(settings, {}));
      assert(warnings.length > 0, "a warning about the failed export");
      assert(warnings.every((error) => /certificate/i.test(error)), warnings.join(" | "));
      const check = await checkOtlp(settings, { env: {}, timeoutMs: 3000 });
      const first = check[0]!;
      assert(first.kind === "misconfigured" && /otlp_client_certificate/.test(first.hint ?? ""), JSON.stringify(first));
      assertEquals(receiver.requests, []);
      assert(receiver.tlsErrors.length > 0, "the receiver refused the handshakes");
    });
  });
}

Deno.test("OTLP gzip over plaintext gRPC and HTTP, chosen per signal by the standard variables", async () => {
  for (const protocol of ["grpc", "http/protobuf"] as OtlpProtocol[]) {
    const receiver = await startReceiver();
    try {
      const endpoint = protocol === "grpc" ? receiver.grpcUrl : receiver.httpUrl;
      const lines = await exportOnce(section({ otlp_endpoint: endpoint, otlp_protocol: protocol }), {
        OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "gzip",
      });
      assertEquals(exportWarnings(lines), []);
      assertEquals(receiver.spans.map((span) => span.name), [SPAN.batch]);
      const byPath = receiver.requests.map((r) => [r.path.includes("race") ? "traces" : "metrics", r.gzip]);
      assertEquals(byPath.sort(), [["metrics", false], ["traces", true]]);
    } finally {
      await receiver.close();
    }
  }
});

Deno.test("OTLP certificate files that cannot be read stop the start and the check, naming setting and file", async () => {
  const missing = `/nonexistent/fsds-${crypto.randomUUID()}/ca.pem`;
  const settings = section({ otlp_endpoint: "https://127.0.0.1:4318", otlp_protocol: "http/protobuf" });
  const env = { OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: missing };
  await rejects(
    startTelemetry(settings, { env, configureLogging: false }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === `Cannot read OTLP CA certificate "${missing}" (OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE): ` +
          "no such file",
  );
  const check = await checkOtlp(settings, { env, timeoutMs: 1000 });
  const metrics = check.find((result) => result.name === "otlp metrics");
  assert(metrics?.kind === "misconfigured" && metrics.cause.includes(missing), JSON.stringify(check));
});
