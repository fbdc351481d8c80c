/**
 * `fs-data-sink check` and `fs-data-sink preview` against the service kit, through the real CLI. check: a good
 * Kafka -> S3 config passes and leaves nothing in the bucket; a wrong bucket, a wrong broker port and a wrong Redis
 * password are each named on their line with exit 2. preview: prints the schema and the paths, and leaves the
 * Kafka group's committed offsets (read through kafkajs's admin API), the Redis stream's pending entries and the
 * list's length (read with redis-cli) as they were, and nothing in the sink.
 * @module
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runCli } from "./helpers/cli.ts";
import { withKafkaTopic } from "./helpers/kafka_topic.ts";
import { kcatProduce, marketDataLines } from "./helpers/kcat.ts";
import { rawS3Client, s3KeysUnder } from "./helpers/raw_stores.ts";
import { redisCli } from "./helpers/redis_cli.ts";
import { committedOffsets } from "./kafka_helpers.ts";
import { s3Test } from "./s3_test_lock.ts";
import { endpoints, ensureRunning, kitS3Sink } from "./services/endpoints.ts";

await ensureRunning(["kafka", "redis", "s3"]);

/** A port on loopback where nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function unique(label: string): string {
  return `fsds-test-${label}-${crypto.randomUUID().slice(0, 8)}`;
}

function s3Sink(prefix: string): Record<string, unknown> {
  return kitS3Sink(prefix, { partition_by: ["date"] });
}

function kafkaToS3(topic: string, group: string, prefix: string): Record<string, unknown> {
  return {
    source: { type: "kafka", bootstrap_servers: endpoints().kafka.brokers, topics: [topic], group_id: group },
    sink: s3Sink(prefix),
  };
}

/** The line of `stdout` that matches `pattern`, failing with the whole output when none does. */
function lineMatching(stdout: string, pattern: RegExp): string {
  const line = stdout.split("\n").find((l) => pattern.test(l));
  assert(line !== undefined, `no line matches ${pattern}:\n${stdout}`);
  return line;
}

s3Test("check passes on a good Kafka -> S3 config and leaves nothing behind", async () => {
  await withKafkaTopic("fsds-test-check", 2, async ({ topic }) => {
    const group = unique("check-group");
    const prefix = unique("check");
    const result = await runCli(["check"], { config: kafkaToS3(topic, group, prefix) });
    assertEquals(result.code, 0, result.stdout + result.stderr);
    lineMatching(result.stdout, /^ok\s+source\s+kafka brokers: 127\.0\.0\.1:\d+ answers/);
    lineMatching(result.stdout, new RegExp(`^ok\\s+source\\s+kafka topics: "${topic}" \\(2 partitions\\)$`));
    lineMatching(result.stdout, new RegExp(`^ok\\s+source\\s+kafka group: "${group}": no committed offsets yet`));
    lineMatching(result.stdout, /^ok\s+sink\s+s3 bucket "[^"]+": exists at http:\/\/127\.0\.0\.1:\d+/);
    lineMatching(
      result.stdout,
      new RegExp(`^ok\\s+sink\\s+s3 write probe: wrote and deleted s3://[^/]+/${prefix}/_fsds/probe/`),
    );
    lineMatching(result.stdout, /^ok\s+sink\s+s3 credentials: access key id "[^"]+" \(from the config\)$/);
    assertEquals(result.stdout.trim().split("\n").at(-1), "check: 6 of 6 checks passed; exit 0");
    assertEquals(await s3KeysUnder(rawS3Client(), prefix), [], "the probe object is deleted");
    assertEquals(await committedOffsets(group, topic), { 0: -1, 1: -1 }, "nothing committed");
  });
});

s3Test("check names a wrong bucket and a wrong Kafka broker port on their lines, with exit 2", async () => {
  await withKafkaTopic("fsds-test-check", 1, async ({ topic }) => {
    const config = kafkaToS3(topic, unique("check-group"), unique("check"));
    const bucket = unique("no-bucket");
    const wrongBucket = await runCli(["check", "--set", `sink.bucket=${bucket}`], { config });
    assertEquals(wrongBucket.code, 2, wrongBucket.stdout + wrongBucket.stderr);
    lineMatching(
      wrongBucket.stdout,
      new RegExp(
        `^failed\\s+sink\\s+s3 bucket "${bucket}": the bucket does not exist at http://127\\.0\\.0\\.1:\\d+ ` +
          `\\(hint: create the bucket, or fix sink\\.bucket`,
      ),
    );
    lineMatching(wrongBucket.stdout, /^skipped\s+sink\s+s3 write probe: /);
    lineMatching(wrongBucket.stdout, /^ok\s+source\s+kafka brokers: /);
    lineMatching(wrongBucket.stdout, /^check: .*1 failed \(configuration\).*; exit 2$/);

    const port = closedPort();
    const started = Date.now();
    const wrongPort = await runCli(["check", "--set", `source.bootstrap_servers=127.0.0.1:${port}`], { config });
    assertEquals(wrongPort.code, 2, wrongPort.stdout + wrongPort.stderr);
    lineMatching(
      wrongPort.stdout,
      new RegExp(
        `^failed\\s+source\\s+kafka brokers: Cannot connect to Kafka at "127\\.0\\.0\\.1:${port}": .*ECONNREFUSED.*` +
          `\\(hint: check source\\.bootstrap_servers`,
      ),
    );
    lineMatching(wrongPort.stdout, /^skipped\s+source\s+kafka topics: needs kafka brokers$/);
    lineMatching(wrongPort.stdout, /^ok\s+sink\s+s3 write probe: /);
    assert(Date.now() - started < 20_000, `a refused address is reported within seconds (${Date.now() - started} ms)`);
  });
});

