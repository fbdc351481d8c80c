/**
 * The TLS field group every source that talks TLS shares (Kafka, Redis), built once so that the keys, their
 * defaults and their docs are the same everywhere, and the one loader of the PEM files those keys name. The name
 * checked against the server's certificate is each plugin's own key (`server_name` for Kafka, `servername` for
 * Redis, as their users know them), so it is not part of the group.
 * @module
 */
import { z } from "zod";
import { ConfigError } from "../../core/errors.ts";

/** A path to a PEM file. */
const pemPath = z.string().min(1);

/** Keys of a source's `tls` section; spread into the plugin's `z.object({...}).strict()` with its server-name key. */
export const tlsFields = {
  enabled: z.boolean().default(true).describe("Connect with TLS"),
  ca_file: pemPath.optional().describe("PEM file of the CA that signed the server's certificate"),
  cert_file: pemPath.optional().describe("PEM client certificate (mutual TLS)"),
  key_file: pemPath.optional().describe("PEM private key of the client certificate"),
  reject_unauthorized: z.boolean().default(true).describe("Refuse servers whose certificate does not verify"),
};

/** Paths of the PEM files to read; an absent or empty path is no file. */
export interface PemPaths {
  /** CA certificates. */
  readonly caFile?: string;
  /** Client certificate (mutual TLS). */
  readonly certFile?: string;
  /** Private key of the client certificate. */
  readonly keyFile?: string;
}

/** The contents of the PEM files, as text; a key is undefined when its file was not named. */
export interface PemFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * Reads the PEM files a source's TLS settings name (the only I/O of TLS set-up; `validate` never reads them).
 * @throws {ConfigError} when a named file cannot be read: the path is the user's to fix.
 */
export async function readPemFiles(paths: PemPaths): Promise<PemFiles> {
  return {
    ca: await readPem(paths.caFile, "CA file"),
    cert: await readPem(paths.certFile, "certificate file"),
    key: await readPem(paths.keyFile, "key file"),
  };
}

async function readPem(path: string | undefined, what: string): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`Cannot read the TLS ${what} "${path}": ${(error as Error).message}`, {
      hint: "check source.tls file paths",
      cause: error,
    });
  }
}
