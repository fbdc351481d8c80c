/** `deno task docs`: rewrites the generated configuration reference in README.md from the schemas. @module */
import "../src/plugins.ts";
import { configReference, replaceReference } from "../src/cli/config_reference.ts";

/** The README text with a fresh reference block, formatted by `deno fmt` as the repository keeps it. */
export async function expectedReadme(readme: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), { args: ["fmt", "--ext=md", "-"], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(replaceReference(readme, configReference())));
  await writer.close();
  const { stdout, success } = await child.output();
  if (!success) throw new Error("Cannot format README.md: deno fmt failed");
  return new TextDecoder().decode(stdout);
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  await Deno.writeTextFile(path, await expectedReadme(await Deno.readTextFile(path)));
  console.error("docs: README.md configuration reference updated");
}
