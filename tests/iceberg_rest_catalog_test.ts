import assert, { equal } from "node:assert/strict";
import { LocalSink } from "../../../sinks/local.ts";
import { outputPaths } from "../../../pipeline/layout.ts";
import { Logger } from "../../../telemetry/log.ts";
import { newTableMetadata } from "../metadata.ts";
import { TableStore } from "../table_store.ts";
import { RestCatalogError, RestClient } from "./client.ts";
import { MAX_UNKNOWN_IN_A_ROW, RestCatalog } from "./catalog.ts";

const SCHEMA = {
  type: "struct" as const,
  "schema-id": 0,
  fields: [{ id: 1, name: "id", required: false, type: "long" }],
};

/** A catalog whose table commits answer `answer()`; every request is recorded as `METHOD path`. */
function catalogAnswering(answer: () => Response) {
  const requests: string[] = [];
  const fetcher = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? "GET";
    requests.push(`${method} ${url.pathname}`);
    if (url.pathname === "/v1/config") return Promise.resolve(Response.json({ defaults: {}, overrides: {} }));
    if (url.pathname === "/v1/namespaces") return Promise.resolve(Response.json({ namespace: ["default"] }));
    return Promise.resolve(answer());
  };
  const log = new Logger("test.rest");
  const client = new RestClient({ uri: "http://catalog.invalid", log, fetch: fetcher as typeof fetch });
  return { catalog: new RestCatalog(client, "default", log, { pauseMs: 1 }), requests };
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
    const store = new TableStore(new LocalSink(dir, { paths: outputPaths }), "events", { catalog, name: "events" });
    const next = newTableMetadata(store.location, SCHEMA, { "spec-id": 0, fields: [] }, 1);
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
    const store = new TableStore(new LocalSink(dir, { paths: outputPaths }), "events", { catalog, name: "events" });
    const next = newTableMetadata(store.location, SCHEMA, { "spec-id": 0, fields: [] }, 1);
    for (let i = 0; i < MAX_UNKNOWN_IN_A_ROW * 2; i++) equal(await store.commit(null, next), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
