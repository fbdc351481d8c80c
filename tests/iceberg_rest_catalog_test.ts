import assert, { equal } from "node:assert/strict";
import { LocalSink } from "../src/sinks/local.ts";
import { outputPaths } from "../src/pipeline/layout.ts";
import { Logger } from "../src/telemetry/log.ts";
import { newTableMetadata } from "../src/table/iceberg/metadata.ts";
import { TableStore } from "../src/table/iceberg/table_store.ts";
import { RestCatalogError, RestClient } from "../src/table/iceberg/rest/client.ts";
import { MAX_UNKNOWN_IN_A_ROW, RestCatalog } from "../src/table/iceberg/rest/catalog.ts";

const SCHEMA = {
  type: "struct" as const,
  "schema-id": 0,
  fields: [{ id: 1, name: "id", required: false, type: "long" }],
};

/**
 * A catalog whose table commits answer `answer()` and whose namespace creation answers `namespaceAnswer()`; every
 * request is recorded as `METHOD path`; `GET /v1/namespaces/default` finds the namespace when `namespaceExists`.
 */
function catalogAnswering(
  answer: () => Response,
  { namespaceAnswer = () => Response.json({ namespace: ["default"] }), namespaceExists = true } = {},
) {
  const requests: string[] = [];
  const fetcher = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? "GET";
    requests.push(`${method} ${url.pathname}`);
    if (url.pathname === "/v1/config") return Promise.resolve(Response.json({ defaults: {}, overrides: {} }));
    if (url.pathname === "/v1/namespaces") return Promise.resolve(namespaceAnswer());
    if (url.pathname === "/v1/namespaces/default") {
      return Promise.resolve(
        namespaceExists ? Response.json({ namespace: ["default"] }) : new Response(null, { status: 404 }),
      );
    }
    return Promise.resolve(answer());
  };
  const log = new Logger("test.rest");
  const client = new RestClient({ uri: "http://catalog.invalid", log, fetch: fetcher as typeof fetch });
  return { catalog: new RestCatalog(client, "default", log, { pauseMs: 1 }), requests };
}

/** A table `events` on a local sink in `dir`, committed through `catalog`, and its first metadata. */
function tableIn(dir: string, catalog: RestCatalog) {
  const store = new TableStore(new LocalSink(dir, { paths: outputPaths }), "events", { catalog, name: "events" });
  return { store, next: newTableMetadata(store.location, SCHEMA, { "spec-id": 0, fields: [] }, 1) };
}

Deno.test("a REST commit answered 500 again and again resolves unknown, then throws the catalog's own error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { catalog, requests } = catalogAnswering(() =>
      Response.json(
        { error: { code: 500, type: "ServiceFailureException", message: "Could not initialize class S3FileIO" } },
        { status: 500 },
      )
    );
    const { store, next } = tableIn(dir, catalog);
    for (let i = 1; i < MAX_UNKNOWN_IN_A_ROW; i++) equal(await store.commit(null, next), null);
    const error = await store.commit(null, next).then(() => undefined, (e: unknown) => e);
    assert(error instanceof RestCatalogError, String(error));
    equal(error.status, 500);
    assert(error.message.includes("default.events"), error.message);
    assert(error.message.includes("ServiceFailureException: Could not initialize class S3FileIO"), error.message);
    equal(requests.filter((r) => r === "POST /v1/namespaces/default/tables/events").length, MAX_UNKNOWN_IN_A_ROW);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a REST commit answered 409 resolves null without counting toward the unknown-outcome limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { catalog } = catalogAnswering(() =>
      Response.json({ error: { code: 409, type: "CommitFailedException", message: "stale" } }, { status: 409 })
    );
    const { store, next } = tableIn(dir, catalog);
    for (let i = 0; i < MAX_UNKNOWN_IN_A_ROW * 2; i++) equal(await store.commit(null, next), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const FORBIDDEN = () =>
  Response.json({ error: { code: 403, type: "ForbiddenException", message: "no CREATE on catalog" } }, { status: 403 });

Deno.test("a writer refused namespace creation goes on when the namespace exists (another made it, or an admin did)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const table: { metadata?: unknown } = {};
    const created = () =>
      Response.json({ "metadata-location": `file://${dir}/metadata/00000.metadata.json`, metadata: table.metadata });
    const { catalog, requests } = catalogAnswering(created, { namespaceAnswer: FORBIDDEN });
    const { store, next } = tableIn(dir, catalog);
    table.metadata = next;
    const version = await store.commit(null, next);
    assert(version !== null, "the table is created");
    assert(requests.includes("GET /v1/namespaces/default"), requests.join("\n"));
    assert(requests.includes("POST /v1/namespaces/default/tables/events"), requests.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a writer refused namespace creation stops with the catalog's refusal when the namespace is not there", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { catalog, requests } = catalogAnswering(() => Response.json({}), {
      namespaceAnswer: FORBIDDEN,
      namespaceExists: false,
    });
    const { store, next } = tableIn(dir, catalog);
    const error = await store.commit(null, next).then(() => undefined, (e: unknown) => e);
    assert(error instanceof Error, String(error));
    assert(error.message.includes("no CREATE on catalog"), error.message);
    assert(!requests.includes("POST /v1/namespaces/default/tables/events"), requests.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
