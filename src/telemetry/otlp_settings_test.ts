import { deepEqual as assertEquals, throws } from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import { telemetrySectionSchema } from "./config.ts";
import { parseKeyValueList, resolveExportSettings } from "./otlp_settings.ts";

const on = (extra: Record<string, unknown> = {}) => telemetrySectionSchema.parse({ enabled: true, ...extra });

Deno.test("resolveExportSettings() speaks gRPC to the seed's endpoint on port 4317", () => {
  const s = resolveExportSettings(on({ otlp_endpoint: "http://localhost:4317" }), {});
  assertEquals(s.traces, {
    url: "http://localhost:4317",
    protocol: "grpc",
    headers: {},
    timeoutMs: 10_000,
    compression: "none",
    tls: {},
  });
  assertEquals(s.metrics?.protocol, "grpc");
});

Deno.test("resolveExportSettings() appends signal paths to an HTTP base URL", () => {
  const s = resolveExportSettings(on({ otlp_endpoint: "https://otel.example.test:4318/base/" }), {});
  assertEquals(s.traces?.url, "https://otel.example.test:4318/base/v1/traces");
  assertEquals(s.metrics?.url, "https://otel.example.test:4318/base/v1/metrics");
  assertEquals(s.traces?.protocol, "http/protobuf");
});

Deno.test("resolveExportSettings() defaults to http/protobuf on localhost:4318 without an endpoint", () => {
  const s = resolveExportSettings(on(), {});
  assertEquals(s.traces?.url, "http://localhost:4318/v1/traces");
  assertEquals(resolveExportSettings(on({ otlp_protocol: "grpc" }), {}).traces?.url, "http://localhost:4317");
});

