/**
 * `deno task chaos [--seed N] [--records N] [--kills N] [--pipeline NAME]`: the chaos scenario of
 * `tests/helpers/chaos.ts`, bigger than the test suite runs it (default 20000 records and 6 kills per pipeline), on
 * the kit's servers (started if needed). The seed defaults to `FSDS_CHAOS_SEED`, else a random one; it is printed
 * with every kill, so a failure is repeated with `--seed`. Exits 1 on the first pipeline that fails.
 * @module
 */
import { parseArgs } from "node:util";
import { CHAOS_PIPELINES, type ChaosPipeline, chaosSeed, runChaos } from "./helpers/chaos.ts";
import { withMinioLock } from "./s3_test_lock.ts";
import { ensureRunning } from "./services/endpoints.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string" },
    records: { type: "string", default: "20000" },
    kills: { type: "string", default: "6" },
    pipeline: { type: "string", multiple: true },
  },
});

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Cannot run the chaos test: --${name} "${text}" is not an integer >= ${min}`);
  }
  return value;
}

const seed = values.seed === undefined ? chaosSeed() : integer("seed", values.seed, 0);
const records = integer("records", values.records, 1);
const kills = integer("kills", values.kills, 0);
const pipelines = (values.pipeline ?? [...CHAOS_PIPELINES]) as ChaosPipeline[];
for (const name of pipelines) {
  if (!CHAOS_PIPELINES.includes(name)) {
    throw new RangeError(`Cannot run the chaos test: unknown --pipeline "${name}" (${CHAOS_PIPELINES.join(", ")})`);
  }
}

await ensureRunning(["kafka", "redis", "s3", "hdfs"]);
const results = [];
for (const pipeline of pipelines) {
  const run = () => runChaos(pipeline, { seed, records, kills });
  results.push(pipeline === "kafka-s3" ? await withMinioLock("shared", run) : await run());
}
for (const r of results) {
  console.log(
    `${r.pipeline}: ${r.rows} rows, ${r.distinct} distinct, kills at +${r.killDelaysMs.join(", +")} ms, ${
      r.seconds.toFixed(1)
    } s`,
  );
}
console.log(`chaos passed: seed ${seed}, ${records} records, ${kills} kills per pipeline`);
