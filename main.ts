/**
 * Entry point of `fs-data-sink`: registers every plugin, runs the command line, and turns the outcome into an exit
 * code (0 done, 1 runtime failure, 2 bad usage or configuration). The only place that calls `Deno.exit`.
 * @module
 */
import "./src/plugins.ts";
import { runCli } from "./src/cli/mod.ts";
import { describeFailure } from "./src/cli/exit.ts";

async function main(): Promise<number> {
  try {
    return await runCli(Deno.args, { exit: (code) => Deno.exit(code) });
  } catch (error) {
    const failure = describeFailure(error, { debug: Boolean(Deno.env.get("DEBUG")) });
    console.error(failure.text);
    return failure.code;
  }
}

if (import.meta.main) Deno.exit(await main());
