/**
 * Health and readiness for container orchestrators: `/healthz` (liveness) and `/readyz` (readiness).
 *
 * - Ready once the pipeline says its source and sink are connected ({@linkcode HealthState.markReady}), not ready
 *   again while shutting down ({@linkcode HealthState.markNotReady}) or while stalled.
 * - Stalled (unhealthy) when the pipeline has work (data in hand, see {@linkcode HealthState.setPending}, a batch
 *   being written, see {@linkcode HealthState.duringWrite}, or a consumer lag above 0) and made no progress ({@linkcode HealthState.heartbeat}) for longer than the stall
 *   timeout, counted from the later of the last progress and the moment the work appeared. An idle pipeline
 *   with nothing to read is healthy however long it waits.
 * @module
 */

/** State reported by `/healthz` and `/readyz`. */
export type HealthStatus =
  /** Source and sink not connected yet (or shutting down); alive. */
  | { readonly kind: "starting"; readonly ready: false; readonly stalled: false }
  /** Connected and making progress, or idle. */
  | { readonly kind: "ok"; readonly ready: boolean; readonly stalled: false }
  /** Had work but made no progress for longer than the stall timeout. */
  | { readonly kind: "stalled"; readonly ready: boolean; readonly stalled: true; readonly stalledForMs: number };

/** Options of {@linkcode HealthState}. */
export interface HealthStateOptions {
  /** Work without progress for longer than this is a stall, ms. */
  readonly stallTimeoutMs: number;
  /** Clock in ms; replaceable in tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Readiness and progress bookkeeping fed by the pipeline; cheap enough to call per batch. */
export class HealthState {
  readonly #stallTimeoutMs: number;
  readonly #now: () => number;
  #ready = false;
  #everReady = false;
  #lastProgress: number;
  #pending = 0;
  #pendingBytes = 0;
  #backlog = 0;
  #workSince = 0;
  #writing = 0;

  constructor(options: HealthStateOptions) {
    this.#stallTimeoutMs = options.stallTimeoutMs;
    this.#now = options.now ?? Date.now;
    this.#lastProgress = this.#now();
  }

  /** Source and sink are connected: `/readyz` answers 200. */
  markReady(): void {
    this.#ready = true;
    this.#everReady = true;
    this.#lastProgress = this.#now();
  }
  /** Shutting down or reconnecting: `/readyz` answers 503. */
  markNotReady(): void {
    this.#ready = false;
  }
  /** The pipeline made progress (read, wrote or acknowledged something). */
  heartbeat(): void {
    this.#lastProgress = this.#now();
  }
  /**
   * Messages (records) the pipeline has read and not yet written and acknowledged, and the estimated bytes of its
   * open batches.
   */
  setPending(records: number, bytes = 0): void {
    this.#noteWork(records, this.#backlog);
    this.#pending = records;
    this.#pendingBytes = bytes;
  }
  /** Messages waiting in the source (the sum of the consumer lags). */
  setBacklog(messages: number): void {
    this.#noteWork(this.#pending, messages);
    this.#backlog = messages;
  }
  /**
   * Runs `write` (one batch being written and acknowledged) counting it as work, so a write that hangs is a stall
   * even when nothing else is buffered.
   */
  async duringWrite<T>(write: () => Promise<T>): Promise<T> {
    if (!this.#hasWork()) this.#workSince = this.#now();
    this.#writing++;
    try {
      return await write();
    } finally {
      this.#writing--;
    }
  }
  #hasWork(): boolean {
    return this.#pending > 0 || this.#backlog > 0 || this.#writing > 0;
  }
  #noteWork(pending: number, backlog: number): void {
    const had = this.#hasWork();
    if (!had && (pending > 0 || backlog > 0)) this.#workSince = this.#now();
  }

  /** The current state. */
  status(): HealthStatus {
    if (this.#hasWork() && this.#everReady) {
      const stalledForMs = this.#now() - Math.max(this.#lastProgress, this.#workSince);
      if (stalledForMs > this.#stallTimeoutMs) {
        return { kind: "stalled", ready: this.#ready, stalled: true, stalledForMs };
      }
    }
    if (!this.#ready && !this.#everReady) return { kind: "starting", ready: false, stalled: false };
    return { kind: "ok", ready: this.#ready, stalled: false };
  }

  /** Details for the response bodies. */
  details(): { pending: number; pending_bytes: number; backlog: number; since_progress_ms: number } {
    return {
      pending: this.#pending,
      pending_bytes: this.#pendingBytes,
      backlog: this.#backlog,
      since_progress_ms: this.#now() - this.#lastProgress,
    };
  }
}

/** Answers `/healthz` and `/readyz` from `state`; undefined for other paths. */
export function healthResponse(state: HealthState, path: string): Response | undefined {
  if (path !== "/healthz" && path !== "/readyz" && path !== "/livez") return undefined;
  const status = state.status();
  const ok = path === "/readyz" ? status.ready && !status.stalled : !status.stalled;
  const body = {
    status: path === "/readyz" ? (ok ? "ready" : status.stalled ? "stalled" : "not_ready") : status.kind,
    ready: status.ready,
    ...(status.kind === "stalled" ? { stalled_for_ms: status.stalledForMs } : {}),
    ...state.details(),
  };
  return Response.json(body, { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } });
}
