/**
 * Compaction inside a running service (`pipeline.compaction.interval_seconds`): every interval, the tables the run
 * writes are compacted and their old snapshots expired, as `fs-data-sink compact` does. Commits race the pipeline's
 * appends like any two writers (the loser retries on top), so appends never wait for it; a failed round is logged
 * and the next one tries again.
 * @module
 */
import type { Table } from "apache-arrow";
import type { Logger } from "../../core/logger.ts";
import { compactTable } from "./compact.ts";
import type { IcebergLog } from "./delivery.ts";
import { expireTable } from "./expire.ts";

/** Options of {@linkcode startMaintenance}. */
export interface MaintenanceOptions {
  readonly intervalMs: number;
  readonly olderThanMs: number;
  readonly targetFileBytes: number;
  readonly retainMs: number;
  readonly encode: (table: Table) => Uint8Array;
  readonly log: Logger;
}

/** Starts the rounds; `stop()` ends them and waits for the one under way. */
export function startMaintenance(delivery: IcebergLog, options: MaintenanceOptions): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const round = async () => {
    for (const store of delivery.tables()) {
      if (stopped) return;
      try {
        await compactTable(store, options);
        await expireTable(store, { retainMs: options.retainMs, orphanGraceMs: options.olderThanMs, log: options.log });
      } catch (error) {
        options.log.warn(
          { table: store.folder, error: (error as Error).message },
          "Compaction round failed; retrying at the next",
        );
      }
    }
  };
  const timer = setInterval(() => {
    running = running.then(round);
  }, options.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
