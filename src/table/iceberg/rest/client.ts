/**
 * HTTP to an Iceberg REST catalog (the Apache Iceberg REST OpenAPI): the catalog's `/v1/config` (its path `prefix`
 * for the warehouse), a bearer token (given, or fetched with OAuth2 client credentials from `/v1/oauth/tokens` and
 * refreshed before it expires or when refused with 401), JSON bodies, and errors that name the request, the
 * catalog's error type and its message. Plain `fetch`; retries are the caller's (a commit must not be blindly
 * repeated).
 * @module
 */
import type { Logger } from "../../../core/logger.ts";

/** Options of {@linkcode RestClient}. */
export interface RestClientOptions {
  /** Base URL of the catalog; REST paths start at `<uri>/v1/`. */
  readonly uri: string;
  /** Warehouse to ask `/v1/config` for (the catalog may answer with a path prefix for it). */
  readonly warehouse?: string;
  /** A bearer token. */
  readonly token?: string;
  /** OAuth2 client credentials, `client_id:client_secret` (or the secret alone). */
  readonly credential?: string;
  /** OAuth2 scope asked for with `credential`. Default `catalog`. */
  readonly scope?: string;
  /** Per-request timeout in ms. Default 30000. */
  readonly timeoutMs?: number;
  readonly log: Logger;
  /** Replaceable in tests. */
  readonly fetch?: typeof fetch;
}

/** A request the catalog refused or could not answer. */
export class RestCatalogError extends Error {
  /** HTTP status; 0 when no answer came (connection refused, timeout). */
  readonly status: number;
  /** The catalog's error type (`CommitFailedException`, `NoSuchTableException`), when it sent one. */
  readonly type?: string;

  constructor(message: string, status: number, type?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RestCatalogError";
    this.status = status;
    this.type = type;
  }

  /** True when trying again later may succeed: no answer, 429 or a 5xx. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** A JSON answer. */
export interface RestAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** See the module doc. */
export class RestClient {
  readonly uri: string;
  readonly #options: RestClientOptions;
  readonly #fetch: typeof fetch;
  #prefix: Promise<string> | undefined;
  #token: { value: string; refreshAt: number } | undefined;

  constructor(options: RestClientOptions) {
    this.uri = options.uri.replace(/\/+$/, "");
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** `v1/<prefix>/<path>` as a URL, the prefix from the catalog's config. */
  async url(path: string): Promise<string> {
    const prefix = await (this.#prefix ??= this.#loadPrefix().catch((error) => {
      this.#prefix = undefined;
      throw error;
    }));
    return `${this.uri}/v1/${prefix ? `${prefix}/` : ""}${path}`;
  }

  /**
   * Sends a request; resolves with any answer the catalog gave as JSON (the caller tells statuses apart), and throws
   * a {@linkcode RestCatalogError} with status 0 when none came.
   */
  async send(method: string, url: string, body?: unknown): Promise<RestAnswer> {
    for (let attempt = 0;; attempt++) {
      const headers: Record<string, string> = { "Accept": "application/json" };
      const token = await this.#bearer(attempt > 0);
      if (token) headers["Authorization"] = `Bearer ${token}`;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new RestCatalogError(
          `Cannot reach the Iceberg REST catalog (${method} ${url}): ${(error as Error).message}`,
          0,
          undefined,
          { cause: error },
        );
      }
      const text = await response.text();
      // A token the catalog no longer takes: fetch a new one once.
      if (response.status === 401 && attempt === 0 && this.#options.credential) continue;
      let parsed: Record<string, unknown> = {};
      if (text.trim() !== "") {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { text };
        }
      }
      return { status: response.status, body: parsed };
    }
  }

  /** The error for an answer the caller did not expect. */
  refused(method: string, url: string, answer: RestAnswer): RestCatalogError {
    const error = (answer.body.error ?? {}) as { message?: string; type?: string };
    const detail = error.message ?? (typeof answer.body.text === "string" ? answer.body.text.slice(0, 300) : "");
    const hint = answer.status === 401 || answer.status === 403
      ? " (check sink.catalog_token or sink.catalog_credential)"
      : "";
    return new RestCatalogError(
      `The Iceberg REST catalog refused ${method} ${url}: ${answer.status}${error.type ? ` ${error.type}` : ""}` +
        `${detail ? `: ${detail}` : ""}${hint}`,
      answer.status,
      error.type,
    );
  }

  async #loadPrefix(): Promise<string> {
    const query = this.#options.warehouse ? `?warehouse=${encodeURIComponent(this.#options.warehouse)}` : "";
    const url = `${this.uri}/v1/config${query}`;
    const answer = await this.send("GET", url);
    if (answer.status !== 200) throw this.refused("GET", url, answer);
    const pick = (key: string) =>
      ((answer.body.overrides ?? {}) as Record<string, string>)[key] ??
        ((answer.body.defaults ?? {}) as Record<string, string>)[key];
    return (pick("prefix") ?? "").replace(/^\/+|\/+$/g, "");
  }

  async #bearer(renew: boolean): Promise<string | undefined> {
    const { token, credential } = this.#options;
    if (!credential) return token;
    if (!renew && this.#token && Date.now() < this.#token.refreshAt) return this.#token.value;
    const colon = credential.indexOf(":");
    const form = new URLSearchParams({ grant_type: "client_credentials", scope: this.#options.scope ?? "catalog" });
    if (colon >= 0) form.set("client_id", credential.slice(0, colon));
    form.set("client_secret", colon >= 0 ? credential.slice(colon + 1) : credential);
    const url = `${this.uri}/v1/oauth/tokens`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
        body: form,
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new RestCatalogError(`Cannot reach the Iceberg REST catalog (POST ${url}): ${(error as Error).message}`, 0);
    }
    const body = await response.json().catch(() => ({})) as { access_token?: string; expires_in?: number };
    if (!response.ok || typeof body.access_token !== "string") {
      throw new RestCatalogError(
        `The Iceberg REST catalog refused the client credentials (POST ${url}): ${response.status}` +
          " (check sink.catalog_credential)",
        response.status,
      );
    }
    // Renew at 90% of the lifetime; a token without one is kept until refused.
    const lifetime = typeof body.expires_in === "number" ? body.expires_in * 900 : Number.POSITIVE_INFINITY;
    this.#token = { value: body.access_token, refreshAt: Date.now() + lifetime };
    this.#options.log.debug({ expires_in: body.expires_in }, "Fetched a token from the Iceberg REST catalog");
    return this.#token.value;
  }
}
