/**
 * Shared plumbing of the service kit: where things live, how processes are started in their own process group,
 * stopped, probed and waited for. Private to `tests/services/`.
 *
 * @module
 */

/** Names of the servers the kit manages, in the order they are listed. */
export const SERVICE_NAMES = ["kafka", "redis", "s3", "hdfs", "iceberg"] as const;

/** One of the servers the kit manages. */
export type ServiceName = typeof SERVICE_NAMES[number];

/** The state of a server as `status` reports it. */
export type ServiceState =
  /** Installed, its process is alive and its health probe answered. */
  | { kind: "healthy"; pid: number }
  /** Its process is alive but the health probe did not answer (starting, or wedged). */
  | { kind: "unhealthy"; pid: number; detail: string }
  /** No process is running. */
  | { kind: "stopped"; installed: boolean };

/** What each server module provides to the kit. */
export interface Service {
  /** Short name used on the command line. */
  readonly name: ServiceName;
  /** Whether the cached install is complete (cheap: only looks at files). */
  isInstalled(): Promise<boolean>;
  /** Installs into the cache; called only when `isInstalled()` is false. */
  install(): Promise<void>;
  /** Spawns the server in the background; the kit waits for `probe()` afterwards. */
  spawn(): Promise<void>;
  /** Resolves with `null` when the server answers as healthy, or with the reason it does not. */
  probe(): Promise<string | null>;
  /** Work to do once after the server first turns healthy (create the bucket, the HDFS folders). */
  afterStart?(): Promise<void>;
  /** How long to wait for `probe()` after spawning, in milliseconds. */
  readonly startTimeoutMs: number;
  /** Loopback ports the server binds, used to tell a foreign process on our port from our own. */
  ports(): number[];
}

/** Root of the install cache, outside the clone so that a fresh clone on the same machine is warm. */
export function cacheDir(): string {
  return Deno.env.get("FSDS_CACHE_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/fs-data-sink`;
}

/** Root of the runtime state: data folders, pid files, logs. */
export function stateDir(): string {
  return Deno.env.get("FSDS_STATE_DIR") ?? "/tmp/fs-data-sink-services";
}

/** Folder of one server's runtime state. */
export function serviceDir(name: ServiceName): string {
  return `${stateDir()}/${name}`;
}

/** The pid file of a server: it holds the pid of its process group leader. */
export function pidFileOf(name: ServiceName): string {
  return `${serviceDir(name)}/server.pid`;
}

/** The log file of a server (stdout and stderr appended across restarts). */
export function logFileOf(name: ServiceName): string {
  return `${serviceDir(name)}/server.log`;
}

/** Reads an integer port from the environment, or the default. */
export function envPort(variable: string, fallback: number): number {
  const raw = Deno.env.get(variable);
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RangeError(`Cannot use port from ${variable}: "${raw}" is not a port number`);
  }
  return port;
}

const started = performance.now();

/** Prints one progress line on stderr, with the seconds since the kit started. */
export function progress(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.error(`[services ${seconds}s] ${message}`);
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Working directory; default: the current one. */
  cwd?: string;
  /** Extra environment variables; default: none. */
  env?: Record<string, string>;
  /** File that receives stdout and stderr; default: captured and shown only on failure. */
  logFile?: string;
}

/** Runs a command to completion and throws with its output when it fails. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (options.logFile) await Deno.writeTextFile(options.logFile, text, { append: true });
  if (!output.success) {
    const tail = text.split("\n").slice(-40).join("\n");
    throw new Error(`Cannot run "${[command, ...args].join(" ")}": exit code ${output.code}\n${tail}`);
  }
  return text;
}

/** Options of {@linkcode spawnDetached}. */
export interface SpawnOptions {
  /** Working directory. */
  cwd: string;
  /** File that receives stdout and stderr (appended). */
  logFile: string;
  /** File that receives the pid, which is also the process group id. */
  pidFile: string;
  /** Extra environment variables; default: none. */
  env?: Record<string, string>;
}

/**
 * Starts a long-running server in a new session (so in its own process group, whose id is the pid written to
 * `pidFile`), detached from the kit, with its output appended to `logFile`.
 */
export async function spawnDetached(command: string, args: string[], options: SpawnOptions): Promise<void> {
  const quoted = [command, ...args].map(shellQuote).join(" ");
  const script = `echo $$ > ${shellQuote(options.pidFile)}; exec ${quoted} >> ${
    shellQuote(options.logFile)
  } 2>&1 < /dev/null`;
  await Deno.remove(options.pidFile).catch(() => {});
  await run("setsid", ["--fork", "bash", "-c", script], { cwd: options.cwd, env: options.env });
  for (let i = 0; i < 100; i++) {
    if (await readPid(options.pidFile) !== null) return;
    await sleep(20);
  }
  throw new Error(`Cannot start "${command}": no pid file appeared at "${options.pidFile}"`);
}

