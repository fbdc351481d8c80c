/**
 * Strict ISO-8601 / RFC 3339 date-time recognition for timestamp inference.
 *
 * A string is a timestamp only if it is exactly `YYYY-MM-DDTHH:MM:SS[.fraction]<zone>`: upper-case `T`, a fraction of
 * 1 to 9 digits (truncated to microseconds), and a zone `Z` or `±HH:MM`. Dates must exist (no Feb 30), hours 0-23,
 * minutes and seconds 0-59 (no leap second). Anything else (a date alone, a space instead of `T`, no zone, `z`)
 * stays a string, because a time without a zone cannot be placed in UTC without guessing.
 * @module
 */

const MICROS_PER_DAY = 86_400_000_000;

/** Days from 1970-01-01 to the given proleptic Gregorian date (month 1-12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthIndex = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthIndex + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Value of `count` decimal digits at `start`, or -1 if any is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Value of two decimal digits at `start`, or -1. */
function two(text: string, start: number): number {
  const a = text.charCodeAt(start) - 48;
  const b = text.charCodeAt(start + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

// The date part (`YYYY-MM-DDT`) of the last valid date parsed, and its day number.
let lastDate = "\u0000";
let lastDays = 0;

/**
 * Microseconds since the epoch of a strict ISO-8601 date-time string, or null if the string is not one. The result is
 * a number when it is a safe integer (years up to about 2255), else a bigint.
 */
export function parseIsoTimestamp(text: string): number | bigint | null {
  const length = text.length;
  // Shortest: 2025-10-17T10:30:00Z (20); longest: 9 fraction digits + ±HH:MM (35).
  if (length < 20 || length > 35) return null;
  if (
    text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58
  ) return null;
  let days: number;
  if (text.startsWith(lastDate)) {
    days = lastDays; // consecutive records usually share the date: skip its parse and calendar arithmetic
  } else {
    const year = digits(text, 0, 4);
    const month = two(text, 5);
    const day = two(text, 8);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    days = daysFromCivil(year, month, day);
    lastDate = text.slice(0, 11);
    lastDays = days;
  }
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  let pos = 19;
  let micros = 0;
  if (text.charCodeAt(pos) === 46) {
    pos++;
    let count = 0;
    while (pos < length) {
      const d = text.charCodeAt(pos) - 48;
      if (d < 0 || d > 9) break;
      if (count < 6) micros = micros * 10 + d;
      count++;
      pos++;
    }
    if (count === 0 || count > 9) return null;
    for (let i = count; i < 6; i++) micros *= 10;
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(pos);
  if (zone === 90 && pos + 1 === length) {
    // Z
  } else if ((zone === 43 || zone === 45) && pos + 6 === length && text.charCodeAt(pos + 3) === 58) {
    const offsetHours = digits(text, pos + 1, 2);
    const offsetMins = digits(text, pos + 4, 2);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return null;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (zone === 45 ? -1 : 1);
  } else {
    return null;
  }
  const secondsOfDay = hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  const total = days * MICROS_PER_DAY + secondsOfDay * 1_000_000 + micros;
  if (Number.isSafeInteger(total)) return total;
  return BigInt(days) * BigInt(MICROS_PER_DAY) + BigInt(secondsOfDay) * 1_000_000n + BigInt(micros);
}
