/**
 * Runs the real CLI in a terminal for end-to-end tests of what a person sees: a detached tmux session of its own
 * (private socket, fixed size, long history), its screen captured as rendered (wrapped lines joined) every
 * `everyMs` while the command runs and once after it ended; a continuous run is stopped with SIGTERM once the screen
 * shows what `stopWhen` waits for. Needs `tmux` (Debian's tmux package).
 * @module
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const EXIT_MARK = "__fsds_exit=";

/** One capture: the lines of history and screen, trailing blank lines cut. */
export interface Screen {
  /** When it was taken, ms since the command was started. */
  readonly at: number;
  readonly lines: readonly string[];
}

/** What the terminal showed. */
export interface TerminalRun {
  /** The command's exit code. */
  readonly code: number;
  /** Every capture taken while it ran, oldest first. */
  readonly screens: readonly Screen[];
  /** The last capture, after the command ended (the exit marker line removed). */
  readonly final: readonly string[];
}

/** Options of {@linkcode runInTerminal}. */
export interface TerminalOptions {
  /** Terminal width; default 200. */
  readonly columns?: number;
  /** Terminal height; default 50. */
  readonly rows?: number;
  /** Milliseconds between captures; default 100. */
  readonly everyMs?: number;
  /** Gives up (and fails) after this long, ms; default 120 000. */
  readonly timeoutMs?: number;
  /** Sends the CLI SIGTERM (once) when a capture makes this true; default: wait for it to end by itself. */
  readonly stopWhen?: (lines: readonly string[]) => boolean;
}

/** True when tmux can be run here. */
export async function hasTmux(): Promise<boolean> {
  try {
    return (await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** Runs `main.ts <args>` in a fresh tmux terminal from the repository root; see the module doc. */
export async function runInTerminal(args: readonly string[], options: TerminalOptions = {}): Promise<TerminalRun> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-tmux-" });
  const socket = `${dir}/socket`;
  const conf = `${dir}/tmux.conf`;
  await Deno.writeTextFile(conf, "set -g history-limit 100000\nset -g status off\n");
  const tmux = async (...rest: string[]) => {
    const out = await new Deno.Command("tmux", { args: ["-S", socket, "-f", conf, ...rest], stdout: "piped" })
      .output();
    if (!out.success) throw new Error(`Cannot run tmux ${rest[0]}: exit ${out.code}`);
    return new TextDecoder().decode(out.stdout);
  };
  const quoted = [Deno.execPath(), "run", "--allow-all", "main.ts", ...args].map(shellQuote).join(" ");
  const pidFile = `${dir}/pid`;
  // Started in the background so that its pid is known (its stderr, where bars go, is still the terminal); the shell
  // stays a while after it so that the last screen can be captured.
  const command = `cd ${shellQuote(ROOT)} && { ${quoted} & echo $! > ${shellQuote(pidFile)}; wait $!; }; ` +
    `echo "${EXIT_MARK}$?"; sleep 600`;
  const columns = String(options.columns ?? 200);
  const rows = String(options.rows ?? 50);
  await tmux("-u", "new-session", "-d", "-s", "fsds", "-x", columns, "-y", rows, command);
  const capture = async () => {
    const text = await tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "fsds");
    const lines = text.split("\n").map((line) => line.trimEnd());
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  };
  const screens: Screen[] = [];
  const started = Date.now();
  let ended = false;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let stopped = false;
  try {
    for (;;) {
      const lines = await capture();
      const exit = lines.find((line) => line.startsWith(EXIT_MARK));
      if (exit !== undefined) {
        ended = true;
        return {
          code: Number(exit.slice(EXIT_MARK.length)),
          screens,
          final: lines.filter((line) => !line.startsWith(EXIT_MARK)),
        };
      }
      screens.push({ at: Date.now() - started, lines });
      if (!stopped && options.stopWhen?.(lines)) {
        stopped = true;
        Deno.kill(Number(await Deno.readTextFile(pidFile)), "SIGTERM");
      }
      if (Date.now() > deadline) throw new Error(`Timed out running ${quoted} in tmux:\n${lines.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
    }
  } finally {
    // A run given up on must not outlive the test.
    const pid = ended ? undefined : await Deno.readTextFile(pidFile).catch(() => undefined);
    if (pid) await Promise.resolve().then(() => Deno.kill(Number(pid), "SIGKILL")).catch(() => {});
    await tmux("kill-server").catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
