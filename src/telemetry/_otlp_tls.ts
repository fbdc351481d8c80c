/**
 * Reads the certificate files an OTLP export names (`otlp_settings.ts` only names them, so validation stays free of
 * I/O). Each failure is a {@linkcode ConfigError} naming the setting that gave the file and the file itself, so an
 * operator sees `OTEL_EXPORTER_OTLP_CLIENT_KEY` and the path instead of a TLS handshake failure later.
 * @module
 */
import { resolve } from "node:path";
import { ConfigError } from "../core/errors.ts";
import type { NamedFile, TlsFiles } from "./otlp_settings.ts";

/** The PEM texts of one export's TLS settings. A client certificate always comes with its key. */
export interface TlsMaterial {
  /** CA certificates trusted for the collector, besides the default roots. */
  readonly ca?: string;
  /** Client certificate chain. */
  readonly cert?: string;
  /** Private key of the client certificate. */
  readonly key?: string;
}

const WHAT = { ca: "CA certificate", cert: "client certificate", key: "client key" } as const;
const PEM = {
  ca: /-----BEGIN CERTIFICATE-----/,
  cert: /-----BEGIN CERTIFICATE-----/,
  key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
} as const;

/**
 * Reads every file `files` names; relative paths are taken from the working directory. Resolves to undefined when
 * none is named. Throws {@linkcode ConfigError} when a file cannot be read or holds no PEM block of its kind.
 */
export async function readTlsFiles(files: TlsFiles): Promise<TlsMaterial | undefined> {
  const material: { ca?: string; cert?: string; key?: string } = {};
  for (const part of ["ca", "cert", "key"] as const) {
    const file = files[part];
    if (file) material[part] = await readPem(part, file);
  }
  return Object.keys(material).length > 0 ? material : undefined;
}

async function readPem(part: keyof typeof WHAT, file: NamedFile): Promise<string> {
  const what = `OTLP ${WHAT[part]} "${file.path}" (${file.setting})`;
  const hint = `Point ${file.setting} at a readable PEM file`;
  let text: string;
  try {
    text = await Deno.readTextFile(resolve(file.path));
  } catch (cause) {
    throw new ConfigError(`Cannot read ${what}: ${readFailure(cause)}`, { hint, cause });
  }
  if (!PEM[part].test(text)) {
    const expected = part === "key" ? "PEM private key" : "PEM certificate";
    throw new ConfigError(`Cannot use ${what}: the file holds no ${expected}`, {
      hint: `${hint} (-----BEGIN ${part === "key" ? "PRIVATE KEY" : "CERTIFICATE"}-----)`,
    });
  }
  return text;
}

function readFailure(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (error instanceof TypeError || error instanceof Deno.errors.InvalidData) return "not a text file";
  return error instanceof Error ? error.message : String(error);
}
