/**
 * The program's version, from `deno.json`, and the commit embedded at compile time (see `build_info.ts`).
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { BUILD_COMMIT } from "./build_info.ts";

/** Program name, as typed on the command line. */
export const PROGRAM = "fs-data-sink";

/** The version in `deno.json`. */
export const VERSION: string = denoJson.version;

/** The embedded commit id, or undefined when running from source without one. */
export const COMMIT: string | undefined = BUILD_COMMIT || undefined;

/** `fs-data-sink 0.1.0` or `fs-data-sink 0.1.0 (commit 1a2b3c4)`. */
export function versionText(): string {
  return `${PROGRAM} ${VERSION}${COMMIT ? ` (commit ${COMMIT})` : ""}`;
}

/** Path of the build-facts module, relative to the repository root, that a compile script rewrites. */
export const BUILD_INFO_PATH = "src/cli/build_info.ts";

/**
 * The text of `build_info.ts` with `commit` embedded; a compile script writes it to {@linkcode BUILD_INFO_PATH}
 * before `deno compile` and restores the original afterwards.
 */
export function buildInfoSource(commit: string): string {
  if (!/^[0-9a-f]{4,64}$/i.test(commit)) {
    throw new RangeError(`Cannot embed commit ${JSON.stringify(commit)}: not a hex id`);
  }
  return `/** Build facts embedded at compile time. @module */\n\n/** Commit id of the build. */\nexport const BUILD_COMMIT: string = "${commit}";\n`;
}
