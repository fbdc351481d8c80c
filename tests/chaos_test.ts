/**
 * The chaos test at a size CI can afford: for each pipeline (Kafka -> S3, Redis stream -> HDFS, Redis list ->
 * local), 3000 records, three SIGKILLs of the real CLI while it writes, restarts, one run through an outage of each
 * of the pipeline's servers (5 s each, then SIGTERM), a final one-shot run, and every id
 * read back exactly once with DuckDB (`tests/helpers/chaos.ts`). The seed is printed; `FSDS_CHAOS_SEED` repeats a
 * run. `deno task chaos` runs the same scenario bigger.
 * @module
 */
import { chaosSeed, runChaos } from "./helpers/chaos.ts";
import { withMinioLock } from "./s3_test_lock.ts";
import { ensureRunning } from "./services/endpoints.ts";

await ensureRunning(["kafka", "redis", "s3", "hdfs"]);

const seed = chaosSeed();
const size = { seed, records: 3000, kills: 3 };

Deno.test(`chaos: kafka -> S3 killed 3 times mid-write and through Kafka and MinIO outages, every record once (seed ${seed})`, async () => {
  await withMinioLock("shared", () => runChaos("kafka-s3", size));
});

Deno.test(`chaos: redis stream -> HDFS killed 3 times mid-write and through Redis and HDFS outages, every entry once (seed ${seed})`, async () => {
  await runChaos("redis-stream-hdfs", size);
});

Deno.test(`chaos: redis list -> local killed 3 times mid-write and through a Redis outage, every item once (seed ${seed})`, async () => {
  await runChaos("redis-list-local", size);
});
