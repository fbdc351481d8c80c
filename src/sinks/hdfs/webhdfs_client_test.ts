/**
 * Unit tests of the client's pure logic (URL building, failover order, retries, redaction) with a small fetch
 * double. The behaviour against a real NameNode is covered by `tests/hdfs_sink_test.ts`.
 */
import assert, { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { chunkedStream, encodePath, normalizeNameNodeUrl, WebHdfsClient } from "./webhdfs_client.ts";
import { WebHdfsError } from "./webhdfs_errors.ts";

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>;

/** A fetch double that records every URL and answers with `handler`; a thrown error acts as a network failure. */
function fakeFetch(handler: Handler): { fetch: typeof fetch; calls: URL[] } {
  const calls: URL[] = [];
  const fn = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push(url);
    try {
      return Promise.resolve(handler(url, init ?? {}));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return { fetch: fn as typeof fetch, calls };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const standby = () =>
  json({
    RemoteException: {
      exception: "StandbyException",
      javaClassName: "org.apache.hadoop.ipc.StandbyException",
      message: "Operation category READ is not supported in state standby",
    },
  }, 403);

Deno.test("normalizeNameNodeUrl() accepts http(s) and webhdfs schemes and drops /webhdfs/v1", () => {
  assertEquals(normalizeNameNodeUrl("http://nn:9870/"), "http://nn:9870");
  assertEquals(normalizeNameNodeUrl(" webhdfs://nn:9870/webhdfs/v1 "), "http://nn:9870");
  assertEquals(normalizeNameNodeUrl("swebhdfs://nn:9871"), "https://nn:9871");
  assert.throws(() => normalizeNameNodeUrl("hdfs://nn:8020"), TypeError);
  assert.throws(() => normalizeNameNodeUrl("nn:9870"), TypeError);
});

Deno.test("encodePath() escapes each segment so + and % survive", () => {
  assertEquals(
    encodePath("/data/date=2024-01-01/orders+0001.parquet"),
    "/data/date%3D2024-01-01/orders%2B0001.parquet",
  );
  assertEquals(encodePath("/a b/100%"), "/a%20b/100%25");
  assert.throws(() => encodePath("relative/path"), TypeError);
});

Deno.test("chunkedStream() yields views of the buffer that add up to it", async () => {
  const data = new Uint8Array(10).map((_, i) => i);
  const chunks: Uint8Array[] = [];
  for await (const chunk of chunkedStream(data, 4)) chunks.push(chunk);
  assertEquals(chunks.map((c) => c.length), [4, 4, 2]);
  assert.ok(chunks.every((c) => c.buffer === data.buffer), "chunks share the caller's buffer");
  assertEquals(Array.from(chunks.flatMap((c) => Array.from(c))), Array.from(data));
});

Deno.test("WebHdfsClient skips a standby NameNode and remembers the active one", async () => {
  const { fetch, calls } = fakeFetch((url) => {
    if (url.host === "nn1:9870") return standby();
    return json({ FileStatus: { pathSuffix: "", type: "DIRECTORY", length: 0, modificationTime: 1 } });
  });
  const client = new WebHdfsClient({ urls: ["http://nn1:9870", "http://nn2:9870"], user: "fsds", fetch });
  const status = await client.getFileStatus("/data");
  assertEquals(status?.type, "DIRECTORY");
  assertEquals(client.activeUrl, "http://nn2:9870");
  await client.getFileStatus("/data");
  assertEquals(calls.map((u) => u.host), ["nn1:9870", "nn2:9870", "nn2:9870"]);
  assertEquals(calls[1]?.searchParams.get("user.name"), "fsds");
  assertEquals(calls[1]?.searchParams.get("op"), "GETFILESTATUS");
});

Deno.test("WebHdfsClient tries the next NameNode when one refuses connections", async () => {
  const { fetch, calls } = fakeFetch((url) => {
    if (url.host === "dead:1") throw new TypeError("Connection refused");
    return json({ boolean: true });
  });
  const client = new WebHdfsClient({ urls: ["http://dead:1", "http://live:9870"], fetch });
  await client.mkdirs("/data");
  assertEquals(calls.map((u) => u.host), ["dead:1", "live:9870"]);
});

Deno.test("WebHdfsClient retries safe mode and 5xx answers, then succeeds", async () => {
  let n = 0;
  const { fetch } = fakeFetch(() => {
    n++;
    if (n === 1) {
      return json({
        RemoteException: { exception: "SafeModeException", message: "Name node is in safe mode." },
      }, 403);
    }
    if (n === 2) return new Response("busy", { status: 503 });
    return json({ boolean: true });
  });
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], fetch, baseDelayMs: 1, maxRetries: 3 });
  assertEquals(await client.delete("/x"), true);
  assertEquals(n, 3);
});

Deno.test("WebHdfsClient does not retry a permission error", async () => {
  let n = 0;
  const { fetch } = fakeFetch(() => {
    n++;
    return json({
      RemoteException: {
        exception: "AccessControlException",
        message: 'Permission denied: user=fsds, access=WRITE, inode="/x":root:supergroup:drwx------',
      },
    }, 403);
  });
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], user: "fsds", fetch, baseDelayMs: 1 });
  await rejects(
    () => client.mkdirs("/x/y"),
    (e: unknown) => e instanceof WebHdfsError && e.kind === "permission" && /user fsds cannot write/.test(e.message),
  );
  assertEquals(n, 1);
});

