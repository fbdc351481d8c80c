/**
 * The real CLI (`main.ts run`) against the kit's Kafka for end-to-end tests: a config for a topic -> local folder run,
 * a child process, a one-shot run, and waiting for a condition.
 * @module
 */
import { stringify } from "yaml";
import { brokers } from "../kafka_helpers.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** How a CLI run ended. */
export interface CliRun {
  readonly code: number;
  readonly stderr: string;
}

/** Writes `<dir>/config.yaml`: Kafka `source` keys over the defaults, local sink at `<dir>/out`. */
export async function writeConfig(dir: string, source: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const config = {
    source: { type: "kafka", bootstrap_servers: brokers(), progress: "log", ...source },
    sink: { type: "local", path: `${dir}/out` },
    telemetry: { log_level: "INFO", enabled: false },
    pipeline: { batch_timeout_seconds: 2, ...extra },
  };
  const file = `${dir}/config.yaml`;
  await Deno.writeTextFile(file, stringify(config));
  return file;
}

/** Starts `main.ts run --config file`. */
export function cli(file: string, flags: string[] = []): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "main.ts", "run", "--config", file, ...flags],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Waits for the child; its exit code and stderr. */
export async function finish(child: Deno.ChildProcess): Promise<CliRun> {
  const output = await child.output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** One `--until-caught-up` run. */
export async function runOnce(file: string, flags: string[] = []): Promise<CliRun> {
  return await finish(cli(file, ["--until-caught-up", ...flags]));
}

/** Polls `condition` every 200 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
