/**
 * `deno test --parallel` runs test files side by side, and some S3 tests stop MinIO on purpose. Every test that
 * needs MinIO holds a shared lock on one file while it runs; a test that stops MinIO holds it exclusively, so no
 * other S3 test is running (in any test file or process) while the server is down.
 * @module
 */

const LOCK_FILE = `${Deno.env.get("TMPDIR") ?? "/tmp"}/fs-data-sink-minio-tests.lock`;

/** Runs `fn` holding the MinIO test lock: `exclusive` for tests that stop the server. */
export async function withMinioLock<T>(mode: "shared" | "exclusive", fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(LOCK_FILE, { read: true, write: true, create: true });
  try {
    await file.lock(mode === "exclusive");
    return await fn();
  } finally {
    file.close(); // closing the descriptor releases the lock
  }
}

/** `Deno.test` for a test that needs MinIO running (shared lock). */
export function s3Test(name: string, fn: () => Promise<void>): void {
  Deno.test(name, () => withMinioLock("shared", fn));
}

/** `Deno.test` for a test that stops and restarts MinIO (exclusive lock). */
export function s3OutageTest(name: string, fn: () => Promise<void>): void {
  Deno.test(name, () => withMinioLock("exclusive", fn));
}
