/**
 * Value types that decoders produce besides plain JSON values (objects, arrays, strings, numbers, booleans, null):
 * `bigint` for integers that a JS number cannot hold exactly, `Uint8Array` for binary data, `Date` for MessagePack
 * timestamps, and {@linkcode TimestampValue} for Arrow timestamps with sub-millisecond precision.
 * @module
 */

/** Is this a plain object (from JSON, MessagePack or an Arrow struct), as opposed to an array, bytes or a Date? */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A point in time with microsecond precision (a `Date` only holds milliseconds). */
export class TimestampValue {
  /** Microseconds since 1970-01-01T00:00:00Z. */
  readonly micros: bigint;
  constructor(micros: bigint) {
    this.micros = micros;
  }
  /** ISO-8601 text in UTC with six fraction digits, e.g. `2025-10-17T10:30:00.000001Z`. */
  toJSON(): string {
    return isoFromMicros(this.micros);
  }
}

const MICROS_PER_MS = 1000n;

/** ISO-8601 text in UTC with six fraction digits for microseconds since the epoch. */
export function isoFromMicros(micros: bigint): string {
  let ms = micros / MICROS_PER_MS;
  let sub = micros % MICROS_PER_MS;
  if (sub < 0n) {
    sub += MICROS_PER_MS;
    ms -= 1n;
  }
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return String(micros);
  const iso = date.toISOString(); // ...:SS.mmmZ
  return `${iso.slice(0, -1)}${String(sub).padStart(3, "0")}Z`;
}
