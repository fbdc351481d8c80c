/**
 * A fresh Kafka topic on the kit's broker for end-to-end tests, with a connected admin client and producer, deleted
 * and disconnected afterwards.
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { endpoints, ensureRunning } from "../services/endpoints.ts";

/** What the body gets: the topic's name and the connected clients. */
export interface KafkaTopic {
  readonly topic: string;
  readonly admin: ReturnType<Kafka["admin"]>;
  readonly producer: ReturnType<Kafka["producer"]>;
}

/** Creates `<prefix>-<random>` with `partitions` partitions, runs `body`, then deletes it and disconnects. */
export async function withKafkaTopic<T>(
  prefix: string,
  partitions: number,
  body: (kafka: KafkaTopic) => Promise<T>,
): Promise<T> {
  await ensureRunning(["kafka"]);
  const topic = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ clientId: prefix, brokers: endpoints().kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    return await body({ topic, admin, producer });
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}
