/**
 * Installs, starts, stops and resets the kit's servers. Used by the `kit.ts` command line and by `endpoints.ts`.
 *
 * @module
 */
import {
  cacheDir,
  isAlive,
  logFileOf,
  pidFileOf,
  pidsMatching,
  portOpen,
  progress,
  readPid,
  type Service,
  SERVICE_NAMES,
  serviceDir,
  type ServiceName,
  type ServiceState,
  sleep,
  stateDir,
  stopProcessGroup,
  withLock,
} from "./_common.ts";
import { kafka } from "./kafka.ts";
import { redis } from "./redis.ts";
import { s3 } from "./s3.ts";
import { hdfs } from "./hdfs.ts";
import { iceberg } from "./iceberg.ts";

/** The servers of the kit by name. */
export const SERVICES: Record<ServiceName, Service> = { kafka, redis, s3, hdfs, iceberg };

/** Checks names given on the command line; none means all of them. */
export function parseNames(args: string[]): ServiceName[] {
  if (args.length === 0) return [...SERVICE_NAMES];
  for (const arg of args) {
    if (!(SERVICE_NAMES as readonly string[]).includes(arg)) {
      throw new TypeError(`Cannot find service "${arg}": expected one of ${SERVICE_NAMES.join(", ")}`);
    }
  }
  return [...new Set(args)] as ServiceName[];
}

/** Folder needle that every process of a server has on its command line. */
function needle(name: ServiceName): string {
  return `${serviceDir(name)}/`;
}

function lockFile(name: ServiceName): string {
  return `${stateDir()}/.locks/${name}.lock`;
}

/** Reports the state of one server without changing anything. */
export async function serviceState(name: ServiceName): Promise<ServiceState> {
  const service = SERVICES[name];
  const pid = await readPid(pidFileOf(name));
  if (pid === null || !await isAlive(pid)) return { kind: "stopped", installed: await service.isInstalled() };
  const problem = await service.probe();
  return problem === null ? { kind: "healthy", pid } : { kind: "unhealthy", pid, detail: problem };
}

/** Pids of processes of this server that are alive, whether or not the pid file knows them. */
export async function serviceProcesses(name: ServiceName): Promise<number[]> {
  return await pidsMatching(needle(name));
}

async function installIfMissing(service: Service): Promise<void> {
  if (await service.isInstalled()) return;
  await withLock(`${cacheDir()}/.locks/${service.name}.lock`, async () => {
    if (await service.isInstalled()) return;
    const begin = performance.now();
    progress(`${service.name}: installing into ${cacheDir()}`);
    try {
      await service.install();
    } catch (error) {
      // Registries fail now and then; one more try is cheap next to a failed CI run.
      progress(`${service.name}: install failed, trying once more: ${(error as Error).message.split("\n")[0]}`);
      await service.install();
    }
    progress(`${service.name}: installed in ${((performance.now() - begin) / 1000).toFixed(1)}s`);
  });
}

async function waitHealthy(service: Service, pid: number): Promise<void> {
  const deadline = performance.now() + service.startTimeoutMs;
  let problem: string | null = "not probed yet";
  while (performance.now() < deadline) {
    problem = await service.probe();
    if (problem === null) return;
    if (!await isAlive(pid)) {
      const log = await Deno.readTextFile(logFileOf(service.name)).catch(() => "");
      const tail = log.split("\n").slice(-30).join("\n");
      throw new Error(`Cannot start ${service.name}: the process exited (log ${logFileOf(service.name)}):\n${tail}`);
    }
    await sleep(250);
  }
  throw new Error(
    `Cannot start ${service.name}: not healthy after ${service.startTimeoutMs / 1000}s: ${problem} ` +
      `(log ${logFileOf(service.name)})`,
  );
}

/** Installs (if needed), starts (if not running) and waits until one server is healthy. */
export async function ensureService(name: ServiceName): Promise<void> {
  const service = SERVICES[name];
  await installIfMissing(service);
  await withLock(lockFile(name), async () => {
    const begin = performance.now();
    const state = await serviceState(name);
    if (state.kind === "healthy") return;
    if (state.kind === "unhealthy") {
      progress(`${name}: process ${state.pid} is running but not healthy yet (${state.detail}); waiting`);
      try {
        await waitHealthy(service, state.pid);
        await service.afterStart?.();
        progress(`${name}: healthy in ${((performance.now() - begin) / 1000).toFixed(1)}s`);
        return;
      } catch (error) {
        // A wedged process (half started, then stuck) would block every later run: replace it once.
        progress(`${name}: ${(error as Error).message.split("\n")[0]}; restarting it`);
        await stopProcessGroup(pidFileOf(name), needle(name));
      }
    }
    // Leftovers of a crash would keep the ports; they are ours (they name our state folder).
    if ((await serviceProcesses(name)).length > 0) await stopProcessGroup(pidFileOf(name), needle(name));
    for (const port of service.ports()) {
      if (await portOpen(port)) {
        throw new Error(
          `Cannot start ${name}: port ${port} on 127.0.0.1 is taken by a process the kit did not start ` +
            `(set the FSDS_*_PORT variables to move the kit)`,
        );
      }
    }
    await Deno.mkdir(serviceDir(name), { recursive: true });
    progress(`${name}: starting`);
    await service.spawn();
    const pid = (await readPid(pidFileOf(name)))!;
    await waitHealthy(service, pid);
    await service.afterStart?.();
    progress(`${name}: healthy in ${((performance.now() - begin) / 1000).toFixed(1)}s`);
  });
}

/** Ensures several servers at once, in parallel; throws after all finished if any failed. */
export async function ensureServices(names: ServiceName[]): Promise<void> {
  const results = await Promise.allSettled(names.map((name) => ensureService(name)));
  const failures = results.flatMap((r) => r.status === "rejected" ? [r.reason as Error] : []);
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, failures.map((f) => f.message).join("\n\n"));
  }
}

/** Stops one server and every process it left; its data stays. */
export async function stopService(name: ServiceName): Promise<void> {
  await withLock(lockFile(name), async () => {
    const pid = await readPid(pidFileOf(name));
    const stray = await serviceProcesses(name);
    if (pid === null && stray.length === 0) return;
    progress(`${name}: stopping`);
    await stopProcessGroup(pidFileOf(name), needle(name));
    const left = await serviceProcesses(name);
    if (left.length > 0) throw new Error(`Cannot stop ${name}: processes ${left.join(", ")} are still alive`);
    // The kernel may take a moment to close the sockets of a process that just ended.
    const service = SERVICES[name];
    for (let i = 0; i < 100; i++) {
      const open = await Promise.all(service.ports().map((port) => portOpen(port)));
      if (!open.includes(true)) break;
      await sleep(100);
    }
    progress(`${name}: stopped`);
  });
}

/** Stops several servers in parallel. */
export async function stopServices(names: ServiceName[]): Promise<void> {
  await Promise.all(names.map((name) => stopService(name)));
}

/** Stops a server, deletes all of its data and starts it again empty. */
export async function resetService(name: ServiceName): Promise<void> {
  await stopService(name);
  await withLock(lockFile(name), async () => {
    await Deno.remove(serviceDir(name), { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  });
  progress(`${name}: data deleted`);
  await ensureService(name);
}
