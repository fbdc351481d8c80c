/**
 * Tables in an Iceberg REST catalog ({@linkcode TableCatalog}): the catalog holds which metadata is current and
 * writes it; the pipeline still writes the data files, manifests and manifest lists into the table's folder, which is
 * the table's location. A table is named `<namespace>.<name>`, the name being the dataset's (or `sink.table`) with
 * every character but letters, digits and `_` turned into `_`. A table the catalog does not know but whose folder
 * already holds a Hadoop table (written before the catalog was configured) is registered with its newest metadata
 * file, so its snapshots and stream positions carry over.
 *
 * Loads are retried while the catalog does not answer (or answers 429/5xx); a commit is sent once: 409 means
 * another writer committed first, and no answer or a 5xx leaves the outcome unknown. Both resolve with null, and the
 * caller re-reads the table and looks for its own snapshot before trying again; an unknown outcome first waits a
 * growing pause, and after {@linkcode MAX_UNKNOWN_IN_A_ROW} of them in a row the catalog's own error is thrown (the
 * data files stay; positions in the table tell a later attempt what is already committed).
 * @module
 */
import { ConfigError } from "../../../core/errors.ts";
import type { Logger } from "../../../core/logger.ts";
import { retry } from "../../../core/retry.ts";
import { HadoopCatalog } from "../hadoop_catalog.ts";
import { checkedMetadata, type TableMetadata } from "../metadata.ts";
import type { TableCatalog, TableLocation, TableVersion } from "../catalog.ts";
import { RestCatalogError, type RestClient } from "./client.ts";
import { createBody, updateBody } from "./updates.ts";

/** Tries of a load after the first while the catalog is unreachable or busy. */
const LOAD_RETRIES = 6;
/** Commits in a row whose outcome was unknown (no answer, 429, 5xx) before the catalog's error is thrown. */
export const MAX_UNKNOWN_IN_A_ROW = 6;

/** The name of a dataset's table in a REST catalog. */
export function catalogTableName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * Runs `step`, turning a refusal for lack of rights (401, 403) into a {@linkcode ConfigError}: no retry mends a
 * wrong token or credential, so the run stops at once with exit code 2.
 */
async function userMistakes<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof RestCatalogError && (error.status === 401 || error.status === 403)) {
      throw new ConfigError(error.message, {
        hint: "set sink.catalog_token or sink.catalog_credential to what the catalog accepts",
        cause: error,
      });
    }
    throw error;
  }
}

/** A table of a REST catalog, as listed. */
export interface CatalogTable {
  readonly name: string;
  /** Its location (an absolute URI). */
  readonly location: string;
}

/** See the module doc. */
export class RestCatalog implements TableCatalog {
  readonly kind = "rest";
  readonly namespace: readonly string[];
  readonly #client: RestClient;
  readonly #log: Logger;
  #namespaceReady = false;
  #unknownInARow = 0;

  readonly #pauseMs: number;

  /** `pauseMs`: the first pause after a commit of unknown outcome, doubled each time up to 5 s. */
  constructor(client: RestClient, namespace: string, log: Logger, { pauseMs = 250 }: { pauseMs?: number } = {}) {
    this.#client = client;
    this.#pauseMs = pauseMs;
    this.namespace = namespace.split(".").filter((part) => part !== "");
    if (this.namespace.length === 0) throw new ConfigError("sink.catalog_namespace is empty");
    this.#log = log;
  }

  /** `<namespace>.<table>`, for messages. */
  identifier(store: TableLocation): string {
    return [...this.namespace, catalogTableName(store.name)].join(".");
  }

  latest(store: TableLocation): Promise<TableVersion | null> {
    return userMistakes(async () => {
      const url = await this.#tableUrl(store);
      const answer = await this.#retried(() => this.#client.send("GET", url), url);
      if (answer.status === 404) return await this.#registerHadoopTable(store);
      if (answer.status !== 200) throw this.#client.refused("GET", url, answer);
      return this.#version(store, answer.body, url);
    });
  }

  commit(store: TableLocation, base: TableVersion | null, next: TableMetadata): Promise<TableVersion | null> {
    return userMistakes(() => this.#commit(store, base, next));
  }

  async #commit(store: TableLocation, base: TableVersion | null, next: TableMetadata): Promise<TableVersion | null> {
    if (base === null) await this.#ensureNamespace();
    const url = await this.#tableUrl(store);
    const body = {
      identifier: { namespace: this.namespace, name: catalogTableName(store.name) },
      ...(base === null ? createBody(next) : updateBody(base.metadata, next)),
    };
    let answer;
    try {
      answer = await this.#client.send("POST", url, body);
    } catch (error) {
      if (!(error instanceof RestCatalogError)) throw error;
      return await this.#unknown(store, error);
    }
    if (answer.status === 200 || answer.status === 409) {
      this.#unknownInARow = 0;
      return answer.status === 200 ? this.#version(store, answer.body, url) : null;
    }
    const refused = this.#client.refused("POST", url, answer);
    if (refused.transient) return await this.#unknown(store, refused);
    throw refused;
  }

