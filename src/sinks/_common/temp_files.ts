/**
 * Hidden temporary files beside their target: the atomic-write mechanism of the local and HDFS sinks (write the
 * temporary name, then rename it over the target). The names start with `.`, which Hive, Spark and Trino skip, and
 * end with {@linkcode TEMP_SUFFIX}; a crash leaves at most one per write in flight, which `connect()` removes once it
 * is older than {@linkcode STALE_TEMP_MS}. These names are the sinks' own, not part of the pipeline's layout.
 * @module
 */

/** Ending of every temporary file name. */
export const TEMP_SUFFIX = ".fsds-tmp";
/** Age after which a temporary file counts as left behind by a crashed run. */
export const STALE_TEMP_MS = 60 * 60 * 1000;
/** The exact shape of the names {@linkcode tempPathBeside} makes: `.<final name>.<hex>.fsds-tmp`. */
const TEMP_NAME = new RegExp(`^\\..+\\.[0-9a-f]{8,}${TEMP_SUFFIX.replaceAll(".", "\\.")}$`);

/**
 * A fresh temporary path in the folder of `target` (a path with at least one `/`):
 * `<folder>/.<name>.<12 hex digits>.fsds-tmp`.
 */
export function tempPathBeside(target: string): string {
  const slash = target.lastIndexOf("/");
  return `${target.slice(0, slash)}/.${target.slice(slash + 1)}.${randomHex()}${TEMP_SUFFIX}`;
}

/** Whether a file name has exactly the shape {@linkcode tempPathBeside} gives, so nothing else is ever cleaned up. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