/** Quotes one word for bash. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** Reads a pid file; `null` when absent or empty. */
export async function readPid(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(pidFile)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Whether a process exists and is not a zombie. A JVM's main thread can turn zombie while its other threads still
 * run (and hold its sockets), so a zombie leader with live threads counts as alive.
 */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    if (!isZombie(await Deno.readTextFile(`/proc/${pid}/stat`))) return true;
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      if (!isZombie(await Deno.readTextFile(`/proc/${pid}/task/${task.name}/stat`).catch(() => "x) Z"))) {
        return true;
      }
    }
    return false;
  } catch {
    return false;
  }
}

function isZombie(stat: string): boolean {
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state === "Z" || state === "X";
}

/** Pids of live processes whose command line contains `needle` (our state folders are unique). */
export async function pidsMatching(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid === Deno.pid) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
      if (cmdline.includes(needle) && await isAlive(pid)) pids.push(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Sends a signal to a whole process group, ignoring one that is already gone. */
export function killGroup(pgid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops the process group in `pidFile`: SIGTERM, up to `graceMs` to exit, then SIGKILL. Also ends stray processes
 * whose command line names `needle` (a folder of our own state), so nothing is left behind.
 */
export async function stopProcessGroup(pidFile: string, needle: string, graceMs = 20_000): Promise<void> {
  const pgid = await readPid(pidFile);
  const deadline = performance.now() + graceMs;
  if (pgid !== null) {
    killGroup(pgid, "SIGTERM");
    while (performance.now() < deadline && (await isAlive(pgid) || (await groupMembers(pgid)).length > 0)) {
      await sleep(100);
    }
    killGroup(pgid, "SIGKILL");
  }
  for (const pid of await pidsMatching(needle)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 50 && (await pidsMatching(needle)).length > 0; i++) await sleep(100);
  await Deno.remove(pidFile).catch(() => {});
}

/** Pids of live processes in a process group. */
async function groupMembers(pgid: number): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") pids.push(Number(entry.name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Sends `request` over TCP to 127.0.0.1:`port` and reads until `done` accepts the bytes or `timeoutMs` passes. */
export async function tcpExchange(
  port: number,
  request: Uint8Array,
  done: (received: Uint8Array) => boolean,
  timeoutMs = 3000,
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(request);
    let received = new Uint8Array(0);
    const buffer = new Uint8Array(64 * 1024);
    while (!done(received)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      const next = new Uint8Array(received.length + n);
      next.set(received);
      next.set(buffer.subarray(0, n), received.length);
      received = next;
    }
    return received;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

/** `fetch` with a timeout; resolves with the response or throws. */
export async function fetchWithTimeout(url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<Response> {
  return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/**
 * Holds an exclusive lock on `path` (created if needed) while `body` runs, so that two kits started at once (two
 * test runs, or `up` beside `ensure`) do not install or start the same server twice.
 */
export async function withLock<T>(path: string, body: () => Promise<T>): Promise<T> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const file = await Deno.open(path, { create: true, write: true });
  try {
    await file.lock(true);
    return await body();
  } finally {
    file.close();
  }
}

/** The java binary for the JVM servers; `FSDS_JAVA` overrides it. */
export function javaBinary(): string {
  return Deno.env.get("FSDS_JAVA") ?? "java";
}

/** One dependency of a generated pom. */
export interface MavenDependency {
  group: string;
  artifact: string;
  version: string;
  /** Classifier of the jar (`tests`, `test-fixtures`). */
  classifier?: string;
  /** Transitive dependencies to leave out, `group` (all of its artifacts) or `group:artifact`. */
  exclusions?: string[];
}

/**
 * Runs `mvn dependency:copy-dependencies` on a generated pom, into `libDir`, with a Maven repository inside the
 * cache so that the download is counted and reused there.
 */
export async function mavenCopyDependencies(
  workDir: string,
  dependencies: MavenDependency[],
  libDir: string,
): Promise<void> {
  await Deno.mkdir(workDir, { recursive: true });
  const deps = dependencies.map((d) => {
    const classifier = d.classifier ? `<classifier>${d.classifier}</classifier>` : "";
    const exclusions = d.exclusions?.length
      ? `<exclusions>${
        d.exclusions.map((e) => {
          const [group, artifact = "*"] = e.split(":");
          return `<exclusion><groupId>${group}</groupId><artifactId>${artifact}</artifactId></exclusion>`;
        }).join("")
      }</exclusions>`
      : "";
    return `    <dependency><groupId>${d.group}</groupId><artifactId>${d.artifact}</artifactId>` +
      `<version>${d.version}</version>${classifier}${exclusions}</dependency>`;
  }).join("\n");
  await Deno.writeTextFile(
    `${workDir}/pom.xml`,
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>fs-data-sink.services</groupId><artifactId>libs</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`,
  );
  await Deno.remove(libDir, { recursive: true }).catch(() => {});
  await run("mvn", [
    "-q",
    "-B",
    `-Dmaven.repo.local=${cacheDir()}/maven-repo`,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${libDir}`,
    "-DincludeScope=runtime",
  ], { cwd: workDir, logFile: `${workDir}/mvn.log` });
}
