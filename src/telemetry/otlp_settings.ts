/**
 * Resolves where and how traces and metrics are exported, from the `telemetry` section and the standard `OTEL_*`
 * variables. Pure: the environment is passed in, nothing is read or sent here (certificate files are only named;
 * `otlp_tls.ts` reads them).
 *
 * Precedence (the seed's: environment over file): a signal-specific variable
 * (`OTEL_EXPORTER_OTLP_TRACES_*`, `OTEL_EXPORTER_OTLP_METRICS_*`) over the generic one (`OTEL_EXPORTER_OTLP_*`)
 * over the section's key over the default. This holds for the endpoint, protocol, headers (merged in that order),
 * compression, certificates, timeout and insecure flag.
 *
 * Protocol default: when neither `otlp_protocol` nor `OTEL_EXPORTER_OTLP_PROTOCOL` says, an endpoint on port 4317
 * (the gRPC port, as in the seed's example `http://localhost:4317`) is spoken to over gRPC; anything else over
 * `http/protobuf`, whose default endpoint is `http://localhost:4318`.
 *
 * Endpoints: the base URL (`otlp_endpoint` / `OTEL_EXPORTER_OTLP_ENDPOINT`) gets `/v1/traces` or `/v1/metrics`
 * appended for HTTP; a signal-specific endpoint is used as it is, as the specification says. gRPC uses only the
 * scheme, host and port (`http:` = plaintext HTTP/2, `https:` = TLS); a gRPC endpoint without a scheme
 * (`collector:4317`) is TLS unless `otlp_insecure` / OTEL_EXPORTER_OTLP_INSECURE is true, as the specification
 * says. An HTTP endpoint without a scheme is taken as `http://`.
 * @module
 */
import { ConfigError } from "../core/errors.ts";
import {
  OTLP_COMPRESSIONS,
  OTLP_PROTOCOLS,
  type OtlpCompression,
  type OtlpProtocol,
  type TelemetrySection,
} from "./config.ts";

/** The two exported signals. */
export type Signal = "traces" | "metrics";

/** Where and how one signal is exported. */
export interface SignalExport {
  /** HTTP: the full POST URL. gRPC: the origin, e.g. `http://localhost:4317`. */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  /** Request headers (gRPC metadata), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Timeout of one export request, ms. */
  readonly timeoutMs: number;
  /** Compression of each request body. */
  readonly compression: OtlpCompression;
  /** Certificate files for TLS, not read yet; empty for a plaintext endpoint or the default trust alone. */
  readonly tls: TlsFiles;
}

/** A file named by a setting, with that setting's name for messages (`OTEL_EXPORTER_OTLP_CERTIFICATE`). */
export interface NamedFile {
  readonly path: string;
  /** The variable or key that named the file, e.g. `telemetry.otlp_client_key`. */
  readonly setting: string;
}

/** The TLS files of one signal's export. A client certificate always comes with its key. */
export interface TlsFiles {
  /** CA certificates trusted for the collector's certificate, besides the default roots. */
  readonly ca?: NamedFile;
  /** Client certificate chain, presented when the collector asks (mutual TLS). */
  readonly cert?: NamedFile;
  /** Private key of the client certificate. */
  readonly key?: NamedFile;
}

/** Everything telemetry setup needs to know about exporting. */
export interface ExportSettings {
  /** Undefined when traces are not exported. */
  readonly traces?: SignalExport;
  /** Undefined when metrics are not exported over OTLP. */
  readonly metrics?: SignalExport;
  /** Interval between periodic metric exports, ms. */
  readonly metricIntervalMs: number;
  /** Resource attributes, `service.name` included. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Ignored malformed variables, to be logged as warnings. */
  readonly warnings: readonly string[];
}

/** An environment: variable name to value. */
export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_METRIC_INTERVAL_MS = 60_000;
const GRPC_PORT = "4317";
const DEFAULT_GRPC_ENDPOINT = "http://localhost:4317";
const DEFAULT_HTTP_ENDPOINT = "http://localhost:4318";
const SIGNAL_PATHS: Record<Signal, string> = { traces: "/v1/traces", metrics: "/v1/metrics" };

/**
 * Resolves the export settings. Throws {@linkcode ConfigError} for an endpoint that is not a URL or an unknown
 * protocol name; other malformed variables are ignored and reported in `warnings`.
 */