Deno.test("WebHdfsClient CREATE puts to the NameNode, then streams the body to the redirect target", async () => {
  const received: { host: string; method: string; body: number[] }[] = [];
  const { fetch, calls } = fakeFetch(async (url, init) => {
    const body = init.body ? Array.from(new Uint8Array(await new Response(init.body).arrayBuffer())) : [];
    received.push({ host: url.host, method: String(init.method), body });
    if (url.host === "nn:9870") {
      assertEquals(init.redirect, "manual");
      return new Response(null, { status: 307, headers: { location: "http://dn:9864/webhdfs/v1/f?op=CREATE" } });
    }
    return new Response(null, { status: 201 });
  });
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], user: "fsds", fetch, chunkSize: 2 });
  await client.create("/d/f", new Uint8Array([1, 2, 3, 4, 5]), { replication: 2, permission: "640" });
  assertEquals(received, [
    { host: "nn:9870", method: "PUT", body: [] },
    { host: "dn:9864", method: "PUT", body: [1, 2, 3, 4, 5] },
  ]);
  const params = calls[0]?.searchParams;
  assertEquals([params?.get("overwrite"), params?.get("replication"), params?.get("permission")], ["true", "2", "640"]);
});

Deno.test("WebHdfsClient CREATE accepts a noredirect JSON Location and retries both steps", async () => {
  let dataNodeCalls = 0;
  const { fetch, calls } = fakeFetch((url) => {
    if (url.host === "nn:9870") return json({ Location: "http://dn:9864/webhdfs/v1/f?op=CREATE" });
    dataNodeCalls++;
    if (dataNodeCalls === 1) throw new TypeError("connection reset");
    return new Response(null, { status: 201 });
  });
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], fetch, baseDelayMs: 1 });
  await client.create("/f", new Uint8Array([9]));
  assertEquals(calls.map((u) => u.host), ["nn:9870", "dn:9864", "nn:9870", "dn:9864"]);
});

Deno.test("WebHdfsClient sends the delegation token instead of user.name and never puts it in errors", async () => {
  const { fetch, calls } = fakeFetch((url) => {
    throw new TypeError(`error sending request for url (${url}): Connection refused`);
  });
  const client = new WebHdfsClient({
    urls: ["http://nn:9870"],
    user: "fsds",
    delegationToken: "SeCrEt-T0ken",
    fetch,
    maxRetries: 1,
    baseDelayMs: 1,
  });
  await rejects(() => client.mkdirs("/d"), (e: unknown) => {
    assert.ok(e instanceof WebHdfsError);
    assertEquals(e.kind, "unreachable");
    assert.ok(!e.message.includes("SeCrEt"), e.message);
    assert.ok(!String((e.cause as Error)?.message).includes("SeCrEt"));
    return true;
  });
  assertEquals(calls[0]?.searchParams.get("delegation"), "SeCrEt-T0ken");
  assertEquals(calls[0]?.searchParams.has("user.name"), false);
  assertEquals(calls.length, 2);
});

Deno.test("WebHdfsClient reports every NameNode when none is active", async () => {
  const { fetch } = fakeFetch(() => standby());
  const client = new WebHdfsClient({ urls: ["http://nn1:9870", "http://nn2:9870"], fetch, maxRetries: 0 });
  await rejects(
    () => client.getFileStatus("/x"),
    (e: unknown) =>
      e instanceof WebHdfsError && e.kind === "standby" &&
      e.message.includes("no active NameNode among http://nn1:9870, http://nn2:9870"),
  );
});

Deno.test("WebHdfsClient pages LISTSTATUS_BATCH and falls back to LISTSTATUS when it is unknown", async () => {
  const entry = (name: string) => ({ pathSuffix: name, type: "FILE", length: 3, modificationTime: 5 });
  const { fetch, calls } = fakeFetch((url) => {
    if (url.searchParams.get("op") === "LISTSTATUS_BATCH") {
      const after = url.searchParams.get("startAfter");
      const page = after ? [entry("c")] : [entry("a"), entry("b")];
      return json({
        DirectoryListing: { partialListing: { FileStatuses: { FileStatus: page } }, remainingEntries: after ? 0 : 1 },
      });
    }
    return json({ FileStatuses: { FileStatus: [entry("z")] } });
  });
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], fetch });
  assertEquals((await client.listStatus("/d"))?.map((s) => s.pathSuffix), ["a", "b", "c"]);
  assertEquals(calls[1]?.searchParams.get("startAfter"), "b");

  const old = fakeFetch((url) => {
    if (url.searchParams.get("op") === "LISTSTATUS_BATCH") {
      return json({
        RemoteException: { exception: "IllegalArgumentException", message: "Invalid value for webhdfs parameter" },
      }, 400);
    }
    return json({ FileStatuses: { FileStatus: [entry("z")] } });
  });
  const oldClient = new WebHdfsClient({ urls: ["http://nn:9870"], fetch: old.fetch });
  assertEquals((await oldClient.listStatus("/d"))?.map((s) => s.pathSuffix), ["z"]);
  assertEquals((await oldClient.listStatus("/d"))?.map((s) => s.pathSuffix), ["z"]);
  assertEquals(old.calls.map((u) => u.searchParams.get("op")), ["LISTSTATUS_BATCH", "LISTSTATUS", "LISTSTATUS"]);
});

Deno.test("WebHdfsClient maps a missing path to null for OPEN, GETFILESTATUS and LISTSTATUS", async () => {
  const { fetch } = fakeFetch(() =>
    json({ RemoteException: { exception: "FileNotFoundException", message: "File does not exist: /nope" } }, 404)
  );
  const client = new WebHdfsClient({ urls: ["http://nn:9870"], fetch });
  assertEquals(await client.open("/nope"), null);
  assertEquals(await client.getFileStatus("/nope"), null);
  assertEquals(await client.listStatus("/nope"), null);
});