Deno.test("check names a wrong Redis password with exit 2, and passes with the right one", async () => {
  const user = unique("check-user");
  const password = crypto.randomUUID();
  const wrong = crypto.randomUUID();
  const stream = `${unique("check-stream")}:s`;
  const list = `${unique("check-list")}:l`;
  await redisCli("ACL", "SETUSER", user, "on", `>${password}`, "~*", "&*", "+@all");
  const dir = await Deno.makeTempDir({ prefix: "fsds_check_redis_" });
  try {
    await redisCli("XADD", stream, "*", "n", "1");
    const { host, port } = endpoints().redis;
    const config = {
      source: { type: "redis", host, port, username: user, password, stream_keys: [stream], list_keys: [list] },
      sink: { type: "local", path: `${dir}/out` },
    };
    const good = await runCli(["check"], { config });
    assertEquals(good.code, 0, good.stdout + good.stderr);
    lineMatching(
      good.stdout,
      new RegExp(`^ok\\s+source\\s+redis server: ${host}:${port} answers PONG: .*user "${user}"`),
    );
    lineMatching(good.stdout, new RegExp(`^ok\\s+source\\s+redis stream "${stream}": 1 entry; group "fs-data-sink"`));
    lineMatching(good.stdout, new RegExp(`^ok\\s+source\\s+redis list "${list}": 0 items`));
    lineMatching(good.stdout, /^ok\s+sink\s+local folder ".*": created; wrote, renamed and deleted /);

    const refused = await runCli(["check", "--set", `source.password=${wrong}`], { config });
    assertEquals(refused.code, 2, refused.stdout + refused.stderr);
    lineMatching(
      refused.stdout,
      new RegExp(
        `^failed\\s+source\\s+redis server: Cannot connect to Redis at "${host}:${port}": WRONGPASS .*` +
          `\\(hint: check source\\.username and source\\.password`,
      ),
    );
    lineMatching(refused.stdout, new RegExp(`^skipped\\s+source\\s+redis stream "${stream}": needs redis server$`));
    assert(!refused.stdout.includes(wrong) && !refused.stderr.includes(wrong), "the password is never printed");
    assertEquals(await redisCli("EXISTS", `${stream}`), ["1"]);
    assertEquals(await redisCli("XINFO", "GROUPS", stream), [], "check creates no group");
  } finally {
    await redisCli("ACL", "DELUSER", user);
    await redisCli("DEL", stream, list);
    await Deno.remove(dir, { recursive: true });
  }
});

s3Test("preview prints the schema, the paths and undecodable records, and commits no Kafka offset", async () => {
  await withKafkaTopic("fsds-test-preview", 3, async ({ topic, admin }) => {
    await kcatProduce(topic, [...marketDataLines(30), "bad:{not json"], "none");
    const group = unique("preview-group");
    // The group has read 2 records of one partition: the preview starts that partition there.
    const marks = await admin.fetchTopicOffsets(topic);
    const started = marks.find((m) => Number(m.high) >= 2)!;
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: started.partition, offset: "2" }] });
    const before = await committedOffsets(group, topic);
    const prefix = unique("preview");
    const config = kafkaToS3(topic, group, prefix);

    const result = await runCli(["preview", "-n", "100"], { config });
    assertEquals(result.code, 0, result.stdout + result.stderr);
    const out = result.stdout;
    lineMatching(out, /^Preview of 29 records from source kafka \(nothing acknowledged, nothing written\):$/);
    lineMatching(out, new RegExp(`^  ${topic}\\+${started.partition}: from the group's committed offset 2 `));
    lineMatching(out, /^Schema of /);
    lineMatching(out, /^ {2}kafka_offset\s+Int64\s+INT64$/);
    lineMatching(out, /^ {2}symbol\s+Utf8\s+BYTE_ARRAY STRING$/);
    lineMatching(out, /^ {2}metadata_timestamp\s+Timestamp<MICROSECOND, UTC>\s+INT64 TIMESTAMP\(MICROS, UTC\)$/);
    lineMatching(
      out,
      new RegExp(
        `^  \\d+\\. s3://${endpoints().s3.bucket}/${prefix}/date=\\d{4}-\\d{2}-\\d{2}/` +
          `${topic}\\+${started.partition}\\+00000000000000000002\\.parquet  \\(\\d+ rows?, \\d+ bytes\\)$`,
      ),
    );
    lineMatching(out, /^First 5 rows:$/);
    lineMatching(out, new RegExp(`^  Cannot decode topic "${topic}" partition \\d+ offset \\d+: `));

    const again = await runCli(["preview", "-n", "100"], { config });
    assertEquals(again.stdout.match(/^ {2}\d+\. s3:.*$/gm), out.match(/^ {2}\d+\. s3:.*$/gm), "nothing was consumed");
    assertEquals(await committedOffsets(group, topic), before);
    assertEquals(await s3KeysUnder(rawS3Client(), prefix), [], "nothing is written to the sink");
  });
});

