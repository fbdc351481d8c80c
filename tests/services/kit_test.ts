/**
 * Tests of the kit's command line as a contributor uses it: `env` feeds `eval`, `status` reports each server.
 */
import { deepEqual as assertEquals } from "node:assert/strict";
import { endpointEnv, ensureRunning, SERVICE_NAMES } from "./endpoints.ts";

const KIT = new URL("./kit.ts", import.meta.url).pathname;

async function kit(args: string[]): Promise<{ code: number; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", KIT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

Deno.test("kit env prints only export lines, and eval in bash sets every variable", async () => {
  const { code, stdout } = await kit(["env"]);
  assertEquals(code, 0);
  const lines = stdout.trim().split("\n");
  assertEquals(lines.filter((line) => !/^export [A-Z0-9_]+=\S+$/.test(line)), []);

  const expected = endpointEnv();
  const names = Object.keys(expected);
  const script = `eval "$('${Deno.execPath()}' run --allow-all '${KIT}' env 2>/dev/null)"; ` +
    names.map((name) => `printf '%s\\n' "$${name}"`).join("; ");
  const shell = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" }).output();
  const values = new TextDecoder().decode(shell.stdout).trimEnd().split("\n");
  assertEquals(Object.fromEntries(names.map((name, i) => [name, values[i]])), expected);
});

Deno.test("kit status reports every server healthy once they are ensured", async () => {
  await ensureRunning([...SERVICE_NAMES]);
  const { code, stdout } = await kit(["status"]);
  const states = Object.fromEntries(stdout.trim().split("\n").map((line) => line.split(/\s+/).slice(0, 2)));
  assertEquals(states, Object.fromEntries(SERVICE_NAMES.map((name) => [name, "healthy"])));
  assertEquals(code, 0);
});

Deno.test("kit rejects an unknown server name with exit code 1", async () => {
  const { code } = await kit(["up", "postgres"]);
  assertEquals(code, 1);
});
