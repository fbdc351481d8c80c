/**
 * `fs-data-sink check` for the OTLP export: each exported signal's endpoint gets an empty export request (a valid
 * `Export*ServiceRequest` with nothing in it) through the same transport, headers, protocol, compression and TLS
 * files a run uses, so an address, a path, a protocol, a header, a certificate or a client certificate the collector
 * refuses shows up before a run.
 * @module
 */
import { checkFailure, type CheckResult } from "../core/check.ts";
import { createSender } from "./_otlp_transport.ts";
import { readTlsFiles } from "./_otlp_tls.ts";
import type { TelemetrySection } from "./config.ts";
import { type Env, resolveExportSettings, type Signal, type SignalExport } from "./otlp_settings.ts";

/** Name of the probe of one signal, as printed. */
export function otlpCheckName(signal: Signal): string {
  return `otlp ${signal}`;
}

/** Options of {@linkcode checkOtlp}. */
export interface CheckOtlpOptions {
  /** The standard `OTEL_*` variables; default none. */
  readonly env?: Env;
  /** Longest time one export may take, ms; default the configured export timeout. */
  readonly timeoutMs?: number;
}

/** Probes every signal the section exports over OTLP; no result when none is exported. Never throws. */
export async function checkOtlp(section: TelemetrySection, options: CheckOtlpOptions = {}): Promise<CheckResult[]> {
  let settings;
  try {
    settings = resolveExportSettings(section, options.env ?? {});
  } catch (error) {
    return [checkFailure("otlp", error)];
  }
  const results: CheckResult[] = [];
  for (const signal of ["traces", "metrics"] as const) {
    const target = settings[signal];
    if (target) results.push(await probeSignal(signal, target, options.timeoutMs));
  }
  return results;
}

async function probeSignal(signal: Signal, target: SignalExport, timeoutMs: number | undefined): Promise<CheckResult> {
  const name = otlpCheckName(signal);
  let tls;
  try {
    tls = await readTlsFiles(target.tls);
  } catch (error) {
    return checkFailure(name, error);
  }
  const limited = { ...target, timeoutMs: Math.min(target.timeoutMs, timeoutMs ?? Infinity) };
  const sender = createSender(signal, limited, tls);
  const body = target.protocol === "http/json" ? new TextEncoder().encode("{}") : new Uint8Array();
  try {
    await sender.send(body);
    return { kind: "ok", name, detail: `${target.url} (${target.protocol}) accepted an empty export` };
  } catch (error) {
    return otlpFailure(name, error);
  } finally {
    sender.close();
  }
}

/**
 * The failed result of an export: a refused connection or an unknown host, TLS to a plaintext collector, an
 * untrusted collector certificate or a missing client certificate, and the collector's "unauthenticated",
 * "forbidden", "not found" or "unimplemented" answers are configuration faults; timeouts and server errors failures.
 */
export function otlpFailure(name: string, error: unknown): CheckResult {
  let cause = error instanceof Error ? error.message : String(error);
  let chain = cause;
  let root: string | undefined;
  let inner = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; inner instanceof Error && depth < 5; depth++, inner = inner.cause) {
    chain += ` ${inner.message} ${String((inner as { code?: unknown }).code ?? "")}`;
    root = inner.message;
  }
  // fetch says only "fetch failed"; the reason (refused, DNS) is in its causes.
  if (root && !cause.includes(root)) cause += ` (${root})`;
  if (/refused|ENOTFOUND|EAI_AGAIN|dns error|failed to lookup/i.test(chain)) {
    return {
      kind: "misconfigured",
      name,
      cause,
      hint: "check telemetry.otlp_endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) and that the collector runs",
    };
  }
  if (/InvalidContentType|wrong version number|WRONG_VERSION_NUMBER/i.test(chain)) {
    return {
      kind: "misconfigured",
      name,
      cause,
      hint: "the collector speaks plaintext, not TLS: write the endpoint with http:// (a gRPC endpoint without a " +
        "scheme is TLS unless telemetry.otlp_insecure / OTEL_EXPORTER_OTLP_INSECURE is true)",
    };
  }
  if (/CertificateRequired|CERTIFICATE_REQUIRED|certificate required/i.test(chain)) {
    return {
      kind: "misconfigured",
      name,
      cause,
      hint: "the collector asks for a client certificate: set telemetry.otlp_client_certificate and " +
        "otlp_client_key (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_KEY)",
    };
  }
  if (/certificate|CERT_|UnknownIssuer|NotValidForName/i.test(chain)) {
    return {
      kind: "misconfigured",
      name,
      cause,
      hint: "the collector's certificate is not trusted or names another host: set telemetry.otlp_certificate " +
        "(OTEL_EXPORTER_OTLP_CERTIFICATE) to the PEM file of the CA that signed it, and use the name it was issued for",
    };
  }
  if (/HTTP (401|403)\b|gRPC status (7|16)\b/.test(cause)) {
    return {
      kind: "misconfigured",
      name,
      cause,
      hint: "check telemetry.otlp_headers (OTEL_EXPORTER_OTLP_HEADERS): the collector refused the credentials",
    };
  }
  if (/HTTP (404|405|415)\b|gRPC status 12\b|HTTP\/2 status/.test(cause)) {
    return {
      kind: "misconfigured",
      name,
      cause,
      hint: "check telemetry.otlp_protocol (grpc, http/protobuf, http/json) and the endpoint's port and path",
    };
  }
  return { kind: "failed", name, cause, hint: "check that the collector runs and answers" };
}
