/**
 * `fs-data-sink check` for the HDFS sink: a NameNode answers and `base_path` is a folder (or may be created), then a
 * probe file goes through the write path of every file: CREATE at a temporary name beside the layout's probe path,
 * RENAME into place, DELETE. Unlike `connect()` it cleans nothing up. Requests are retried once at most.
 * @module
 */
import { type CheckResult, withTimeout } from "../../core/check.ts";
import type { SinkCheckContext } from "../../core/plugin.ts";
import { tempPathBeside } from "../_common/temp_files.ts";
import type { Config } from "./config.ts";
import { WebHdfsClient } from "./webhdfs_client.ts";
import { WebHdfsError } from "./webhdfs_errors.ts";

/** Names of the two probes, as printed. */
export const HDFS_CHECKS = { namenode: "hdfs namenode", probe: "hdfs write probe" } as const;

/** Options of {@linkcode checkHdfsSink}; for tests. */
export interface CheckHdfsOptions {
  /** The client to probe instead of one built from the config. */
  readonly client?: WebHdfsClient;
}

/** Runs the probes of a validated HDFS section; never throws. */
export async function checkHdfsSink(
  config: Config,
  context: SinkCheckContext,
  options: CheckHdfsOptions = {},
): Promise<CheckResult[]> {
  const base = config.base_path.replace(/\/+$/, "") || "/";
  const client = options.client ?? new WebHdfsClient({
    urls: config.url,
    user: config.user,
    delegationToken: config.delegation_token,
    timeoutMs: Math.min(config.timeout_ms, context.timeoutMs),
    maxRetries: Math.min(config.max_retries, 1),
    log: context.log,
  });
  const step = <T>(work: Promise<T>, what: string) => withTimeout(work, context.timeoutMs, what);
  const who = client.user ? `user "${client.user}"` : "the delegation token";
  let baseNote: string;
  try {
    const status = await step(client.getFileStatus(base), `Cannot read "${base}"`);
    if (status && status.type !== "DIRECTORY") {
      return [
        {
          kind: "misconfigured",
          name: HDFS_CHECKS.namenode,
          cause: `base_path "${base}" is a ${status.type.toLowerCase()}, not a folder`,
          hint: "set sink.base_path (HDFS_BASE_PATH) to a folder",
        },
        { kind: "skipped", name: HDFS_CHECKS.probe, reason: `needs ${HDFS_CHECKS.namenode}` },
      ];
    }
    baseNote = status
      ? `base_path "${base}" is a folder (owner ${status.owner}, permission ${status.permission})`
      : `base_path "${base}" does not exist yet (a run creates it)`;
  } catch (error) {
    return [
      hdfsFailure(HDFS_CHECKS.namenode, error),
      { kind: "skipped", name: HDFS_CHECKS.probe, reason: `needs ${HDFS_CHECKS.namenode}` },
    ];
  }
  const results: CheckResult[] = [{
    kind: "ok",
    name: HDFS_CHECKS.namenode,
    detail: `${client.activeUrl} answers to ${who}; ${baseNote}`,
  }];
  const probe = `${base === "/" ? "" : base}/${context.paths.probePath()}`;
  const temp = tempPathBeside(probe);
  try {
    await step(client.create(temp, new TextEncoder().encode("fs-data-sink check probe\n")), `Cannot write "${temp}"`);
    await step(client.rename(temp, probe, { overwrite: true }), `Cannot rename "${temp}"`);
    await step(client.delete(probe), `Cannot delete "${probe}"`);
    results.push({ kind: "ok", name: HDFS_CHECKS.probe, detail: `wrote, renamed and deleted ${probe}` });
  } catch (error) {
    results.push(hdfsFailure(HDFS_CHECKS.probe, error));
    await client.delete(temp).catch(() => {});
    await client.delete(probe).catch(() => {});
  }
  return results;
}

/**
 * The failed result of a WebHDFS call: a refused permission, a NameNode URL that refuses connections or does not
 * resolve, or an invalid request are configuration faults; safe mode, server errors and timeouts are failures.
 */
export function hdfsFailure(name: string, error: unknown): CheckResult {
  const cause = error instanceof Error ? error.message : String(error);
  if (!(error instanceof WebHdfsError)) return { kind: "failed", name, cause };
  switch (error.kind) {
    case "permission":
      return {
        kind: "misconfigured",
        name,
        cause,
        hint: "check sink.user (HDFS_USER) or delegation_token, and the permissions of base_path",
      };
    case "invalid":
    case "not_found":
    case "exists":
      return { kind: "misconfigured", name, cause, hint: "check sink.base_path (HDFS_BASE_PATH)" };
    case "unreachable":
      if (/refused|dns|lookup|not known|resolve/i.test(cause)) {
        return {
          kind: "misconfigured",
          name,
          cause,
          hint: "check sink.url (HDFS_URL): the NameNode's WebHDFS address, e.g. http://namenode:9870",
        };
      }
      return { kind: "failed", name, cause, hint: "check that the NameNode runs and answers" };
    case "retriable":
      return { kind: "failed", name, cause, hint: "HDFS is in safe mode or has no live DataNode: retry later" };
    default:
      return { kind: "failed", name, cause };
  }
}
