import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { telemetrySectionSchema } from "./config.ts";
import { checkOtlp, otlpFailure } from "./otlp_check.ts";

function section(endpoint: string, extra: Record<string, unknown> = {}) {
  return telemetrySectionSchema.parse({
    enabled: true,
    otlp_endpoint: endpoint,
    otlp_protocol: "http/protobuf",
    ...extra,
  });
}

Deno.test("checkOtlp() sends an empty export per signal and reads the collector's answer", async () => {
  const bodies: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    bodies.push((await request.arrayBuffer()).byteLength);
    return new URL(request.url).pathname === "/v1/traces"
      ? new Response(new Uint8Array(), { status: 200, headers: { "content-type": "application/x-protobuf" } })
      : new Response("unauthenticated", { status: 401 });
  });
  try {
    const results = await checkOtlp(section(`http://127.0.0.1:${server.addr.port}`), { timeoutMs: 2000 });
    assertEquals(results.map((r) => [r.kind, r.name]), [["ok", "otlp traces"], ["misconfigured", "otlp metrics"]]);
    assertEquals(bodies, [0, 0], "empty export requests");
  } finally {
    await server.shutdown();
  }
});

Deno.test("checkOtlp() names a refused address as a configuration fault, and probes nothing when off", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const results = await checkOtlp(section(`http://127.0.0.1:${port}`, { metrics_enabled: false }), { timeoutMs: 2000 });
  assertEquals(results.map((r) => r.kind), ["misconfigured"]);
  assertEquals(await checkOtlp(telemetrySectionSchema.parse({ otlp_endpoint: "http://127.0.0.1:1" })), []);
});

Deno.test("otlpFailure() tells timeouts and server errors (failed) from wrong settings (misconfigured)", () => {
  const kinds = [
    'Cannot export to "x": timed out or cancelled',
    'Cannot export to "x": HTTP 503 busy',
    'Cannot export to "x": HTTP 404 not found',
    'Cannot export to "x": gRPC status 16 bad token',
    'Cannot export to "x": Connection refused (os error 111)',
  ].map((message) => otlpFailure("otlp traces", new Error(message)).kind);
  assertEquals(kinds, ["failed", "failed", "misconfigured", "misconfigured", "misconfigured"]);
});

Deno.test("otlpFailure() names TLS faults as configuration, each with the setting to fix", () => {
  const hint = (message: string) => {
    const result = otlpFailure("otlp traces", new Error(message));
    return result.kind === "misconfigured" ? result.hint : `not misconfigured: ${result.kind}`;
  };
  const plaintext = hint('Cannot export to "x": received corrupt message of type InvalidContentType');
  assertEquals(plaintext?.includes("otlp_insecure"), true, plaintext);
  const untrusted = hint(
    'Cannot export to "x": self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)',
  );
  assertEquals(untrusted?.includes("telemetry.otlp_certificate"), true, untrusted);
  const fetchUntrusted = hint('Cannot export to "x": fetch failed: invalid peer certificate: UnknownIssuer');
  assertEquals(fetchUntrusted?.includes("telemetry.otlp_certificate"), true, fetchUntrusted);
  const noClient = hint('Cannot export to "x": received fatal alert: CertificateRequired');
  assertEquals(noClient?.includes("otlp_client_certificate"), true, noClient);
});
