/**
 * The "Kafka -> sink in two one-shot runs" scenario shared by the S3 and HDFS end-to-end tests: a two-partition
 * topic gets 700 records, the real CLI drains it one-shot, 300 more arrive and a second one-shot run drains them.
 * Every record must be read back exactly once, in its Hive `kind=` folder, in a file named
 * `<stream>+<first position>.parquet`, with its values, and the journal must live on the sink.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { endpoints } from "../services/endpoints.ts";
import { withKafkaTopic } from "./kafka_topic.ts";
import { runCliWithConfig, type SinkScenarioOptions } from "./sink_e2e.ts";

/** Runs the scenario (the sink section must partition by `kind`); throws an AssertionError naming what went wrong. */
export async function kafkaToSinkTwoRuns(options: SinkScenarioOptions): Promise<void> {
  const { name } = options;
  await withKafkaTopic(`fsds-${name}-e2e`, 2, async ({ topic, producer }) => {
    const send = async (from: number, to: number) => {
      const messages = [];
      for (let id = from; id < to; id++) {
        messages.push({
          key: `k${id % 5}`,
          value: JSON.stringify({ id, kind: id % 2 ? "odd" : "even", amount: id * 3 }),
        });
      }
      await producer.send({ topic, messages });
    };
    const config = {
      source: { type: "kafka", bootstrap_servers: endpoints().kafka.brokers, topics: [topic], group_id: topic },
      sink: options.sink,
      telemetry: { log_level: "INFO" },
    };
    const flags = ["--until-caught-up", "--batch-size", "300"];
    const tempPrefix = `fsds-${name}-e2e-`;
    await send(0, 700);
    const first = await runCliWithConfig(config, flags, { tempPrefix });
    equal(first.code, 0, first.log);
    await send(700, 1000);
    const second = await runCliWithConfig(config, flags, { tempPrefix });
    equal(second.code, 0, second.log);

    const { files, paths } = await options.read();
    assert(paths.some((p) => p.startsWith("_fsds/journal/")), `the journal lives on ${name} too`);
    const ids: number[] = [];
    for (const file of files) {
      const match = /^kind=(odd|even)\/([^/]+)\.parquet$/.exec(file.path);
      assert(match, `Hive layout: ${file.path}`);
      assert(match[2]!.startsWith(`${topic}+`), `file named <stream>+<first position>: ${file.path}`);
      for (const row of file.rows) {
        const id = Number(row.id);
        ids.push(id);
        equal(match[1], id % 2 ? "odd" : "even");
        equal(Number(row.amount), id * 3);
      }
    }
    assertEquals(ids.sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  });
}
