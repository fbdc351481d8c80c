/**
 * Splits a byte stream into lines without decoding it, so each line's bytes go to the codec untouched (and invalid
 * UTF-8 is reported by the codec, not hidden here). Handles `\n` and `\r\n`; blank lines are reported with their
 * number so positions stay line numbers.
 * @module
 */

/** One line of a file: its 1-based number and its bytes without the line ending. */
export interface Line {
  readonly number: number;
  readonly bytes: Uint8Array;
}

/** Yields the lines of a byte stream. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  let carry: Uint8Array = new Uint8Array(0);
  let number = 0;
  for await (const chunk of stream) {
    let data = chunk;
    if (carry.length > 0) {
      data = new Uint8Array(carry.length + chunk.length);
      data.set(carry);
      data.set(chunk, carry.length);
    }
    let start = 0;
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
      const end = i > start && data[i - 1] === 13 ? i - 1 : i;
      yield { number: ++number, bytes: data.slice(start, end) };
      start = i + 1;
    }
    carry = data.slice(start);
  }
  if (carry.length > 0) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield { number: ++number, bytes: carry.slice(0, end) };
  }
}
