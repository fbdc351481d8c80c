/**
 * Connection settings of the kit's servers for integration tests, and controls to stop and restart a server
 * mid-test. Each setting honours the same environment variable the CLI reads (`KAFKA_BOOTSTRAP_SERVERS`,
 * `REDIS_HOST`, ...), so `eval "$(deno task services env)"` and a hand-set variable point both at the same server.
 *
 * @example
 * ```ts
 * import { endpoints, stopService, startService } from "./endpoints.ts";
 * const { brokers } = endpoints().kafka;
 * await stopService("kafka"); // the broker is gone; its data stays
 * await startService("kafka"); // back, healthy, with its topics and offsets
 * ```
 *
 * @module
 */
import type { ServiceName } from "./_common.ts";
import { ensureService, ensureServices, stopService as stop } from "./_control.ts";
import { kafkaPort } from "./kafka.ts";
import { redisPort } from "./redis.ts";
import { S3_ACCESS_KEY, S3_BUCKET, S3_REGION, S3_SECRET_KEY, s3Port } from "./s3.ts";
import { HDFS_TEST_HOME, HDFS_TEST_USER, hdfsHttpPort } from "./hdfs.ts";
import { icebergRestPort } from "./iceberg.ts";

export type { ServiceName } from "./_common.ts";
export { SERVICE_NAMES } from "./_common.ts";

/** Where the kit's Kafka listens. */
export interface KafkaEndpoint {
  /** Bootstrap servers, `host:port` each. */
  brokers: string[];
}

/** Where the kit's Redis listens. */
export interface RedisEndpoint {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** How to reach the kit's S3 server. */
export interface S3Endpoint {
  /** Endpoint URL; clients must use path-style addressing (`forcePathStyle: true`). */
  endpoint: string;
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Region to sign for. */
  region: string;
  /** A bucket that exists (created on every start). */
  bucket: string;
}

/** How to reach the kit's HDFS over WebHDFS. */
export interface HdfsEndpoint {
  /** NameNode HTTP base URL, without `/webhdfs/v1`. */
  url: string;
  /** User name sent as `user.name`; not a superuser, so permission checks apply to it. */
  user: string;
  /** A folder the user owns, for tests to write under. `/` itself belongs to the superuser. */
  home: string;
}

/** Where the kit's Iceberg REST catalog listens. */
export interface IcebergCatalogEndpoint {
  /** Base URL of the catalog (the REST paths start with `/v1/` under it). */
  uri: string;
}

/** Connection settings of all the servers. */
export interface Endpoints {
  /** Kafka. */
  kafka: KafkaEndpoint;
  /** Redis. */
  redis: RedisEndpoint;
  /** S3 (MinIO). */
  s3: S3Endpoint;
  /** HDFS (WebHDFS). */
  hdfs: HdfsEndpoint;
  /** Iceberg REST catalog. */
  iceberg: IcebergCatalogEndpoint;
}

function env(name: string, fallback: string): string {
  const value = Deno.env.get(name);
  return value === undefined || value === "" ? fallback : value;
}

/** The connection settings, read from the environment each call, with the kit's defaults. */
export function endpoints(): Endpoints {
  return {
    kafka: {
      brokers: env("KAFKA_BOOTSTRAP_SERVERS", `127.0.0.1:${kafkaPort()}`).split(",").map((s) => s.trim()),
    },
    redis: { host: env("REDIS_HOST", "127.0.0.1"), port: Number(env("REDIS_PORT", String(redisPort()))) },
    s3: {
      endpoint: env("S3_ENDPOINT_URL", `http://127.0.0.1:${s3Port()}`),
      accessKeyId: env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY),
      secretAccessKey: env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY),
      region: env("AWS_REGION", S3_REGION),
      bucket: env("S3_BUCKET", S3_BUCKET),
    },
    hdfs: {
      url: env("HDFS_URL", `http://127.0.0.1:${hdfsHttpPort()}`),
      user: env("HDFS_USER", HDFS_TEST_USER),
      home: env("HDFS_BASE_PATH", HDFS_TEST_HOME),
    },
    iceberg: { uri: env("ICEBERG_CATALOG_URI", `http://127.0.0.1:${icebergRestPort()}`) },
  };
}

/** A `sink` section for the kit's MinIO under `prefix` (credentials, endpoint, region), `extra` keys on top. */
export function kitS3Sink(prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s3 = endpoints().s3;
  return {
    type: "s3",
    bucket: s3.bucket,
    prefix,
    endpoint_url: s3.endpoint,
    region_name: s3.region,
    aws_access_key_id: s3.accessKeyId,
    aws_secret_access_key: s3.secretAccessKey,
    ...extra,
  };
}

/** The environment variables the CLI reads (and `ICEBERG_CATALOG_URI`, for `sink.catalog_uri`), set to the kit's servers (what `kit.ts env` prints). */
export function endpointEnv(): Record<string, string> {
  const e = endpoints();
  return {
    KAFKA_BOOTSTRAP_SERVERS: e.kafka.brokers.join(","),
    REDIS_HOST: e.redis.host,
    REDIS_PORT: String(e.redis.port),
    S3_ENDPOINT_URL: e.s3.endpoint,
    AWS_ACCESS_KEY_ID: e.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: e.s3.secretAccessKey,
    AWS_REGION: e.s3.region,
    S3_BUCKET: e.s3.bucket,
    HDFS_URL: e.hdfs.url,
    HDFS_USER: e.hdfs.user,
    // `/` belongs to the superuser; a hand-run CLI acting as the test user must write under its home.
    HDFS_BASE_PATH: e.hdfs.home,
    ICEBERG_CATALOG_URI: e.iceberg.uri,
  };
}

/**
 * Stops one server of the kit (all its processes end); its data stays, so {@linkcode startService} brings it back
 * as it was. Resolves once no process of it is left.
 */
export async function stopService(name: ServiceName): Promise<void> {
  await stop(name);
}

/** Starts one server of the kit (installing it if needed) and resolves once it is healthy. No-op when it is. */
export async function startService(name: ServiceName): Promise<void> {
  await ensureService(name);
}

/** Makes sure the given servers (default: all) are installed, running and healthy. */
export async function ensureRunning(names?: ServiceName[]): Promise<void> {
  await ensureServices(names ?? ["kafka", "redis", "s3", "hdfs"]);
}
