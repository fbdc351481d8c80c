/**
 * A filter on the process's `warning` event for the Kafka client's one harmless, recurring warning.
 * @module
 */
import process from "node:process";

/**
 * kafkajs arms `setTimeout` with a negative delay when its request queue is idle, which Node's timers report as a
 * `TimeoutNegativeWarning` on stderr in every run. That warning alone is dropped; every other warning still shows.
 * Installed once per process.
 */
export function silenceNegativeTimeoutWarning(): void {
  const original = process.listeners("warning");
  if (original.some((listener) => (listener as { fsdsFilter?: boolean }).fsdsFilter)) return;
  const filter = Object.assign((warning: Error) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    for (const listener of original) listener(warning);
  }, { fsdsFilter: true });
  process.removeAllListeners("warning");
  process.on("warning", filter);
}
