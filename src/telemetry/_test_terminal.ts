/**
 * A fake terminal for the progress tests: it keeps a screen of `rows` lines (and what scrolled off above) and
 * interprets what the bars write: text, `\r`, `\n`, cursor up (`ESC[nA`), erase to the end of the line (`ESC[K`) and
 * erase down (`ESC[J`). Characters past the last column wrap, as a terminal's do. Private to the folder's tests.
 * @module
 */
import type { ProgressTerminal } from "./progress_bars.ts";

/** A {@linkcode ProgressTerminal} that renders into lines of text. */
export class FakeTerminal implements ProgressTerminal {
  readonly columns: number;
  readonly rows: number;
  /** Every line ever shown, scrolled-off ones first; the screen is the last `rows` of them. */
  readonly #lines: string[][] = [[]];
  #row = 0;
  #column = 0;
  /** Everything written, escape sequences included. */
  raw = "";
  readonly #decoder = new TextDecoder();

  constructor(columns = 100, rows = 20) {
    this.columns = columns;
    this.rows = rows;
  }

  isTerminal(): boolean {
    return true;
  }

  size(): { columns: number; rows: number } {
    return { columns: this.columns, rows: this.rows };
  }

  writeSync(bytes: Uint8Array): number {
    const text = this.#decoder.decode(bytes);
    this.raw += text;
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (char === "\x1b" && text[i + 1] === "[") {
        const match = /^\[(\d*)([A-Za-z])/.exec(text.slice(i + 1));
        if (!match) throw new SyntaxError(`FakeTerminal: unknown escape sequence at ${JSON.stringify(text.slice(i))}`);
        this.#escape(match[2]!, match[1] === "" ? 1 : Number(match[1]));
        i += match[0].length;
      } else if (char === "\r") {
        this.#column = 0;
      } else if (char === "\n") {
        this.#newLine();
      } else {
        if (this.#column >= this.columns) this.#newLine();
        this.#line()[this.#column++] = char;
      }
    }
    return bytes.length;
  }

  /** The lines scrolled off and on screen, trailing blanks cut, with the empty lines at the very end dropped. */
  get lines(): string[] {
    const out = this.#lines.map((chars) => Array.from(chars, (c) => c ?? " ").join("").trimEnd());
    while (out.length > 0 && out[out.length - 1] === "") out.pop();
    return out;
  }

  #line(): string[] {
    while (this.#lines.length <= this.#row) this.#lines.push([]);
    return this.#lines[this.#row]!;
  }

  #newLine(): void {
    this.#row++;
    this.#column = 0;
    this.#line();
  }

  #escape(command: string, n: number): void {
    const top = Math.max(0, this.#lines.length - this.rows);
    if (command === "A") this.#row = Math.max(top, this.#row - n);
    else if (command === "K") this.#line().length = Math.min(this.#line().length, this.#column);
    else if (command === "J") {
      this.#line().length = Math.min(this.#line().length, this.#column);
      this.#lines.length = this.#row + 1;
    } else throw new SyntaxError(`FakeTerminal: unknown escape sequence ESC[${n}${command}`);
  }
}
