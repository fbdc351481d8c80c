/**
 * `redis-cli` (Debian's redis-tools) on the kit's Redis: an independent client for tests to set up keys and to look
 * at what the tool left (pending entries, list lengths) without the source's code.
 * @module
 */
import { endpoints } from "../services/endpoints.ts";

/** Runs one `redis-cli` command on the kit's Redis; resolves its output lines (one value each); throws on an error. */
export async function redisCli(...args: string[]): Promise<string[]> {
  const { host, port } = endpoints().redis;
  const out = await new Deno.Command("redis-cli", {
    args: ["-h", host, "-p", String(port), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  // Without a terminal redis-cli prints raw values, one per line, and error replies as plain text with status 0.
  if (!out.success || /^(ERR|WRONGTYPE|NOGROUP|NOPERM|WRONGPASS|NOAUTH|BUSYGROUP) /.test(text)) {
    throw new Error(`redis-cli ${args[0]} failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  return text.split("\n").filter((line) => line !== "");
}
