/**
 * Expansion of the file source's `path`: a file, a glob (`*`, `?`, `**`, `[abc]`) or `-` for stdin.
 * @module
 */

/** True when `path` contains glob characters. */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/** Converts a glob to a regular expression over `/`-separated paths. `**` matches any number of folders. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        const slash = glob[i + 2] === "/";
        out += slash ? "(?:[^/]*/)*" : ".*";
        i += slash ? 2 : 1;
      } else out += "[^/]*";
    } else if (char === "?") out += "[^/]";
    else if (char === "[") {
      const end = glob.indexOf("]", i);
      if (end < 0) out += "\\[";
      else {
        out += "[" + glob.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else out += /[.+^${}()|\\]/.test(char) ? "\\" + char : char;
  }
  return new RegExp(`^${out}$`);
}

/** Expands `path` to the sorted list of matching files; a plain path is returned as is (checked later). */
export async function expandPath(path: string): Promise<string[]> {
  if (!isGlob(path)) return [path];
  const parts = path.split("/");
  const firstGlob = parts.findIndex(isGlob);
  const base = parts.slice(0, firstGlob).join("/") || (path.startsWith("/") ? "/" : ".");
  const regex = globToRegExp(path.startsWith("./") ? path.slice(2) : path);
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for await (const entry of Deno.readDir(folder)) {
      const full = folder === "." ? entry.name : folder === "/" ? `/${entry.name}` : `${folder}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile && regex.test(full)) found.push(full);
    }
  };
  try {
    await walk(base.startsWith("./") ? base.slice(2) || "." : base);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}
