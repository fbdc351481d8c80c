/**
 * Telling plain objects (records to flatten) from every other value.
 * @module
 */

/** Is this a plain object (from JSON, MessagePack or an Arrow struct), as opposed to an array, bytes or a Date? */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
