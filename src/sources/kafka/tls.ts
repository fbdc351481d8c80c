/**
 * TLS settings of the Kafka client, with the CA, certificate and key read from their files.
 * @module
 */
import { ConfigError } from "../../core/errors.ts";
import type { ResolvedKafkaOptions } from "./config.ts";

/** TLS options in the shape the Kafka client takes (`ssl`). */
export interface KafkaTlsOptions {
  /** CA certificates (PEM), when a CA file is configured. */
  ca?: string[];
  /** Client certificate (PEM). */
  cert?: string;
  /** Client key (PEM). */
  key?: string;
  /** Check the broker's certificate. */
  rejectUnauthorized: boolean;
}

/**
 * Reads the files named by the resolved TLS settings; `undefined` when TLS is off.
 * @throws {ConfigError} when a file cannot be read.
 */
export async function loadTls(tls: ResolvedKafkaOptions["tls"]): Promise<KafkaTlsOptions | undefined> {
  if (!tls) return undefined;
  const read = async (path: string | undefined, what: string) => {
    if (!path) return undefined;
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new ConfigError(`Cannot read TLS ${what} "${path}": ${(error as Error).message}`, {
        hint: "check source.tls file paths",
        cause: error,
      });
    }
  };
  const ca = await read(tls.caFile, "CA file");
  return {
    ca: ca ? [ca] : undefined,
    cert: await read(tls.certFile, "certificate file"),
    key: await read(tls.keyFile, "key file"),
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  };
}
