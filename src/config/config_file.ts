/**
 * Reads a configuration file, YAML or INI, chosen by extension (`.yaml`, `.yml`; `.ini`, `.cfg`, `.conf`) or, for
 * any other name, by its content (a first line like `[source]` means INI).
 * @module
 */
import { ConfigError } from "../core/errors.ts";
import { readIniConfig } from "./ini_file.ts";
import { type FileLayer, readYamlConfig } from "./yaml_file.ts";

/** Configuration file formats. */
export type ConfigFormat = "yaml" | "ini";

const YAML_EXTENSIONS = [".yaml", ".yml"];
const INI_EXTENSIONS = [".ini", ".cfg", ".conf"];

/** The format of a file, by extension, else by sniffing its first meaningful line. */
export function detectFormat(file: string, text: string): ConfigFormat {
  const lower = file.toLowerCase();
  if (YAML_EXTENSIONS.some((ext) => lower.endsWith(ext))) return "yaml";
  if (INI_EXTENSIONS.some((ext) => lower.endsWith(ext))) return "ini";
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    return /^\[[^\]]+\]$/.test(trimmed) ? "ini" : "yaml";
  }
  return "yaml";
}

/** Parses configuration `text` that was read from `file`. */
export function parseConfigText(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): FileLayer {
  return detectFormat(file, text) === "ini" ? readIniConfig(text, file, env) : readYamlConfig(text, file, env);
}

/** Reads and parses the configuration file at `file`; a missing or unreadable file is a ConfigError. */
export async function readConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<FileLayer> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : (error as Error).message;
    throw new ConfigError(`Cannot read config file "${file}": ${reason}`, {
      hint: "Pass an existing YAML or INI file with --config FILE",
      cause: error,
    });
  }
  return parseConfigText(text, file, env);
}
