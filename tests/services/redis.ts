/**
 * Redis from Debian's `redis-server` package, run on its own port and data folder (never Debian's own service on
 * 6379, which the kit neither uses nor touches).
 *
 * @module
 */
import {
  envPort,
  exists,
  logFileOf,
  pidFileOf,
  progress,
  run,
  type Service,
  serviceDir,
  spawnDetached,
  tcpExchange,
} from "./_common.ts";

/** Loopback port of the kit's Redis. */
export function redisPort(): number {
  return envPort("FSDS_REDIS_PORT", 16379);
}

const REDIS_SERVER = "/usr/bin/redis-server";

/** The Redis service of the kit. */
export const redis: Service = {
  name: "redis",
  startTimeoutMs: 60_000,
  ports: () => [redisPort()],

  async isInstalled() {
    return await exists(REDIS_SERVER);
  },

  async install() {
    // Debian's package starts its own service on 6379 where an init system runs; a policy-rc.d that forbids
    // starting services keeps the install from leaving a second Redis behind.
    const policy = "/usr/sbin/policy-rc.d";
    const hadPolicy = await exists(policy);
    if (!hadPolicy) await Deno.writeTextFile(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    try {
      const env = { DEBIAN_FRONTEND: "noninteractive" };
      progress("redis: apt-get update");
      await run("apt-get", ["update", "-q"], { env });
      progress("redis: apt-get install redis-server");
      await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", "redis-server"], { env });
    } finally {
      if (!hadPolicy) await Deno.remove(policy).catch(() => {});
    }
  },

  async spawn() {
    const dir = serviceDir("redis");
    await Deno.mkdir(`${dir}/data`, { recursive: true });
    await spawnDetached(REDIS_SERVER, [
      "--bind",
      "127.0.0.1",
      "--port",
      String(redisPort()),
      "--dir",
      `${dir}/data`,
      "--daemonize",
      "no",
      "--supervised",
      "no",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
      "--protected-mode",
      "yes",
      "--logfile",
      "",
      "--proc-title-template",
      `{title} {listen-addr} ${dir}/`,
      "--pidfile",
      `${dir}/redis.pid`,
    ], { cwd: dir, logFile: logFileOf("redis"), pidFile: pidFileOf("redis") });
  },

  async probe() {
    try {
      const reply = await tcpExchange(
        redisPort(),
        new TextEncoder().encode("PING\r\n"),
        (bytes) => bytes.includes(10),
      );
      const text = new TextDecoder().decode(reply).trim();
      return text === "+PONG" ? null : `PING answered "${text}"`;
    } catch (error) {
      return `PING failed: ${(error as Error).message}`;
    }
  },
};
