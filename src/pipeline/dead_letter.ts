/**
 * Dead letters: records that could not be decoded, kept with their raw bytes and the reason, as JSON lines under
 * `_dead_letter/<dataset>/` in the sink (see `layout.ts`). They are written with the batch they belong to, before its positions are
 * acknowledged, so a dead-lettered record is never lost. JSON lines (not Parquet) so `**\/*.parquet` globs of
 * readers never pick them up.
 * @module
 */
/** One record that could not be decoded. */
export interface DeadLetter {
  /** Where it came from, e.g. `topic "orders" partition 3 offset 1200`. */
  readonly origin: string;
  readonly stream: string;
  readonly position: string;
  /** Why it could not be decoded. */
  readonly reason: string;
  /** The raw payload, or null for none. */
  readonly value: Uint8Array | null;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes dead letters as JSON lines: `time`, `origin`, `stream`, `position`, `reason`, `value_base64`, `value_text`. */
export function encodeDeadLetters(letters: readonly DeadLetter[], now = new Date()): Uint8Array {
  const time = now.toISOString();
  const lines = letters.map((letter) => {
    let text: string | null = null;
    if (letter.value) {
      try {
        text = decoder.decode(letter.value);
      } catch {
        text = null; // Not UTF-8: only the base64 form is kept.
      }
    }
    return JSON.stringify({
      time,
      origin: letter.origin,
      stream: letter.stream,
      position: letter.position,
      reason: letter.reason,
      value_base64: letter.value ? toBase64(letter.value) : null,
      value_text: text,
    });
  });
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
