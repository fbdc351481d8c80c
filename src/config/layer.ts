/**
 * Configuration values as entries (key path, value, origin), the unit in which file, environment and flags are
 * merged: a later layer's entry replaces an earlier one at the same path, and any entry above or below it.
 * @module
 */
import type { Origin } from "./app_config.ts";

/** One value and where it came from. */
export interface ConfigEntry {
  /** Section first, then keys: `["source", "topics"]`. */
  readonly path: readonly string[];
  /** A scalar, an array or an (empty) object; objects with keys are split into entries per key. */
  readonly value: unknown;
  readonly origin: Origin;
  /**
   * True when the value is text still to be coerced to the type the schema expects at `path` (INI values,
   * expanded `${VAR}`, flag arguments, environment text that did not parse by its declared kind). For an array,
   * its string items are coerced.
   */
  readonly text: boolean;
}

/** A problem found while loading, reported with all the others in one ConfigError. */
export interface Problem {
  /** One line, naming the key path, the value (masked if secret) and its origin. */
  readonly message: string;
  /** How to fix it, appended after the message. */
  readonly hint?: string;
  /** The key whose value could not be read (e.g. an unset `${VAR}`), so it is not reported again as missing. */
  readonly path?: readonly string[];
}

const SEP = "\u0000";

function keyOf(path: readonly string[]): string {
  return path.join(SEP);
}

/** Entries merged in precedence order: each `set` overrides what earlier calls set at, above or below its path. */
export class EntryMap {
  #entries = new Map<string, ConfigEntry>();

  /** Sets an entry, dropping entries at its path, under it, and scalars above it. */
  set(entry: ConfigEntry): void {
    const key = keyOf(entry.path);
    for (const existing of [...this.#entries.keys()]) {
      if (existing === key || existing.startsWith(key + SEP) || key.startsWith(existing + SEP)) {
        this.#entries.delete(existing);
      }
    }
    this.#entries.set(key, entry);
  }

  /** Removes the entries at `path` and under it: what earlier layers set there no longer counts. */
  unset(path: readonly string[]): void {
    const key = keyOf(path);
    for (const existing of [...this.#entries.keys()]) {
      if (existing === key || existing.startsWith(key + SEP)) this.#entries.delete(existing);
    }
  }

  /** Replaces the value of the entry at `path` (after coercion), keeping its origin. */
  replaceValue(path: readonly string[], value: unknown): void {
    const key = keyOf(path);
    const entry = this.#entries.get(key);
    if (entry) this.#entries.set(key, { ...entry, value, text: false });
  }

  /** The entry exactly at `path`. */
  get(path: readonly string[]): ConfigEntry | undefined {
    return this.#entries.get(keyOf(path));
  }

  /**
   * The entry that gave the value at `path`: the entry at the path, else the one holding it (an array or object
   * leaf above it), else the first one under it; undefined when nothing set it.
   */
  originEntry(path: readonly (string | number)[]): ConfigEntry | undefined {
    const parts = path.map(String);
    for (let n = parts.length; n > 0; n--) {
      const found = this.#entries.get(keyOf(parts.slice(0, n)));
      if (found) return found;
    }
    const prefix = keyOf(parts) + SEP;
    for (const [key, entry] of this.#entries) if (key.startsWith(prefix)) return entry;
    return undefined;
  }

  /** All entries, in the order they were set. */
  entries(): ConfigEntry[] {
    return [...this.#entries.values()];
  }

  /** The nested object of one section's entries (section name stripped). */
  sectionObject(section: string): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const entry of this.#entries.values()) {
      if (entry.path[0] !== section || entry.path.length < 2) continue;
      let node = root;
      const keys = entry.path.slice(1);
      for (const key of keys.slice(0, -1)) {
        const child = node[key];
        if (typeof child !== "object" || child === null || Array.isArray(child)) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
      node[keys[keys.length - 1]!] = entry.value;
    }
    return root;
  }
}
