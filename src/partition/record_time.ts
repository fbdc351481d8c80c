/**
 * Turning a record's time into calendar parts in a time zone, cheaply: parts are cached per 15-minute bucket, which
 * is exact for every IANA zone (all offsets are multiples of 15 minutes).
 * @module
 */

/** Calendar parts of an instant in a time zone, zero-padded. */
export interface TimeParts {
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
}

const BUCKET_MS = 15 * 60 * 1000;

/**
 * The 15-minute bucket of an instant (`ms` since the epoch): every instant of a bucket has the same calendar parts
 * in every time zone, so the bucket can stand for the instant wherever only the parts matter.
 */
export function timeBucket(ms: number): number {
  return Math.floor(ms / BUCKET_MS);
}

/** Converts instants to {@linkcode TimeParts} in one time zone. */
export class TimeZoneCalendar {
  readonly #format: Intl.DateTimeFormat;
  readonly #cache = new Map<number, TimeParts>();

  /** @throws {RangeError} when `timeZone` is not a valid IANA zone. */
  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      hourCycle: "h23",
    });
  }

  /** Calendar parts of `ms` (milliseconds since the epoch). */
  parts(ms: number): TimeParts {
    return this.partsOfBucket(timeBucket(ms));
  }

  /** Calendar parts of every instant of a {@linkcode timeBucket}. */
  partsOfBucket(bucket: number): TimeParts {
    let parts = this.#cache.get(bucket);
    if (parts === undefined) {
      const found: Record<string, string> = {};
      for (const p of this.#format.formatToParts(new Date(bucket * BUCKET_MS))) found[p.type] = p.value;
      parts = { year: found.year ?? "", month: found.month ?? "", day: found.day ?? "", hour: found.hour ?? "" };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(bucket, parts);
    }
    return parts;
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads an instant from a field value: a Date; a number or bigint of epoch seconds, milliseconds, microseconds or
 * nanoseconds (told apart by magnitude); or an ISO-8601 string (no zone means UTC). Anything else: undefined.
 */
export function toEpochMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  if (typeof value === "bigint") return toEpochMs(Number(value));
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return undefined;
    if (value < 1e11) return value * 1000; // seconds (until year 5138)
    if (value < 1e14) return value; // milliseconds
    if (value < 1e17) return value / 1000; // microseconds
    return value / 1e6; // nanoseconds
  }
  if (typeof value === "string" && ISO_DATE.test(value)) {
    const text = /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || value.length === 10 ? value : value + "Z";
    const ms = Date.parse(text.replace(" ", "T"));
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}
