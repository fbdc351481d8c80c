/**
 * The "Redis -> sink one-shot" scenario shared by the S3 and HDFS end-to-end tests: a stream gets 400 entries and a
 * list 250 items, the real CLI drains both one-shot, and every entry must be read back exactly once, in its Hive
 * `origin=` folder.
 * @module
 */
import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { adminClient } from "../redis_helpers.ts";
import { endpoints, ensureRunning } from "../services/endpoints.ts";
import { runCliWithConfig, type SinkScenarioOptions } from "./sink_e2e.ts";

/** Runs the scenario (the sink section must partition by `origin`); throws an AssertionError naming what went wrong. */
export async function redisToSinkOneShot(options: SinkScenarioOptions): Promise<void> {
  const { name } = options;
  await ensureRunning(["redis"]);
  const tag = crypto.randomUUID().slice(0, 8);
  const stream = `fsds-${name}-e2e:${tag}:stream`;
  const list = `fsds-${name}-e2e:${tag}:list`;
  const redis = await adminClient();
  try {
    for (let i = 0; i < 400; i += 50) {
      const commands: Promise<unknown>[] = [];
      for (let id = i; id < i + 50; id++) {
        commands.push(redis.call("XADD", stream, "*", "payload", JSON.stringify({ id, origin: "stream" })));
      }
      await Promise.all(commands);
    }
    const items = Array.from({ length: 250 }, (_, id) => JSON.stringify({ id: 1000 + id, origin: "list" }));
    await redis.call("RPUSH", list, ...items);

    const run = await runCliWithConfig(
      {
        source: {
          type: "redis",
          ...endpoints().redis,
          stream_keys: [stream],
          list_keys: [list],
          payload_field: "payload",
          consumer_group: `g${tag}`,
          batch_size: 150,
        },
        sink: options.sink,
        telemetry: { log_level: "INFO" },
      },
      ["--until-caught-up"],
      { tempPrefix: `fsds-${name}-e2e-` },
    );
    equal(run.code, 0, run.log);

    const { files } = await options.read();
    const ids: number[] = [];
    for (const file of files) {
      const match = /^origin=(stream|list)\/[^/]+\.parquet$/.exec(file.path);
      assert(match, `Hive layout: ${file.path}`);
      for (const row of file.rows) {
        ids.push(Number(row.id));
        equal(row.origin, match[1]);
      }
    }
    const expected = [...Array.from({ length: 400 }, (_, i) => i), ...Array.from({ length: 250 }, (_, i) => 1000 + i)];
    assertEquals(ids.sort((a, b) => a - b), expected);
  } finally {
    await redis.call("DEL", stream, list);
    redis.close();
  }
}
