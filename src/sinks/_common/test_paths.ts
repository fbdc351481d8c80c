/**
 * An {@linkcode OwnPaths} for the sinks' unit tests, which may not import the pipeline's layout (a floor above the
 * sinks); the integration tests in `tests/` use the real one.
 * @module
 */
import type { OwnPaths } from "../../core/sink.ts";

/** Every path is the tool's own except those in `foreign`; probes go to `probe/<uuid>`. */
export function testPaths(foreign: readonly string[] = []): OwnPaths {
  return {
    isOwnPath: (path) => !foreign.includes(path),
    probePath: () => `probe/${crypto.randomUUID()}`,
    probeFolder: "probe/",
  };
}
