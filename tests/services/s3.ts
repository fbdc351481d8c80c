/**
 * S3 served by MinIO, built from the Go module proxy with `go install` at a pinned version.
 *
 * @module
 */
import {
  cacheDir,
  envPort,
  exists,
  fetchWithTimeout,
  logFileOf,
  pidFileOf,
  progress,
  run,
  type Service,
  serviceDir,
  spawnDetached,
} from "./_common.ts";

/**
 * MinIO module version. MinIO's release tags are not semantic versions, so the Go module proxy knows its commits
 * only as pseudo-versions; this one is the newest commit of the module (2026-02-12).
 */
export const MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c";

/** Root user (access key) of the kit's MinIO. */
export const S3_ACCESS_KEY = "fsds-test";
/** Root password (secret key) of the kit's MinIO. */
export const S3_SECRET_KEY = "fsds-test-secret";
/** Bucket created on every start. */
export const S3_BUCKET = "fsds-test";
/** Region the clients sign for; MinIO accepts any, us-east-1 is its default. */
export const S3_REGION = "us-east-1";

/** Loopback port of the S3 API. */
export function s3Port(): number {
  return envPort("FSDS_S3_PORT", 19000);
}

/** Loopback port MinIO reserves for its console (the console itself is turned off). */
export function s3ConsolePort(): number {
  return envPort("FSDS_S3_CONSOLE_PORT", 19001);
}

function binary(): string {
  return `${cacheDir()}/minio-${MINIO_VERSION}/bin/minio`;
}

/** The S3 service of the kit. */
export const s3: Service = {
  name: "s3",
  startTimeoutMs: 120_000,
  ports: () => [s3Port(), s3ConsolePort()],

  async isInstalled() {
    return await exists(binary());
  },

  async install() {
    const dir = `${cacheDir()}/minio-${MINIO_VERSION}`;
    await Deno.mkdir(dir, { recursive: true });
    progress(`s3: go install github.com/minio/minio@${MINIO_VERSION} (compiles for several minutes)`);
    // Go's module and build caches go into the kit's cache too, and are deleted once the binary exists: they
    // hold about 2 GiB that only a rebuild would use.
    const goCaches = { GOMODCACHE: `${dir}/go-mod`, GOCACHE: `${dir}/go-build` };
    try {
      await run("go", ["install", "-trimpath", "-ldflags=-s", `github.com/minio/minio@${MINIO_VERSION}`], {
        cwd: dir,
        env: { ...goCaches, GOBIN: `${dir}/bin`, GOFLAGS: "-buildvcs=false -modcacherw", GOTOOLCHAIN: "local" },
        logFile: `${dir}/go-install.log`,
      });
    } finally {
      for (const cache of Object.values(goCaches)) await Deno.remove(cache, { recursive: true }).catch(() => {});
    }
  },

  async spawn() {
    const dir = serviceDir("s3");
    await Deno.mkdir(`${dir}/data`, { recursive: true });
    await spawnDetached(binary(), [
      "server",
      `${dir}/data`,
      "--address",
      `127.0.0.1:${s3Port()}`,
      "--console-address",
      `127.0.0.1:${s3ConsolePort()}`,
      "--quiet",
    ], {
      cwd: dir,
      logFile: logFileOf("s3"),
      pidFile: pidFileOf("s3"),
      env: {
        MINIO_ROOT_USER: S3_ACCESS_KEY,
        MINIO_ROOT_PASSWORD: S3_SECRET_KEY,
        MINIO_BROWSER: "off",
        MINIO_UPDATE: "off",
        MINIO_CALLHOME_ENABLE: "off",
        MINIO_REGION: S3_REGION,
      },
    });
  },

  async probe() {
    try {
      const response = await fetchWithTimeout(`http://127.0.0.1:${s3Port()}/minio/health/ready`, {}, 3000);
      await response.body?.cancel();
      return response.ok ? null : `health check answered ${response.status}`;
    } catch (error) {
      return `health check failed: ${(error as Error).message}`;
    }
  },

  async afterStart() {
    const { S3Client, CreateBucketCommand, HeadBucketCommand } = await import("@aws-sdk/client-s3");
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${s3Port()}`,
      region: S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    });
    try {
      try {
        await client.send(new HeadBucketCommand({ Bucket: S3_BUCKET }));
      } catch {
        await client.send(new CreateBucketCommand({ Bucket: S3_BUCKET }));
      }
    } finally {
      client.destroy();
    }
  },
};