Deno.test("resolveExportSettings() lets OTEL_EXPORTER_OTLP_PROTOCOL override the port rule and the file", () => {
  const section = on({ otlp_endpoint: "http://collector:4317", otlp_protocol: "grpc" });
  const s = resolveExportSettings(section, { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
  assertEquals([s.traces?.protocol, s.traces?.url], ["http/json", "http://collector:4317/v1/traces"]);
  const t = resolveExportSettings(section, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" });
  assertEquals([t.traces?.protocol, t.metrics?.protocol], ["http/protobuf", "grpc"]);
});

Deno.test("resolveExportSettings() uses a signal-specific endpoint as it is", () => {
  const s = resolveExportSettings(on({ otlp_endpoint: "http://base:4318" }), {
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://metrics:9000/custom/path",
  });
  assertEquals(s.metrics?.url, "http://metrics:9000/custom/path");
  assertEquals(s.traces?.url, "http://base:4318/v1/traces");
});

Deno.test("resolveExportSettings() speaks TLS to a gRPC endpoint without a scheme unless insecure is set", () => {
  const bare = on({ otlp_endpoint: "collector:4317" });
  assertEquals(resolveExportSettings(bare, {}).traces?.url, "https://collector:4317");
  const insecure = on({ otlp_endpoint: "collector:4317", otlp_insecure: true });
  assertEquals(resolveExportSettings(insecure, {}).traces?.url, "http://collector:4317");
  const env = resolveExportSettings(bare, {
    OTEL_EXPORTER_OTLP_INSECURE: "TRUE",
    OTEL_EXPORTER_OTLP_METRICS_INSECURE: "false",
  });
  assertEquals([env.traces?.url, env.metrics?.url], ["http://collector:4317", "https://collector:4317"]);
  // A scheme wins over the flag, and HTTP endpoints without a scheme stay http.
  const schemed = resolveExportSettings(on({ otlp_endpoint: "https://collector:4317", otlp_insecure: true }), {});
  assertEquals(schemed.traces?.url, "https://collector:4317");
  const http = resolveExportSettings(on({ otlp_endpoint: "collector:4318", otlp_protocol: "http/protobuf" }), {});
  assertEquals(http.traces?.url, "http://collector:4318/v1/traces");
  const bad = resolveExportSettings(bare, { OTEL_EXPORTER_OTLP_TRACES_INSECURE: "yes" });
  assertEquals(bad.traces?.url, "https://collector:4317");
  assertEquals(bad.warnings, ['Ignoring OTEL_EXPORTER_OTLP_TRACES_INSECURE="yes": expected true or false']);
});

Deno.test("resolveExportSettings() takes compression from the signal's variable, the generic one, then the file", () => {
  const section = on({ otlp_compression: "gzip" });
  const file = resolveExportSettings(section, {});
  assertEquals([file.traces?.compression, file.metrics?.compression], ["gzip", "gzip"]);
  const env = resolveExportSettings(section, {
    OTEL_EXPORTER_OTLP_COMPRESSION: "none",
    OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "GZIP",
  });
  assertEquals([env.traces?.compression, env.metrics?.compression], ["none", "gzip"]);
  assertEquals(resolveExportSettings(on(), {}).traces?.compression, "none");
});

Deno.test("resolveExportSettings() rejects an unknown compression, naming the variable or key", () => {
  throws(
    () => resolveExportSettings(on(), { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "zstd" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === 'Cannot use OTEL_EXPORTER_OTLP_TRACES_COMPRESSION="zstd": unknown OTLP compression' &&
      error.hint === "Use one of gzip, none",
  );
});

Deno.test("resolveExportSettings() names certificate files with the setting that gave each, signal's first", () => {
  const section = on({
    otlp_endpoint: "https://collector:4318",
    otlp_certificate: "/etc/file-ca.pem",
    otlp_client_certificate: "file-client.pem",
    otlp_client_key: "file-client.key",
  });
  const s = resolveExportSettings(section, {
    OTEL_EXPORTER_OTLP_CERTIFICATE: "/etc/env-ca.pem",
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: "/etc/traces-ca.pem",
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: "metrics.key",
  });
  assertEquals(s.traces?.tls, {
    ca: { path: "/etc/traces-ca.pem", setting: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE" },
    cert: { path: "file-client.pem", setting: "telemetry.otlp_client_certificate" },
    key: { path: "file-client.key", setting: "telemetry.otlp_client_key" },
  });
  assertEquals(s.metrics?.tls, {
    ca: { path: "/etc/env-ca.pem", setting: "OTEL_EXPORTER_OTLP_CERTIFICATE" },
    cert: { path: "file-client.pem", setting: "telemetry.otlp_client_certificate" },
    key: { path: "metrics.key", setting: "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY" },
  });
  assertEquals(s.warnings, []);
});

Deno.test("resolveExportSettings() rejects a client certificate without its key, naming both settings", () => {
  throws(
    () =>
      resolveExportSettings(on({ otlp_endpoint: "https://collector:4317" }), {
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: "client.pem",
      }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message ===
        "Cannot use OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE for traces: a client certificate needs both the chain and " +
          "its key" &&
      error.hint === "Set also OTEL_EXPORTER_OTLP_CLIENT_KEY (or telemetry.otlp_client_key), or unset " +
          "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
  );
  throws(() => resolveExportSettings(on({ otlp_client_key: "client.key" }), {}), /telemetry\.otlp_client_key/);
});

Deno.test("resolveExportSettings() ignores certificate files for a plaintext endpoint, with a warning", () => {
  const s = resolveExportSettings(on({ otlp_endpoint: "http://collector:4317", trace_enabled: false }), {
    OTEL_EXPORTER_OTLP_CERTIFICATE: "ca.pem",
  });
  assertEquals(s.metrics?.tls, {});
  assertEquals(s.warnings, [
    'Ignoring OTEL_EXPORTER_OTLP_CERTIFICATE for metrics: the endpoint "http://collector:4317" is plaintext (http)',
  ]);
});

Deno.test("resolveExportSettings() merges headers: file, then generic, then signal-specific variables", () => {
  const s = resolveExportSettings(on({ otlp_headers: { "X-Team": "file", "x-keep": "1" } }), {
    OTEL_EXPORTER_OTLP_HEADERS: "x-team=env,authorization=Bearer%20abc",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=traces",
  });
  assertEquals(s.traces?.headers, { "x-team": "traces", "x-keep": "1", authorization: "Bearer abc" });
  assertEquals(s.metrics?.headers, { "x-team": "env", "x-keep": "1", authorization: "Bearer abc" });
});

Deno.test("resolveExportSettings() builds resource attributes with service.name from the section", () => {
  const s = resolveExportSettings(on({ service_name: "svc", resource_attributes: { a: "file", b: "file" } }), {
    OTEL_RESOURCE_ATTRIBUTES: "b=env,service.name=ignored,deployment.environment=prod%2Feu",
  });
  assertEquals(s.resourceAttributes, {
    a: "file",
    b: "env",
    "service.name": "svc",
    "deployment.environment": "prod/eu",
  });
});

Deno.test("resolveExportSettings() exports nothing when disabled, per signal, or by OTEL_SDK_DISABLED", () => {
  const off = resolveExportSettings(telemetrySectionSchema.parse({}), {});
  assertEquals([off.traces, off.metrics], [undefined, undefined]);
  const noTraces = resolveExportSettings(on({ trace_enabled: false }), {});
  assertEquals([noTraces.traces, noTraces.metrics?.protocol], [undefined, "http/protobuf"]);
  const none = resolveExportSettings(on(), { OTEL_METRICS_EXPORTER: "none" });
  assertEquals([none.traces?.protocol, none.metrics], ["http/protobuf", undefined]);
  const sdkOff = resolveExportSettings(on(), { OTEL_SDK_DISABLED: "true" });
  assertEquals([sdkOff.traces, sdkOff.metrics], [undefined, undefined]);
});

Deno.test("resolveExportSettings() reads timeouts and the metric interval in ms, ignoring bad values", () => {
  const s = resolveExportSettings(on({ export_timeout_seconds: 3, metrics_export_interval_seconds: 15 }), {
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "2500",
    OTEL_METRIC_EXPORT_INTERVAL: "soon",
  });
  assertEquals([s.traces?.timeoutMs, s.metrics?.timeoutMs, s.metricIntervalMs], [3000, 2500, 15_000]);
  assertEquals(s.warnings, ['Ignoring OTEL_METRIC_EXPORT_INTERVAL="soon": expected a positive number of milliseconds']);
});

Deno.test("resolveExportSettings() rejects an unknown protocol and an endpoint that is not http(s)", () => {
  throws(() => resolveExportSettings(on(), { OTEL_EXPORTER_OTLP_PROTOCOL: "udp" }), ConfigError);
  throws(() => resolveExportSettings(on({ otlp_endpoint: "ftp://x:21" }), {}), ConfigError);
  throws(() => resolveExportSettings(on({ otlp_endpoint: "http://[bad" }), {}), ConfigError);
});

Deno.test("parseKeyValueList() skips malformed members with a warning", () => {
  const warnings: string[] = [];
  assertEquals(parseKeyValueList("a=1,,=2,b,c=%ZZ,d= x ", "OTEL_RESOURCE_ATTRIBUTES", warnings), { a: "1", d: "x" });
  assertEquals(warnings.length, 3);
});