export function resolveExportSettings(section: TelemetrySection, env: Env): ExportSettings {
  const warnings: string[] = [];
  const sdkDisabled = isTrue(env.OTEL_SDK_DISABLED);
  const on = section.enabled && !sdkDisabled;
  const traces = on && section.trace_enabled && env.OTEL_TRACES_EXPORTER?.trim() !== "none"
    ? resolveSignal("traces", section, env, warnings)
    : undefined;
  const metrics = on && section.metrics_enabled && env.OTEL_METRICS_EXPORTER?.trim() !== "none"
    ? resolveSignal("metrics", section, env, warnings)
    : undefined;
  const intervalMs = positiveMs(env.OTEL_METRIC_EXPORT_INTERVAL, "OTEL_METRIC_EXPORT_INTERVAL", warnings) ??
    secondsToMs(section.metrics_export_interval_seconds) ?? DEFAULT_METRIC_INTERVAL_MS;
  const resourceAttributes: Record<string, string> = {
    ...section.resource_attributes,
    ...parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES, "OTEL_RESOURCE_ATTRIBUTES", warnings),
    "service.name": section.service_name,
  };
  return { traces, metrics, metricIntervalMs: intervalMs, resourceAttributes, warnings };
}

function resolveSignal(signal: Signal, section: TelemetrySection, env: Env, warnings: string[]): SignalExport {
  const upper = signal.toUpperCase();
  const specific = (name: string) => `OTEL_EXPORTER_OTLP_${upper}_${name}`;
  const generic = (name: string) => `OTEL_EXPORTER_OTLP_${name}`;
  /** The first of the signal's variable, the generic variable and the section's key that is set, with its name. */
  const pick = (name: string, key: keyof TelemetrySection): { value: string; setting: string } | undefined => {
    for (const variable of [specific(name), generic(name)]) {
      const value = nonEmpty(env[variable]);
      if (value !== undefined) return { value, setting: variable };
    }
    const value = section[key];
    return value === undefined ? undefined : { value: String(value), setting: `telemetry.${key}` };
  };

  const specificEndpoint = nonEmpty(env[specific("ENDPOINT")]);
  const baseEndpoint = nonEmpty(section.otlp_endpoint);
  const endpoint = specificEndpoint ?? baseEndpoint;
  const protocol = parseProtocol(env[specific("PROTOCOL")], specific("PROTOCOL")) ??
    parseProtocol(env.OTEL_EXPORTER_OTLP_PROTOCOL, "OTEL_EXPORTER_OTLP_PROTOCOL") ?? section.otlp_protocol ??
    defaultProtocol(endpoint);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(section.otlp_headers ?? {})) headers[name.toLowerCase()] = value;
  Object.assign(headers, parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS", warnings));
  Object.assign(headers, parseKeyValueList(env[specific("HEADERS")], specific("HEADERS"), warnings));
  const timeoutMs = positiveMs(env[specific("TIMEOUT")], specific("TIMEOUT"), warnings) ??
    positiveMs(env.OTEL_EXPORTER_OTLP_TIMEOUT, "OTEL_EXPORTER_OTLP_TIMEOUT", warnings) ??
    secondsToMs(section.export_timeout_seconds) ?? DEFAULT_TIMEOUT_MS;
  const compression = parseCompression(pick("COMPRESSION", "otlp_compression"));
  const insecure = parseInsecure(pick("INSECURE", "otlp_insecure"), warnings);

  const fallback = protocol === "grpc" ? DEFAULT_GRPC_ENDPOINT : DEFAULT_HTTP_ENDPOINT;
  const bareScheme = protocol === "grpc" && !insecure ? "https" : "http";
  const parsed = parseEndpoint(endpoint ?? fallback, bareScheme);
  let url: string;
  if (protocol === "grpc") url = parsed.origin;
  else if (specificEndpoint !== undefined) url = parsed.href;
  else url = parsed.href.replace(/\/+$/, "") + SIGNAL_PATHS[signal];

  const named = (name: string, key: keyof TelemetrySection): NamedFile | undefined => {
    const found = pick(name, key);
    return found && { path: found.value, setting: found.setting };
  };
  const ca = named("CERTIFICATE", "otlp_certificate");
  const cert = named("CLIENT_CERTIFICATE", "otlp_client_certificate");
  const key = named("CLIENT_KEY", "otlp_client_key");
  if ((cert === undefined) !== (key === undefined)) {
    const [given, missing] = cert ? [cert.setting, "CLIENT_KEY"] : [key!.setting, "CLIENT_CERTIFICATE"];
    const missingKey = missing === "CLIENT_KEY" ? "otlp_client_key" : "otlp_client_certificate";
    throw new ConfigError(`Cannot use ${given} for ${signal}: a client certificate needs both the chain and its key`, {
      hint: `Set also ${generic(missing)} (or telemetry.${missingKey}), or unset ${given}`,
    });
  }
  let tls: TlsFiles = { ...(ca && { ca }), ...(cert && { cert, key }) };
  if (parsed.protocol === "http:" && (ca || cert)) {
    const settings = [ca, cert, key].filter((f) => f !== undefined).map((f) => f.setting).join(", ");
    warnings.push(`Ignoring ${settings} for ${signal}: the endpoint "${url}" is plaintext (http)`);
    tls = {};
  }
  return { url, protocol, headers, timeoutMs, compression, tls };
}

