/**
 * Runs actionlint on `.github/workflows/` (part of `deno task check`). Installs it with `go install` from the Go
 * module proxy into the project's tool cache the first time.
 * @module
 */
const VERSION = "v1.7.7";
const cache = Deno.env.get("FSDS_CACHE_DIR") ?? `${Deno.env.get("HOME")}/.cache/fs-data-sink`;
const binDir = `${cache}/tools/actionlint-${VERSION}`;
const binary = `${binDir}/actionlint`;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

if (!(await exists(binary))) {
  console.error(`actionlint: installing ${VERSION} with go install (first run only)`);
  const install = await new Deno.Command("go", {
    args: ["install", `github.com/rhysd/actionlint/cmd/actionlint@${VERSION}`],
    env: { GOBIN: binDir },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!install.success) {
    console.error("actionlint: go install failed (is Go installed and the module proxy reachable?)");
    Deno.exit(1);
  }
}
const root = new URL("../..", import.meta.url).pathname;
const status = await new Deno.Command(binary, { args: ["-color"], cwd: root, stdout: "inherit", stderr: "inherit" })
  .spawn().status;
if (status.success) console.error("actionlint: workflows OK");
Deno.exit(status.code);
