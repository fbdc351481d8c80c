/**
 * Bars at the bottom of a terminal with log lines above them: each redraw moves the cursor back up over the bars it
 * drew and overwrites them; a log line clears the bars first, is written on its own line(s), and the bars are drawn
 * again below it, in one write, so no line ever holds both. Bar lines are cut to the terminal's width (a wrapped
 * line would throw the count of lines to move up off). Plain ANSI sequences (cursor up, erase line, erase down).
 * @module
 */

/** Where bars are drawn: stderr, or a fake terminal in tests. */
export interface ProgressTerminal {
  /** Writes some of `bytes`, returning how many (as `Deno.stderr.writeSync`). */
  writeSync(bytes: Uint8Array): number;
  /** The terminal's size in characters. */
  size(): { readonly columns: number; readonly rows: number };
}

/** Size assumed when the terminal cannot tell (output redirected while bars are forced). */
const FALLBACK_SIZE = { columns: 120, rows: 40 };

/** Standard error as a {@linkcode ProgressTerminal}. */
export function stderrTerminal(): ProgressTerminal {
  return {
    writeSync: (bytes) => Deno.stderr.writeSync(bytes),
    size: () => {
      try {
        return Deno.consoleSize();
      } catch {
        return FALLBACK_SIZE;
      }
    },
  };
}

const ESC = "\x1b[";
const ERASE_LINE_END = `${ESC}K`;
const ERASE_DOWN = `${ESC}J`;
const encoder = new TextEncoder();

/** The bars of the progress display on one terminal. */
export class TerminalBars {
  readonly #terminal: ProgressTerminal;
  /** Lines currently drawn; the cursor sits at the start of the line below them. */
  #drawn = 0;
  #lines: readonly string[] = [];

  constructor(terminal: ProgressTerminal) {
    this.#terminal = terminal;
  }

  /** Rows the bars may take: the terminal's height less a line for the cursor and one for the latest log line. */
  get maxRows(): number {
    return Math.max(1, this.#terminal.size().rows - 2);
  }

  /** Replaces the bars on screen with `lines`. */
  draw(lines: readonly string[]): void {
    this.#lines = lines;
    this.#write(this.#up() + this.#bars() + ERASE_DOWN);
  }

  /** Writes `text` (a log line, possibly several) above the bars, then draws the bars again below it. */
  printAbove(text: string): void {
    const line = text.endsWith("\n") ? text : text + "\n";
    this.#write(this.#up() + ERASE_DOWN + line + this.#bars());
  }

  /** Leaves the bars on screen as they are; what is written afterwards goes below them. */
  release(): void {
    this.#drawn = 0;
    this.#lines = [];
  }

  #up(): string {
    return this.#drawn > 0 ? `\r${ESC}${this.#drawn}A` : "";
  }

  #bars(): string {
    const width = Math.max(1, this.#terminal.size().columns - 1);
    this.#drawn = this.#lines.length;
    return this.#lines.map((line) => clip(line, width) + ERASE_LINE_END + "\n").join("");
  }

  #write(text: string): void {
    const bytes = encoder.encode(text);
    for (let at = 0; at < bytes.length;) at += this.#terminal.writeSync(bytes.subarray(at));
  }
}

/** `line` cut to `width` characters (code points; the display uses no wide characters of its own). */
function clip(line: string, width: number): string {
  if (line.length <= width) return line;
  return [...line].slice(0, width).join("");
}
