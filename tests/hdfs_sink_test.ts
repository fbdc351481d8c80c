/**
 * Integration tests of the HDFS sink against the service kit's real HDFS (WebHDFS on loopback): round trip through
 * OPEN, rename atomicity under a concurrent LISTSTATUS poller, temporary files and probes of crashed runs and of live
 * ones, NameNode failover past a dead URL, HDFS stopped mid-run (between CREATE and RENAME too), and permission
 * errors. What is left on HDFS is listed with plain LISTSTATUS requests ({@linkcode listRaw}), not the sink's client.
 */
import assert, { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { outputPaths } from "../src/pipeline/layout.ts";
import { configSchema as hdfsSinkSchema } from "../src/sinks/hdfs/config.ts";
import { SELF, tempPathBeside } from "../src/sinks/_common/temp_files.ts";
import { createHdfsSink, HdfsSink } from "../src/sinks/hdfs/sink.ts";
import { WebHdfsClient } from "../src/sinks/hdfs/webhdfs_client.ts";
import { WebHdfsError } from "../src/sinks/hdfs/webhdfs_errors.ts";
import { endpoints, startService, stopService } from "./services/endpoints.ts";

const ep = () => endpoints().hdfs;

/** A fresh folder under the test user's home for one test. */
function freshBase(label: string): string {
  return `${ep().home}/it-${label}-${crypto.randomUUID().slice(0, 8)}`;
}

function sinkAt(basePath: string, extra: Record<string, unknown> = {}): HdfsSink {
  return createHdfsSink(
    hdfsSinkSchema.parse({ type: "hdfs", url: ep().url, user: ep().user, base_path: basePath, ...extra }),
    { paths: outputPaths },
  );
}

function clientAs(user: string): WebHdfsClient {
  return new WebHdfsClient({ urls: [ep().url], user, maxRetries: 2 });
}

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** The NameNode's superuser: the account that runs the kit. */
async function superuser(): Promise<string> {
  const { stdout } = await new Deno.Command("id", { args: ["-un"] }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** A loopback port nothing listens on. */
function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Every file below `folder` (absolute paths, hidden ones included) from plain LISTSTATUS requests. */
async function listRaw(folder: string): Promise<string[]> {
  const encoded = folder.split("/").map(encodeURIComponent).join("/");
  const url = `${ep().url}/webhdfs/v1${encoded}?op=LISTSTATUS&user.name=${encodeURIComponent(ep().user)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (response.status === 404) {
    await response.body?.cancel();
    return [];
  }
  assert.ok(response.ok, `LISTSTATUS ${folder}: ${response.status}`);
  const out: string[] = [];
  for (const entry of (await response.json()).FileStatuses.FileStatus as { pathSuffix: string; type: string }[]) {
    const full = `${folder}/${entry.pathSuffix}`;
    out.push(...(entry.type === "DIRECTORY" ? await listRaw(full) : [full]));
  }
  return out.sort();
}

/** Files below `folder` whose name marks them temporary. */
async function tempsUnder(folder: string): Promise<string[]> {
  return (await listRaw(folder)).filter((path) => path.endsWith(".fsds-tmp"));
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

async function cleanup(path: string): Promise<void> {
  await clientAs(ep().user).delete(path, { recursive: true }).catch(() => {});
}

Deno.test("hdfs sink round trip: write, read back via OPEN, list, overwrite, delete", async () => {
  await startService("hdfs");
  const base = freshBase("roundtrip");
  const sink = sinkAt(base);
  try {
    await sink.connect();
    const files: Record<string, Uint8Array> = {
      "orders/date=2024-01-01/orders+00000000000000000000.parquet": bytes(1000, 1),
      "orders/date=2024-01-02/orders+00000000000000000042.parquet": bytes(3 * 1024 * 1024 + 17, 2),
      "_fsds/journal/orders+0.json": new TextEncoder().encode('{"first":"0","last":"9"}'),
      "empty/zero.parquet": new Uint8Array(),
      "odd names/a b%c.parquet": bytes(10, 3),
    };
    for (const [path, data] of Object.entries(files)) await sink.write(path, data);
    for (const [path, data] of Object.entries(files)) assertEquals(await sink.read(path), data, path);

    const listed = await sink.list("");
    assertEquals(
      listed,
      Object.entries(files).map(([path, data]) => ({ path, size: data.length })).sort((a, b) =>
        a.path < b.path ? -1 : 1
      ),
    );
    assertEquals((await sink.list("orders/")).map((e) => e.path), [
      "orders/date=2024-01-01/orders+00000000000000000000.parquet",
      "orders/date=2024-01-02/orders+00000000000000000042.parquet",
    ]);
    assertEquals(await sink.list("missing/folder/"), []);
    assertEquals(await sink.read("missing.parquet"), null);

    // A repeated write replaces the file (HDFS RENAME alone would refuse an existing target).
    const replacement = bytes(777, 9);
    await sink.write("orders/date=2024-01-01/orders+00000000000000000000.parquet", replacement);
    assertEquals(await sink.read("orders/date=2024-01-01/orders+00000000000000000000.parquet"), replacement);

    await sink.delete("empty/zero.parquet");
    await sink.delete("empty/zero.parquet");
    assertEquals(await sink.read("empty/zero.parquet"), null);
    assertEquals((await sink.list("")).length, Object.keys(files).length - 1);
    // No temporary file is left in any folder.
    const raw = await clientAs(ep().user).listStatus(`${base}/orders/date=2024-01-01`);
    assertEquals(raw?.map((s) => s.pathSuffix), ["orders+00000000000000000000.parquet"]);
  } finally {
    await sink.close();
    await cleanup(base);
  }
});

Deno.test("hdfs sink rename atomicity: a concurrent lister never sees a partial final file", async () => {
  await startService("hdfs");
  const base = freshBase("atomic");
  const sink = sinkAt(base);
  const folder = `${base}/events/date=2024-05-01`;
  const lister = clientAs(ep().user);
  const expected = new Map<string, Set<number>>();
  const violations: string[] = [];
  let polls = 0;
  let tempsSeen = 0;
  let finalsSeen = 0;
  let writing = true;
  try {
    await sink.connect();
    const poller = (async () => {
      while (writing) {
        const entries = await lister.listStatus(folder) ?? [];
        polls++;
        for (const entry of entries) {
          const isFinal = entry.pathSuffix.endsWith(".parquet") && !/^[._]/.test(entry.pathSuffix);
          if (!isFinal) {
            tempsSeen++;
            if (entry.pathSuffix.endsWith(".parquet")) violations.push(`temp counted as final: ${entry.pathSuffix}`);
            continue;
          }
          finalsSeen++;
          const sizes = expected.get(entry.pathSuffix);
          if (!sizes || !sizes.has(entry.length)) {
            violations.push(`${entry.pathSuffix} seen with ${entry.length} bytes, written: ${[...(sizes ?? [])]}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    // 24 writes over 8 names: every name is overwritten twice with a different size.
    for (let i = 0; i < 24; i++) {
      const name = `events+${String(i % 8).padStart(6, "0")}.parquet`;
      const size = 200_000 + i * 37_003;
      const sizes = expected.get(name) ?? new Set<number>();
      sizes.add(size);
      expected.set(name, sizes);
      await sink.write(`events/date=2024-05-01/${name}`, bytes(size, i));
    }
    writing = false;
    await poller;
    assertEquals(violations, []);
    assert.ok(polls > 0 && finalsSeen > 0, `poller ran ${polls} times and saw ${finalsSeen} final files`);
    console.log(`atomicity: ${polls} listings, ${finalsSeen} final entries, ${tempsSeen} temporary entries seen`);
    const final = await sink.list("events/");
    assertEquals(final.length, 8);
    for (const entry of final) {
      const name = entry.path.split("/").pop() as string;
      const index = Number(name.slice(7, 13)) + 16;
      assertEquals(entry.size, 200_000 + index * 37_003, name);
    }
  } finally {
    writing = false;
    await cleanup(base);
  }
});

Deno.test("hdfs sink applies permission, replication and block size to written files", async () => {
  await startService("hdfs");
  const base = freshBase("options");
  const sink = sinkAt(base, { permission: "640", replication: 1, block_size: 1024 * 1024 });
  try {
    await sink.connect();
    const data = bytes(2 * 1024 * 1024 + 5, 4);
    await sink.write("o/big.parquet", data);
    const status = await clientAs(ep().user).getFileStatus(`${base}/o/big.parquet`);
    assertEquals(
      [status?.permission, status?.replication, status?.blockSize, status?.length],
      ["640", 1, 1024 * 1024, data.length],
    );
    assertEquals(await sink.read("o/big.parquet"), data);
  } finally {
    await cleanup(base);
  }
});

Deno.test("webhdfs client RENAME with overwrite replaces an existing file in one call", async () => {
  await startService("hdfs");
  const base = freshBase("rename");
  const client = clientAs(ep().user);
  try {
    await client.create(`${base}/a`, bytes(10, 1));
    await client.create(`${base}/b`, bytes(20, 2));
    assertEquals(await client.rename(`${base}/a`, `${base}/b`), false, "plain RENAME refuses an existing target");
    assertEquals(await client.rename(`${base}/a`, `${base}/b`, { overwrite: true }), true);
    assertEquals(await client.open(`${base}/b`), bytes(10, 1));
    assertEquals(await client.getFileStatus(`${base}/a`), null);
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink connect() removes only its own stale temporary files", async () => {
  await startService("hdfs");
  const base = freshBase("stale");
  const client = clientAs(ep().user);
  const twoHoursAgo = Date.now() - 2 * 60 * 60 * 1000;
  const staleOurs = `${base}/t/date=2024-01-01/.t+0001.parquet.0a1b2c3d4e5f.fsds-tmp`;
  const freshOurs = `${base}/t/date=2024-01-01/.t+0002.parquet.a1b2c3d4e5f6.fsds-tmp`;
  const foreign = `${base}/t/.spark-staging.tmp`;
  const data = `${base}/t/date=2024-01-01/t+0000.parquet`;
  try {
    for (const path of [staleOurs, freshOurs, foreign, data]) await client.create(path, bytes(5, 1));
    await client.setTimes(staleOurs, twoHoursAgo);
    await client.setTimes(foreign, twoHoursAgo);
    await client.setTimes(data, twoHoursAgo);
    await sinkAt(base).connect();
    assertEquals(await client.getFileStatus(staleOurs), null);
    assert.ok(await client.getFileStatus(freshOurs), "a recent temporary file may belong to a live writer");
    assert.ok(await client.getFileStatus(foreign), "files not named by us are never touched");
    assert.ok(await client.getFileStatus(data));
    assertEquals((await sinkAt(base).list("")).map((e) => e.path), [
      "t/.spark-staging.tmp",
      "t/date=2024-01-01/t+0000.parquet",
    ]);
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink connect() removes a crashed run's temporaries at any age, never a live instance's", async () => {
  await startService("hdfs");
  const base = freshBase("owners");
  const client = clientAs(ep().user);
  const live = new Deno.Command("sleep", { args: ["60"] }).spawn();
  const twoHoursAgo = Date.now() - 2 * 60 * 60 * 1000;
  const otherHost = SELF.host === "00000000" ? "11111111" : "00000000";
  const folder = `${base}/_fsds/journal`;
  const crashed = tempPathBeside(`${folder}/s.json`, {
    host: SELF.host,
    pid: await deadPid(),
    start: Date.now() - 1000,
  });
  const running = tempPathBeside(`${folder}/t.json`, { host: SELF.host, pid: live.pid, start: Date.now() - 1000 });
  const remoteFresh = tempPathBeside(`${folder}/u.json`, { host: otherHost, pid: live.pid + 1, start: 1 });
  const remoteOld = tempPathBeside(`${folder}/v.json`, { host: otherHost, pid: live.pid + 1, start: 1 });
  const oldProbe = `${base}/_fsds/probe/${crypto.randomUUID()}`;
  const freshProbe = `${base}/_fsds/probe/${crypto.randomUUID()}`;
  try {
    for (const path of [crashed, running, remoteFresh, remoteOld]) await client.create(path, bytes(5, 1));
    for (const path of [oldProbe, freshProbe]) await client.create(path, new Uint8Array());
    await client.setTimes(remoteOld, twoHoursAgo);
    await client.setTimes(oldProbe, Date.now() - 10 * 60 * 1000);
    const sink = sinkAt(base);
    await sink.connect();
    await sink.close();
    assertEquals(await listRaw(base), [running, remoteFresh, freshProbe].sort());
  } finally {
    live.kill();
    await live.status;
    await cleanup(base);
  }
});

Deno.test("hdfs sink write that loses HDFS between CREATE and RENAME leaves no temporary file", async () => {
  await startService("hdfs");
  const base = freshBase("midwrite");
  let stopBeforeRename = false;
  let down = false;
  const staged: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (stopBeforeRename && url.includes("op=RENAME")) {
      stopBeforeRename = false;
      await stopService("hdfs");
    }
    if (down && /op=(RENAME|DELETE)/.test(url)) throw new TypeError("staged outage: connection refused");
    return await fetch(input, init);
  };
  const client = new WebHdfsClient({
    urls: [ep().url],
    user: ep().user,
    maxRetries: 1,
    timeoutMs: 5000,
    fetch: staged,
  });
  const sink = new HdfsSink(client, base, { paths: outputPaths, graceMs: 60_000 });
  try {
    await sink.connect();
    stopBeforeRename = true;
    try {
      await rejects(() => sink.write("s/a.parquet", bytes(4096, 1)), (e: unknown) => {
        assert.ok(e instanceof WebHdfsError && e.kind === "unreachable", String(e));
        return true;
      });
    } finally {
      await startService("hdfs");
    }
    assertEquals((await tempsUnder(base)).length, 1, "CREATE went through before HDFS stopped");
    assertEquals(sink.pendingTempFiles, 1);
    await sink.write("s/a.parquet", bytes(4096, 1)); // the pipeline's retry
    assertEquals(await tempsUnder(base), [], "a write that succeeds deletes the temporaries of failed ones");
    assertEquals(await listRaw(base), [`${base}/s/a.parquet`]);

    // Rename and delete fail alike (a staged outage): close() deletes what is left once HDFS answers.
    down = true;
    await rejects(() => sink.write("_fsds/journal/s.json", bytes(10, 2)));
    assertEquals((await tempsUnder(base)).length, 1);
    down = false;
    await sink.close();
    assertEquals(sink.pendingTempFiles, 0);
    assertEquals(await tempsUnder(base), [], "close() deletes the temporaries it knows of");
  } finally {
    await startService("hdfs");
    await cleanup(base);
  }
});

Deno.test("hdfs sink works past a dead first NameNode URL and remembers the live one", async () => {
  await startService("hdfs");
  const base = freshBase("failover");
  const dead = `http://127.0.0.1:${deadPort()}`;
  const sink = sinkAt(base, { url: `${dead},${ep().url}`, max_retries: 1 });
  try {
    await sink.connect();
    const data = bytes(4096, 5);
    await sink.write("x/part+1.parquet", data);
    assertEquals(await sink.read("x/part+1.parquet"), data);
    assertEquals(sink.describe("x/part+1.parquet"), `webhdfs://${new URL(ep().url).host}${base}/x/part+1.parquet`);
    assertEquals((await sink.list("x")).map((e) => e.size), [4096]);
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink write rejects clearly while HDFS is stopped and succeeds after it returns", async () => {
  await startService("hdfs");
  const base = freshBase("outage");
  const sink = sinkAt(base, { max_retries: 2, timeout_ms: 5000 });
  const before = bytes(2048, 7);
  const after = bytes(4096, 8);
  try {
    await sink.connect();
    await sink.write("s/before.parquet", before);
    await stopService("hdfs");
    try {
      await rejects(() => sink.write("s/during.parquet", bytes(100, 1)), (e: unknown) => {
        assert.ok(e instanceof WebHdfsError, String(e));
        assertEquals(e.kind, "unreachable");
        assert.match(e.message, /^Cannot write ".*\/s\/during\.parquet": .* http:\/\/127\.0\.0\.1:\d+ is unreachable/);
        return true;
      });
    } finally {
      await startService("hdfs");
    }
    await sink.write("s/after.parquet", after);
    assertEquals(await sink.read("s/before.parquet"), before);
    assertEquals(await sink.read("s/after.parquet"), after);
    assertEquals((await sink.list("s/")).map((e) => e.path), ["s/after.parquet", "s/before.parquet"]);
    const raw = await clientAs(ep().user).listStatus(`${base}/s`);
    assertEquals(raw?.map((e) => e.pathSuffix), ["after.parquet", "before.parquet"], "no temporary file is left");
  } finally {
    await cleanup(base);
  }
});

Deno.test("hdfs sink names user and path when permission is denied", async () => {
  await startService("hdfs");
  const root = clientAs(await superuser());
  const locked = `/tmp/locked-${crypto.randomUUID().slice(0, 8)}`;
  const base = freshBase("perm");
  try {
    await root.mkdirs(locked, { permission: "700" });
    const user = ep().user;
    await rejects(() => sinkAt(`${locked}/data`).connect(), (e: unknown) => {
      assert.ok(e instanceof WebHdfsError, String(e));
      assertEquals(e.kind, "permission");
      assert.ok(e.message.includes(`permission denied: user ${user} cannot write ${locked}/data`), e.message);
      return true;
    });

    // A writable base with one folder inside taken over by the superuser.
    const sink = sinkAt(base);
    await sink.connect();
    await root.mkdirs(`${base}/secret`, { permission: "700" });
    await rejects(() => sink.write("secret/a.parquet", bytes(10, 1)), (e: unknown) => {
      assert.ok(e instanceof WebHdfsError, String(e));
      assert.ok(e.message.startsWith(`Cannot write "${base}/secret/a.parquet": `), e.message);
      assert.ok(e.message.includes(`permission denied: user ${user} cannot write ${base}/secret/`), e.message);
      return true;
    });
    assertEquals(await sink.read("secret/a.parquet").catch((e) => e.kind), "permission");
  } finally {
    await root.delete(locked, { recursive: true }).catch(() => {});
    await root.delete(base, { recursive: true }).catch(() => {});
  }
});