/** grpc for an endpoint on port 4317, else http/protobuf. */
function defaultProtocol(endpoint: string | undefined): OtlpProtocol {
  if (endpoint === undefined) return "http/protobuf";
  return parseEndpoint(endpoint).port === GRPC_PORT ? "grpc" : "http/protobuf";
}

/** Parses an endpoint; one written without a scheme (gRPC endpoints often are: "collector:4317") gets `bareScheme`. */
function parseEndpoint(text: string, bareScheme: "http" | "https" = "http"): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${bareScheme}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new ConfigError(`Cannot use OTLP endpoint "${text}": not a URL`, {
      hint: "Set telemetry.otlp_endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) to e.g. http://localhost:4318",
      cause,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`Cannot use OTLP endpoint "${text}": scheme must be http or https`, {
      hint: "Use http://host:port (plaintext) or https://host:port (TLS)",
    });
  }
  return url;
}

function parseProtocol(text: string | undefined, variable: string): OtlpProtocol | undefined {
  const value = nonEmpty(text);
  if (value === undefined) return undefined;
  if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
  throw new ConfigError(`Cannot use ${variable}="${value}": unknown OTLP protocol`, {
    hint: `Use one of ${OTLP_PROTOCOLS.join(", ")}`,
  });
}

function parseCompression(found: { value: string; setting: string } | undefined): OtlpCompression {
  if (found === undefined) return "none";
  const value = found.value.toLowerCase();
  if ((OTLP_COMPRESSIONS as readonly string[]).includes(value)) return value as OtlpCompression;
  throw new ConfigError(`Cannot use ${found.setting}="${found.value}": unknown OTLP compression`, {
    hint: `Use one of ${OTLP_COMPRESSIONS.join(", ")}`,
  });
}

function parseInsecure(found: { value: string; setting: string } | undefined, warnings: string[]): boolean {
  const value = found?.value.toLowerCase();
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  warnings.push(`Ignoring ${found!.setting}="${found!.value}": expected true or false`);
  return false;
}

/**
 * Parses the W3C-baggage-like list of OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS:
 * `key1=value1,key2=value2`, values percent-decoded. Malformed members are skipped with a warning.
 */
export function parseKeyValueList(
  text: string | undefined,
  variable: string,
  warnings: string[] = [],
): Record<string, string> {
  const result: Record<string, string> = {};
  if (!text) return result;
  for (const member of text.split(",")) {
    if (member.trim() === "") continue;
    const eq = member.indexOf("=");
    const key = eq > 0 ? member.slice(0, eq).trim() : "";
    if (key === "") {
      warnings.push(`Ignoring member "${member.trim()}" of ${variable}: expected key=value`);
      continue;
    }
    try {
      const name = variable.includes("HEADERS") ? decodeURIComponent(key).toLowerCase() : decodeURIComponent(key);
      result[name] = decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      warnings.push(`Ignoring member "${key}" of ${variable}: bad percent-encoding`);
    }
  }
  return result;
}

function positiveMs(text: string | undefined, variable: string, warnings: string[]): number | undefined {
  const value = nonEmpty(text);
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (Number.isFinite(ms) && ms > 0) return ms;
  warnings.push(`Ignoring ${variable}="${value}": expected a positive number of milliseconds`);
  return undefined;
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function isTrue(text: string | undefined): boolean {
  return text?.trim().toLowerCase() === "true";
}