  async #unknown(store: TableLocation, error: RestCatalogError): Promise<null> {
    const count = ++this.#unknownInARow;
    if (count >= MAX_UNKNOWN_IN_A_ROW) {
      this.#unknownInARow = 0;
      throw new RestCatalogError(
        `Cannot commit to ${this.identifier(store)}: ${count} commits in a row had no answer or a failure of the ` +
          `catalog; the last: ${error.message}`,
        error.status,
        error.type,
        { cause: error },
      );
    }
    this.#log.warn({ table: this.identifier(store), attempt: count, error: error.message }, "Commit outcome unknown");
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, this.#pauseMs * 2 ** (count - 1))));
    return null;
  }

  /** The catalog deletes its own metadata files (`write.metadata.delete-after-commit.enabled`). */
  pruneMetadata(): Promise<number> {
    return Promise.resolve(0);
  }

  /** The tables of the namespace, with their locations. */
  async tables(): Promise<CatalogTable[]> {
    const found: CatalogTable[] = [];
    let pageToken: string | undefined;
    do {
      const query = pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : "";
      const url = await this.#client.url(`namespaces/${this.#namespacePath()}/tables${query}`);
      const answer = await this.#retried(() => this.#client.send("GET", url), url);
      if (answer.status === 404) return [];
      if (answer.status !== 200) throw this.#client.refused("GET", url, answer);
      for (const id of (answer.body.identifiers ?? []) as { name: string }[]) {
        const tableUrl = await this.#client.url(
          `namespaces/${this.#namespacePath()}/tables/${encodeURIComponent(id.name)}`,
        );
        const table = await this.#retried(() => this.#client.send("GET", tableUrl), tableUrl);
        if (table.status !== 200) continue;
        const metadata = checkedMetadata(table.body.metadata, tableUrl);
        found.push({ name: id.name, location: metadata.location });
      }
      pageToken = typeof answer.body["next-page-token"] === "string" ? answer.body["next-page-token"] : undefined;
    } while (pageToken);
    return found;
  }

  #version(store: TableLocation, body: Record<string, unknown>, url: string): TableVersion {
    const metadata = checkedMetadata(body.metadata, url);
    const location = String(body["metadata-location"] ?? "");
    const wanted = store.location.replace(/\/+$/, "");
    let at: string;
    try {
      at = store.pathOf(metadata.location.replace(/\/+$/, "") + "/");
    } catch {
      at = "";
    }
    if (`${at}` !== store.folder) {
      throw new ConfigError(
        `The Iceberg table "${this.identifier(store)}" of the REST catalog lives at "${metadata.location}", ` +
          `not at "${wanted}" where this sink writes it`,
        { hint: "point the sink at the table's location, or name another table (sink.table, sink.catalog_namespace)" },
      );
    }
    return { version: metadata["metadata-log"].length + 1, path: store.pathOf(location), metadata };
  }

  async #registerHadoopTable(store: TableLocation): Promise<TableVersion | null> {
    const existing = await new HadoopCatalog().latest(store);
    if (existing === null) return null;
    await this.#ensureNamespace();
    const url = await this.#client.url(`namespaces/${this.#namespacePath()}/register`);
    const answer = await this.#client.send("POST", url, {
      name: catalogTableName(store.name),
      "metadata-location": store.uriOf(existing.path),
    });
    if (answer.status === 409) return await this.latest(store);
    if (answer.status !== 200) throw this.#client.refused("POST", url, answer);
    this.#log.info(
      { table: this.identifier(store), metadata: store.uriOf(existing.path) },
      "Registered the table already in the sink with the REST catalog",
    );
    return this.#version(store, answer.body, url);
  }

  async #ensureNamespace(): Promise<void> {
    if (this.#namespaceReady) return;
    const url = await this.#client.url("namespaces");
    try {
      const answer = await this.#retried(
        () => this.#client.send("POST", url, { namespace: this.namespace }),
        url,
        "POST",
      );
      if (answer.status !== 200 && answer.status !== 409) throw this.#client.refused("POST", url, answer);
    } catch (error) {
      // Another writer creating it at the same moment can make the catalog fail ours: it may exist all the same.
      const namespaceUrl = await this.#client.url(`namespaces/${this.#namespacePath()}`);
      const found = await this.#client.send("GET", namespaceUrl).catch(() => undefined);
      if (found?.status !== 200) throw error;
    }
    this.#namespaceReady = true;
  }

  #namespacePath(): string {
    return encodeURIComponent(this.namespace.join("\x1f"));
  }

  async #tableUrl(store: TableLocation): Promise<string> {
    return await this.#client.url(
      `namespaces/${this.#namespacePath()}/tables/${encodeURIComponent(catalogTableName(store.name))}`,
    );
  }

  /** Retries while the catalog does not answer, or answers 429 or 5xx. */
  async #retried(send: () => Promise<{ status: number; body: Record<string, unknown> }>, url: string, method = "GET") {
    return await retry(async () => {
      const answer = await send();
      if (answer.status === 429 || answer.status >= 500) throw this.#client.refused(method, url, answer);
      return answer;
    }, {
      maxRetries: LOAD_RETRIES,
      baseDelayMs: 200,
      maxDelayMs: 5000,
      isRetriable: (error) => error instanceof RestCatalogError && error.transient,
      onRetry: (error, attempt, delayMs) =>
        this.#log.warn({ attempt, delay_ms: delayMs, error: (error as Error).message }, "Iceberg REST catalog retry"),
    });
  }
}
