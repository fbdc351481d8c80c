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
