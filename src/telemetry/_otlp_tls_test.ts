import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { readTlsFiles } from "./_otlp_tls.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-otlp-tls-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readTlsFiles() reads the named PEM files, and nothing when none is named", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "ca.pem"), CERT);
    await Deno.writeTextFile(join(dir, "client.pem"), CERT);
    await Deno.writeTextFile(join(dir, "client.key"), KEY.replaceAll("PRIVATE", "EC PRIVATE"));
    const material = await readTlsFiles({
      ca: { path: join(dir, "ca.pem"), setting: "OTEL_EXPORTER_OTLP_CERTIFICATE" },
      cert: { path: join(dir, "client.pem"), setting: "telemetry.otlp_client_certificate" },
      key: { path: join(dir, "client.key"), setting: "telemetry.otlp_client_key" },
    });
    assertEquals(material, { ca: CERT, cert: CERT, key: KEY.replaceAll("PRIVATE", "EC PRIVATE") });
    assertEquals(await readTlsFiles({}), undefined);
  });
});

Deno.test("readTlsFiles() names the setting and the file that cannot be read", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "missing-ca.pem");
    await rejects(
      readTlsFiles({ ca: { path, setting: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE" } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          `Cannot read OTLP CA certificate "${path}" (OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE): no such file` &&
        error.hint === "Point OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE at a readable PEM file",
    );
    await rejects(
      readTlsFiles({ ca: { path: dir, setting: "telemetry.otlp_certificate" } }),
      /Cannot read OTLP CA certificate ".*" \(telemetry\.otlp_certificate\): /,
    );
  });
});

Deno.test("readTlsFiles() refuses a file that holds no PEM block of its kind", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "client.pem"), CERT);
    await Deno.writeTextFile(join(dir, "swapped.key"), CERT);
    await rejects(
      readTlsFiles({
        cert: { path: join(dir, "client.pem"), setting: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" },
        key: { path: join(dir, "swapped.key"), setting: "OTEL_EXPORTER_OTLP_CLIENT_KEY" },
      }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          `Cannot use OTLP client key "${join(dir, "swapped.key")}" (OTEL_EXPORTER_OTLP_CLIENT_KEY): the file holds ` +
            "no PEM private key",
    );
  });
});
