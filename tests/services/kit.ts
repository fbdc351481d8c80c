/**
 * The test service kit: real Kafka, Redis, S3 (MinIO) and HDFS on loopback for the integration tests.
 *
 * ```
 * deno task services up [names...]      install if needed, start, wait until healthy
 * deno task services ensure [names...]  same as up (what `deno task test` runs first)
 * deno task services down [names...]    stop; data stays
 * deno task services stop <name>        stop one server
 * deno task services start <name>       start one server and wait until healthy
 * deno task services reset [names...]   stop, delete the data, start empty
 * deno task services status             state of each server (exit code 1 if one is not healthy)
 * deno task services env                `export` lines for the CLI and the tests (stdout only)
 * ```
 * Names: kafka, redis, s3, hdfs, iceberg (default: all).
 *
 * @module
 */
import { cacheDir, progress, SERVICE_NAMES, shellQuote, stateDir } from "./_common.ts";
import {
  ensureServices,
  parseNames,
  resetService,
  serviceProcesses,
  SERVICES,
  serviceState,
  stopServices,
} from "./_control.ts";
import { endpointEnv } from "./endpoints.ts";

const USAGE = `usage: kit.ts <command> [names...]
commands: up | ensure | down | start <name> | stop <name> | reset | status | env
names: ${SERVICE_NAMES.join(", ")} (default: all)
cache: ${cacheDir()} (FSDS_CACHE_DIR)   state: ${stateDir()} (FSDS_STATE_DIR)`;

async function status(): Promise<number> {
  let unhealthy = 0;
  for (const name of SERVICE_NAMES) {
    const state = await serviceState(name);
    const processes = await serviceProcesses(name);
    let line: string;
    switch (state.kind) {
      case "healthy":
        line = `healthy    pid ${state.pid}`;
        break;
      case "unhealthy":
        line = `unhealthy  pid ${state.pid}: ${state.detail}`;
        unhealthy++;
        break;
      case "stopped":
        line = `stopped    ${state.installed ? "installed" : "not installed"}`;
        unhealthy++;
        break;
    }
    const stray = state.kind === "stopped" && processes.length > 0 ? ` (stray processes: ${processes.join(" ")})` : "";
    const ports = SERVICES[name].ports().map((port) => `127.0.0.1:${port}`).join(" ");
    console.log(`${name.padEnd(7)} ${line.padEnd(32)} ${ports}${stray}`);
  }
  return unhealthy === 0 ? 0 : 1;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "up":
    case "ensure": {
      const names = parseNames(rest);
      const begin = performance.now();
      await ensureServices(names);
      progress(`ready: ${names.join(", ")} in ${((performance.now() - begin) / 1000).toFixed(1)}s`);
      return 0;
    }
    case "start":
    case "stop": {
      if (rest.length !== 1) {
        console.error(`usage: kit.ts ${command} <name>`);
        return 2;
      }
      const names = parseNames(rest);
      if (command === "start") await ensureServices(names);
      else await stopServices(names);
      return 0;
    }
    case "down":
      await stopServices(parseNames(rest));
      return 0;
    case "reset":
      await Promise.all(parseNames(rest).map((name) => resetService(name)));
      return 0;
    case "status":
      return await status();
    case "env":
      for (const [key, value] of Object.entries(endpointEnv())) console.log(`export ${key}=${shellQuote(value)}`);
      return 0;
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
