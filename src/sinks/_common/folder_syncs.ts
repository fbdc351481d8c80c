/**
 * Folder fsyncs shared by the writers that ask for one at the same time, as a group commit shares a log flush: a
 * batch's files and concurrent batches of a date-partitioned layout land in the same folder, and one fsync of the
 * folder makes every rename done before it started durable.
 *
 * A caller is answered by a sync that starts after it asked, never by one already running (that one may have begun
 * before the caller's rename): while a sync runs, later callers share the one queued after it. So a folder sees at
 * most one sync running and one waiting, whatever the number of writers.
 * @module
 */

/** Shares fsyncs of the same folder between callers that overlap; see the module doc. */
export class FolderSyncs {
  readonly #sync: (folder: string) => Promise<void>;
  readonly #running = new Map<string, Promise<void>>();
  readonly #queued = new Map<string, Promise<void>>();

  /** `sync` makes one folder durable (an fsync of the folder). */
  constructor(sync: (folder: string) => Promise<void>) {
    this.#sync = sync;
  }

  /** Resolves once a sync of `folder` that started after this call has finished; rejects with that sync's error. */
  sync(folder: string): Promise<void> {
    const queued = this.#queued.get(folder);
    if (queued !== undefined) return queued;
    const running = this.#running.get(folder);
    if (running === undefined) return this.#start(folder);
    const next = running.then(() => {}, () => {}).then(() => {
      this.#queued.delete(folder);
      return this.#start(folder);
    });
    this.#queued.set(folder, next);
    return next;
  }

  #start(folder: string): Promise<void> {
    const done: Promise<void> = this.#sync(folder).finally(() => {
      if (this.#running.get(folder) === done) this.#running.delete(folder);
    });
    this.#running.set(folder, done);
    return done;
  }
}