Deno.test("preview of a Redis stream and list leaves pending entries and the list's length as they were", async () => {
  const stream = `${unique("preview-stream")}`;
  const list = `${unique("preview-list")}`;
  const dir = await Deno.makeTempDir({ prefix: "fsds_preview_redis_" });
  try {
    for (let i = 0; i < 12; i++) {
      await redisCli("XADD", stream, "*", "data", JSON.stringify({ id: i, side: i % 2 ? "buy" : "sell" }));
    }
    // A consumer "prev" of the group read 4 entries and did not acknowledge them (redis-cli as that consumer).
    await redisCli("XGROUP", "CREATE", stream, "fs-data-sink", "0");
    await redisCli("XREADGROUP", "GROUP", "fs-data-sink", "prev", "COUNT", "4", "STREAMS", stream, ">");
    await redisCli("RPUSH", list, ...Array.from({ length: 8 }, (_, i) => JSON.stringify({ item: i })), "garbage{");
    const pendingBefore = await redisCli("XPENDING", stream, "fs-data-sink");
    const groupBefore = await redisCli("XINFO", "GROUPS", stream);
    assertEquals(pendingBefore[0], "4");
    const { host, port } = endpoints().redis;
    const config = {
      source: {
        type: "redis",
        host,
        port,
        stream_keys: [stream],
        list_keys: [list],
        consumer_name: "prev",
        payload_field: "data",
      },
      sink: { type: "local", path: `${dir}/out` },
    };

    const result = await runCli(["preview", "-n", "50", "--rows", "3"], { config });
    assertEquals(result.code, 0, result.stdout + result.stderr);
    const out = result.stdout;
    lineMatching(out, /^Preview of 21 records from source redis /);
    lineMatching(
      out,
      new RegExp(`^  stream "${stream}": 4 pending at consumer "prev", then 8 new after last-delivered`),
    );
    lineMatching(out, new RegExp(`^  list "${list}": 0 taken and not acknowledged by consumer "prev", then 9 from`));
    lineMatching(out, /^ {2}redis_id\s+Utf8\s+BYTE_ARRAY STRING$/);
    lineMatching(out, /^ {2}side\s+Utf8\s+BYTE_ARRAY STRING$/);
    lineMatching(out, /^ {2}item\s+Int64\s+INT64$/);
    lineMatching(out, new RegExp(`^  \\d+\\. ${dir}/out/${stream}\\+prev\\+\\d+-0\\.parquet  \\(12 rows, `));
    lineMatching(out, new RegExp(`^  \\d+\\. ${dir}/out/${list}\\+prev\\+00000000000000000001\\.parquet  \\(8 rows, `));
    lineMatching(out, /^First 3 rows:$/);
    lineMatching(out, new RegExp(`^  Cannot decode redis list "${list}" item 9 \\(consumer "prev"\\): `));

    assertEquals(await redisCli("XPENDING", stream, "fs-data-sink"), pendingBefore, "no entry acknowledged or read");
    assertEquals(await redisCli("XINFO", "GROUPS", stream), groupBefore, "the group's last-delivered id is unchanged");
    assertEquals(await redisCli("LLEN", list), ["9"], "no item popped");
    assertEquals(await redisCli("KEYS", `${list}:fsds:*`), [], "no processing list, no counter");
    assertEquals(await Array.fromAsync(Deno.readDir(dir)), [], "nothing written to the sink folder");
  } finally {
    await redisCli("DEL", stream, list);
    await Deno.remove(dir, { recursive: true });
  }
});
