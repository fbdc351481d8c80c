/**
 * Smoke tests of the service kit: each server answers a real client and gives back what was written; a stopped
 * server leaves no process and comes back with its data.
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Redis } from "ioredis";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { endpoints, ensureRunning, startService, stopService } from "./endpoints.ts";
import { serviceProcesses } from "./_control.ts";

const RUN_ID = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

Deno.test("kafka smoke: a record produced to a new topic is consumed back", async () => {
  await ensureRunning(["kafka"]);
  const kafka = new Kafka({ clientId: "fsds-smoke", brokers: endpoints().kafka.brokers, logLevel: logLevel.NOTHING });
  const topic = `fsds-smoke-${RUN_ID}`;
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `fsds-smoke-${RUN_ID}` });
  try {
    assert(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }));
    await producer.connect();
    await producer.send({ topic, messages: [{ key: "k", value: `hello ${RUN_ID}` }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no record consumed within 30s")), 30_000);
      consumer.run({
        eachMessage: ({ message }) => {
          clearTimeout(timer);
          resolve(message.value?.toString() ?? "");
          return Promise.resolve();
        },
      }).catch(reject);
    });
    assertEquals(received, `hello ${RUN_ID}`);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
});

Deno.test("redis smoke: SET then GET returns the value", async () => {
  await ensureRunning(["redis"]);
  const { host, port } = endpoints().redis;
  const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    await client.set(`fsds:smoke:${RUN_ID}`, "value-1");
    assertEquals(await client.get(`fsds:smoke:${RUN_ID}`), "value-1");
  } finally {
    await client.del(`fsds:smoke:${RUN_ID}`);
    client.disconnect();
  }
});

Deno.test("s3 smoke: an object put into the test bucket is read back", async () => {
  await ensureRunning(["s3"]);
  const s3 = endpoints().s3;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const key = `smoke/${RUN_ID}.txt`;
  try {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: `object ${RUN_ID}` }));
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    assertEquals(await got.Body?.transformToString(), `object ${RUN_ID}`);
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key })).catch(() => {});
    client.destroy();
  }
});

Deno.test("hdfs smoke: a file created over WebHDFS (two-step CREATE) is read back", async () => {
  await ensureRunning(["hdfs"]);
  const { url, user, home } = endpoints().hdfs;
  const path = `${home}/smoke-${RUN_ID}.txt`;
  const create = await fetch(`${url}/webhdfs/v1${path}?op=CREATE&overwrite=true&user.name=${user}`, {
    method: "PUT",
    redirect: "manual",
  });
  await create.body?.cancel();
  assertEquals(create.status, 307);
  const location = create.headers.get("location") ?? "";
  assertEquals(new URL(location).hostname, "127.0.0.1");
  const write = await fetch(location, { method: "PUT", body: `file ${RUN_ID}` });
  await write.body?.cancel();
  assertEquals(write.status, 201);
  const read = await fetch(`${url}/webhdfs/v1${path}?op=OPEN&user.name=${user}`);
  assertEquals(await read.text(), `file ${RUN_ID}`);
  const denied = await fetch(`${url}/webhdfs/v1/fsds-smoke-denied-${RUN_ID}?op=MKDIRS&user.name=${user}`, {
    method: "PUT",
  });
  assertEquals(denied.status, 403);
  assertEquals((await denied.json()).RemoteException.exception, "AccessControlException");
  const removed = await fetch(`${url}/webhdfs/v1${path}?op=DELETE&user.name=${user}`, { method: "DELETE" });
  assertEquals((await removed.json()).boolean, true);
});

Deno.test("redis restart: stopService leaves no process and startService brings the data back", async () => {
  await ensureRunning(["redis"]);
  const { host, port } = endpoints().redis;
  const key = `fsds:restart:${RUN_ID}`;
  const before = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await before.connect();
  await before.set(key, "kept");
  before.disconnect();

  await stopService("redis");
  assertEquals(await serviceProcesses("redis"), []);
  await startService("redis");

  const after = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await after.connect();
  try {
    assertEquals(await after.get(key), "kept");
  } finally {
    await after.del(key);
    after.disconnect();
  }
});

Deno.test("hdfs restart: a file written before stopService is readable after startService", async () => {
  await ensureRunning(["hdfs"]);
  const { url, user, home } = endpoints().hdfs;
  const path = `${home}/restart-${RUN_ID}.txt`;
  const create = await fetch(`${url}/webhdfs/v1${path}?op=CREATE&overwrite=true&user.name=${user}`, {
    method: "PUT",
    redirect: "manual",
  });
  await create.body?.cancel();
  const write = await fetch(create.headers.get("location") ?? "", { method: "PUT", body: "survives restart" });
  await write.body?.cancel();
  assertEquals(write.status, 201);

  await stopService("hdfs");
  assertEquals(await serviceProcesses("hdfs"), []);
  await startService("hdfs");

  const read = await fetch(`${url}/webhdfs/v1${path}?op=OPEN&user.name=${user}`);
  assertEquals(await read.text(), "survives restart");
  const removed = await fetch(`${url}/webhdfs/v1${path}?op=DELETE&user.name=${user}`, { method: "DELETE" });
  assertEquals((await removed.json()).boolean, true);
});

Deno.test("kafka restart: a topic and its record survive stopService and startService", async () => {
  await ensureRunning(["kafka"]);
  const kafka = new Kafka({ clientId: "fsds-smoke", brokers: endpoints().kafka.brokers, logLevel: logLevel.NOTHING });
  const topic = `fsds-restart-${RUN_ID}`;
  const admin = kafka.admin();
  await admin.connect();
  assert(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }));
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: "kept", partition: 1 }] });
  await producer.disconnect();
  await admin.disconnect();

  await stopService("kafka");
  assertEquals(await serviceProcesses("kafka"), []);
  await startService("kafka");

  const after = kafka.admin();
  await after.connect();
  try {
    const offsets = await after.fetchTopicOffsets(topic);
    assertEquals(offsets.map((o) => [o.partition, o.high]).sort(), [[0, "0"], [1, "1"]]);
  } finally {
    await after.deleteTopics({ topics: [topic] }).catch(() => {});
    await after.disconnect();
  }
});
