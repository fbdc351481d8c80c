/** `deno task docs`: rewrites the generated configuration reference in README.md from the schemas. @module */
import "../src/plugins.ts";
import { configReference, replaceReference } from "../src/cli/config_reference.ts";

const path = new URL("../README.md", import.meta.url);
const readme = await Deno.readTextFile(path);
await Deno.writeTextFile(path, replaceReference(readme, configReference()));
console.error("docs: README.md configuration reference updated");
