/**
 * The "sink stopped mid-run" scenario shared by the S3 and HDFS end-to-end tests: a Kafka topic is filled, the real
 * CLI drains it one-shot into the sink, the sink's server is stopped after the first durable batch and started again
 * once the pipeline reports that the sink refuses a batch. It checks that no offset was committed past what was
 * durable while the server was down, that every record arrives exactly once in the end, and that the sink deleted the
 * temporary files of its failed writes before it closed (the callers' `readIds` also look for any left on the store).
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { endpoints, ensureRunning, type ServiceName, startService, stopService } from "../services/endpoints.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
/** What a sink logs at close for temporary files of failed writes it could not delete. */
const TEMP_LEFT_MESSAGE = "Cannot delete temporary files of failed writes";

/** What the scenario needs to know about the sink under test. */
export interface SinkOutageOptions {
  /** The kit service to stop and start (`s3`, `hdfs`). */
  readonly service: ServiceName;
  /** The `sink` section of the run's configuration. */
  readonly sink: Record<string, unknown>;
  /** Records to produce. */
  readonly total: number;
  /** Reads back the `id` column of every row written. */
  readonly readIds: () => Promise<number[]>;
}

/** Sum of the group's committed offsets over the topic's partitions (a partition without commit counts 0). */
export async function committedTotal(
  admin: ReturnType<Kafka["admin"]>,
  groupId: string,
  topic: string,
): Promise<number> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/** Splits a text stream into lines. */
export class LineSplitter extends TransformStream<string, string> {
  constructor() {
    let rest = "";
    super({
      transform(chunk, controller) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const part of parts) controller.enqueue(part);
      },
      flush(controller) {
        if (rest) controller.enqueue(rest);
      },
    });
  }
}

/** Runs the scenario; throws an AssertionError naming what went wrong. */
export async function kafkaToSinkWithOutage(options: SinkOutageOptions): Promise<void> {
  const { service, total } = options;
  await ensureRunning(["kafka"]);
  const topic = `fsds-${service}-outage-${crypto.randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({
    clientId: `fsds-${service}-e2e`,
    brokers: endpoints().kafka.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  const dir = await Deno.makeTempDir({ prefix: `fsds-${service}-outage-` });
  let stopped = false;
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    for (let from = 0; from < total; from += 5000) {
      const messages = Array.from({ length: 5000 }, (_, i) => ({ value: JSON.stringify({ id: from + i }) }));
      await producer.send({ topic, messages });
    }
    const config = {
      source: { type: "kafka", bootstrap_servers: endpoints().kafka.brokers, topics: [topic], group_id: topic },
      sink: options.sink,
      telemetry: { log_level: "INFO" },
      pipeline: { until_caught_up: true },
    };
    await Deno.writeTextFile(`${dir}/config.yaml`, JSON.stringify(config));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "main.ts", "run", "--config", `${dir}/config.yaml`, "--batch-size", "200"],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(300_000),
    }).spawn();

    let durableRows = 0;
    let refused = false;
    let committedWhileDown = -1;
    const log: string[] = [];
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new LineSplitter());
    for await (const line of lines) {
      log.push(line);
      const wrote = /Wrote batch \d+: (\d+) records?\b/.exec(line);
      if (wrote && !refused) {
        durableRows += Number(wrote[1]);
        if (!stopped) {
          stopped = true;
          await stopService(service);
        }
      }
      if (!refused && line.includes("Sink cannot take the batch")) {
        refused = true;
        committedWhileDown = await committedTotal(admin, topic, topic);
        await startService(service);
        stopped = false;
      }
    }
    const status = await child.status;
    equal(status.code, 0, log.join("\n"));
    const leftovers = log.filter((line) => line.includes(TEMP_LEFT_MESSAGE));
    equal(leftovers.length, 0, `temporary files left at close: ${leftovers.join("\n")}`);
    assert(refused, `the sink refused at least one batch while ${service} was down`);
    assert(durableRows < total, `${service} was stopped before the run was over`);
    assert(
      committedWhileDown <= durableRows,
      `committed ${committedWhileDown} offsets while only ${durableRows} rows were durable`,
    );
    const ids = (await options.readIds()).sort((a, b) => a - b);
    equal(ids.length, total, "every row once, none twice");
    assertEquals(ids, Array.from({ length: total }, (_, i) => i));
    equal(await committedTotal(admin, topic, topic), total, "everything acknowledged in the end");
  } finally {
    if (stopped) await startService(service);
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    await Deno.remove(dir, { recursive: true });
  }
}
