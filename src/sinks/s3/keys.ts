/**
 * Object keys of the S3 sink: the configured prefix joined with a sink path. Keys never start with `/` and never
 * hold `//` (both would make folders that ClickHouse's and DuckDB's globs do not see).
 * @module
 */

function segments(text: string, what: string): string[] {
  const parts = text.split("/").filter((part) => part !== "");
  for (const part of parts) {
    if (part === "." || part === "..") {
      throw new RangeError(`Cannot use ${what} "${text}": "." and ".." segments are not allowed in S3 keys`);
    }
  }
  return parts;
}

/** The prefix without leading, trailing or doubled slashes: `/data//raw/` -> `data/raw`; empty stays empty. */
export function normalizePrefix(prefix: string | undefined): string {
  return segments(prefix ?? "", "prefix").join("/");
}

/** The key of a file: `objectKey("data/raw", "date=2024-01-01/orders+0.parquet")`. An empty path is a RangeError. */
export function objectKey(prefix: string, path: string): string {
  const parts = segments(path, "path");
  if (parts.length === 0) throw new RangeError(`Cannot build an S3 key for path "${path}": the path is empty`);
  return [...segments(prefix, "prefix"), ...parts].join("/");
}

/**
 * The listing prefix of a folder, ending with `/` so `_fsds/journal` does not also match `_fsds/journal2`; an empty
 * folder under an empty prefix is the whole bucket, `""`.
 */
export function folderKeyPrefix(prefix: string, folder: string): string {
  const joined = [...segments(prefix, "prefix"), ...segments(folder, "folder")].join("/");
  return joined === "" ? "" : `${joined}/`;
}

/** The sink path of a key below `prefix`, or undefined when the key is not below it. */
export function pathOfKey(prefix: string, key: string): string | undefined {
  const root = normalizePrefix(prefix);
  if (root === "") return key;
  return key.startsWith(`${root}/`) ? key.slice(root.length + 1) : undefined;
}
