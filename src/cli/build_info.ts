/**
 * Build facts embedded at compile time. The compile script rewrites this file (in its build copy) with the commit
 * id before `deno compile`; from a source checkout it stays empty.
 * @module
 */

/** Commit id of the build, or an empty string when not embedded. */
export const BUILD_COMMIT: string = "";
