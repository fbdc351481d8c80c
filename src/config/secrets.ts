/**
 * Which configuration values are secret, and masking them wherever configuration is printed (validate output,
 * error messages, logs).
 * @module
 */

/** Printed instead of a secret value. */
export const MASK = "***";

/** Words that make any key secret, wherever it is (matched case-insensitively inside the key). */
export const SECRET_KEY_WORDS = ["password", "secret", "token", "sasl", "credential"] as const;

const URL_PASSWORD_RE = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;

/**
 * True when the value at `path` (section first, e.g. `["source", "sasl", "password"]`) is secret: a key along the
 * path contains one of {@linkcode SECRET_KEY_WORDS}, or the path is (or is under) one of the plugin's `secrets`
 * (dotted paths inside the section).
 */
export function isSecretPath(path: readonly (string | number)[], pluginSecrets: readonly string[] = []): boolean {
  const keys = path.map(String);
  if (keys.some((key) => SECRET_KEY_WORDS.some((word) => key.toLowerCase().includes(word)))) return true;
  const inSection = keys.slice(1).join(".");
  return pluginSecrets.some((secret) => inSection === secret || inSection.startsWith(secret + "."));
}

/** Hides the password of URLs such as `redis://user:pass@host` inside a text. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD_RE, `$1${MASK}@`);
}

/** The value to show for a possibly secret value: `***` when secret (null stays null), URL passwords hidden. */
export function maskValue(value: unknown, secret: boolean): unknown {
  if (secret && value !== null && value !== undefined) return MASK;
  if (typeof value === "string") return maskUrlPasswords(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, false));
  return value;
}
