/**
 * The Kafka client's settings from a validated `source` section: `extra_config` names mapped onto the client's, the
 * defaults of a run, and the TLS files read. Shared by the source and by `check`/`preview`, which shorten the
 * timeouts.
 * @module
 */
import { readPemFiles } from "../_common/tls.ts";
import type { ClientSettings, ClientTls } from "./client.ts";
import type { ResolvedKafkaOptions } from "./config.ts";

/** Default session timeout: how long a dead member holds its partitions. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/**
 * Fetch sizes: per request and per partition (a bigger first record is still returned whole). Small on purpose: the
 * records of a fetch live until the pipeline has taken them, and records that outlive a young-generation collection
 * fill V8's old space; on the 1M-record bench drain 2 MiB fetches peaked about 150 MiB lower than 16 MiB ones at the
 * same rate (README, Performance). 1 MiB per partition is the Java consumer's default.
 */
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
const DEFAULT_MAX_BYTES_PER_PARTITION = 1024 * 1024;

/** The client's settings from the resolved options (`extra_config` names mapped to the client's). */
export function clientSettings(options: ResolvedKafkaOptions, tls: ClientTls | undefined): ClientSettings {
  const consumer = options.consumer;
  const client = options.client;
  const int = (value: number | boolean | undefined, fallback: number) => typeof value === "number" ? value : fallback;
  return {
    brokers: options.brokers,
    clientId: options.clientId,
    groupId: options.groupId,
    tls,
    sasl: options.sasl,
    connectTimeoutMs: client.connectionTimeout ?? 10_000,
    requestTimeoutMs: client.requestTimeout ?? 30_000,
    retries: client.retries ?? 8,
    retryDelayMs: client.initialRetryTime ?? 300,
    sessionTimeoutMs: int(consumer.sessionTimeout, DEFAULT_SESSION_TIMEOUT_MS),
    rebalanceTimeoutMs: int(consumer.rebalanceTimeout, 60_000),
    heartbeatIntervalMs: int(consumer.heartbeatInterval, 3000),
    readCommitted: consumer.readUncommitted !== true,
    // A short fetch wait keeps shutdown and rebalances quick.
    maxWaitMs: int(consumer.maxWaitTimeInMs, 1000),
    minBytes: int(consumer.minBytes, 1),
    maxBytes: int(consumer.maxBytes, DEFAULT_MAX_BYTES),
    maxBytesPerPartition: int(consumer.maxBytesPerPartition, DEFAULT_MAX_BYTES_PER_PARTITION),
    metadataMaxAgeMs: typeof consumer.metadataMaxAge === "number" ? consumer.metadataMaxAge : undefined,
  };
}

/**
 * The client's TLS options, with the CA, certificate and key read from their files; `undefined` when TLS is off.
 * @throws {ConfigError} when a file cannot be read.
 */
export async function kafkaTls(tls: ResolvedKafkaOptions["tls"]): Promise<ClientTls | undefined> {
  if (!tls) return undefined;
  const pem = await readPemFiles(tls);
  return {
    ca: pem.ca ? [pem.ca] : undefined,
    cert: pem.cert,
    key: pem.key,
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  };
}
