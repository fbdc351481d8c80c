/**
 * The command-line interface: parses the arguments and runs `run`, `validate`, `check`, `preview`, `compact`,
 * `help` or `version`. Returns the exit code, or throws (a ConfigError for bad usage or configuration, anything else for a
 * runtime failure); `main.ts` turns what is thrown into an exit code.
 * @module
 */
import { ENV_SINK_TYPE, ENV_SOURCE_TYPE } from "../config/env_vars.ts";
import { loadConfig } from "../config/load.ts";
import { ConfigError } from "../core/errors.ts";
import { renderConfig } from "../config/render.ts";
import { checkCommand } from "./check.ts";
import { compactCommand } from "./compact.ts";
import { EXIT } from "./exit.ts";
import { parseCommandLine } from "./flags.ts";
import { helpText, usageLines } from "./help.ts";
import { previewCommand, type PreviewCommandOptions } from "./preview.ts";
import { runCommand, type RunCommandOptions } from "./run.ts";
import { versionText } from "./version.ts";

/** Options of {@linkcode runCli}; every default is the real process. */
export interface CliOptions extends RunCommandOptions {
  /** Writes to stdout; default: the process stdout. */
  readonly stdout?: (text: string) => void;
  /** Writes to stderr; default: the process stderr. */
  readonly stderr?: (text: string) => void;
  /** The preview engine; default the real one (for tests). */
  readonly preview?: PreviewCommandOptions["preview"];
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

/** Runs the command line `args` (without the program name); resolves to the exit code. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => writeAll(Deno.stdout, text));
  const stderr = options.stderr ?? ((text: string) => writeAll(Deno.stderr, text));
  const line = parseCommandLine(args);
  const needsConfig = line.command !== "help" && line.command !== "version";
  if (needsConfig && line.configFile === undefined && line.flags.length === 0) {
    const env = options.env ?? Deno.env.toObject();
    if (!env[ENV_SOURCE_TYPE] && !env[ENV_SINK_TYPE]) {
      throw new ConfigError(
        `No configuration given: no --config file, no flags and no ${ENV_SOURCE_TYPE}/${ENV_SINK_TYPE}`,
        {
          hint: `usage:\n${usageLines().join("\n")}\nsee fs-data-sink --help; config/demo.yaml is a working example`,
        },
      );
    }
  }
  switch (line.command) {
    case "help":
      stdout(helpText());
      return EXIT.ok;
    case "version":
      stdout(versionText() + "\n");
      return EXIT.ok;
    case "validate": {
      const loaded = await loadConfig({ file: line.configFile, env: options.env, flags: line.flags });
      for (const warning of loaded.warnings) stderr(`warning: ${warning}\n`);
      stdout(`# Effective configuration (valid; secrets masked; each value's origin after #)\n`);
      stdout(renderConfig(loaded));
      return EXIT.ok;
    }
    case "check": {
      const loaded = await loadConfig({ file: line.configFile, env: options.env, flags: line.flags });
      for (const warning of loaded.warnings) stderr(`warning: ${warning}\n`);
      return await checkCommand(loaded, { stdout, env: options.env });
    }
    case "preview": {
      const loaded = await loadConfig({ file: line.configFile, env: options.env, flags: line.flags });
      for (const warning of loaded.warnings) stderr(`warning: ${warning}\n`);
      return await previewCommand(loaded, { stdout, records: line.records, rows: line.rows, preview: options.preview });
    }
    case "compact": {
      const loaded = await loadConfig({ file: line.configFile, env: options.env, flags: line.flags });
      for (const warning of loaded.warnings) stderr(`warning: ${warning}\n`);
      return await compactCommand(loaded, { stdout, flags: line.compact });
    }
    case "run": {
      const loaded = await loadConfig({ file: line.configFile, env: options.env, flags: line.flags });
      return await runCommand(loaded, options);
    }
  }
}
