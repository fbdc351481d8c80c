/**
 * `deno task demo`: runs the real CLI on the embedded default (`config/demo.yaml`: file source over sample data in
 * `config/demo/`, local sink into `demo-output/`, or `--output DIR`), then reads the Parquet files back and prints what was written:
 * files, rows per partition, the schema and one row. No servers needed.
 * @module
 */
import { parseArgs } from "node:util";
import { decodeParquet } from "../src/parquet/writer.ts";

const root = new URL("..", import.meta.url).pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: { config: { type: "string", default: "config/demo.yaml" }, output: { type: "string" } },
});
const config = values.config!;
const output = values.output ?? `${root}demo-output`;
const extra = values.output ? ["--set", `sink.path=${values.output}`] : [];

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-all", "main.ts", "run", "--config", config, ...extra],
  cwd: root,
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const status = await child.status;
if (!status.success) {
  console.error(`demo: fs-data-sink exited with code ${status.code}`);
  Deno.exit(status.code || 1);
}

const files: { path: string; rows: number; bytes: number }[] = [];
let schema = "";
let sample: unknown;
async function walk(folder: string): Promise<void> {
  for await (const entry of Deno.readDir(folder)) {
    const full = `${folder}/${entry.name}`;
    if (entry.isDirectory) await walk(full);
    else if (entry.name.endsWith(".parquet")) {
      const bytes = await Deno.readFile(full);
      const table = decodeParquet(bytes);
      files.push({ path: full.slice(output.length + 1), rows: table.numRows, bytes: bytes.length });
      if (!schema) {
        schema = table.schema.fields.map((f) => `${f.name}: ${f.type}`).join(", ");
        sample = table.get(0)?.toJSON();
      }
    }
  }
}
await walk(output);
files.sort((a, b) => a.path.localeCompare(b.path));

const partitions = new Map<string, number>();
for (const f of files) {
  const folder = f.path.slice(0, f.path.lastIndexOf("/")) || ".";
  partitions.set(folder, (partitions.get(folder) ?? 0) + f.rows);
}
const total = files.reduce((n, f) => n + f.rows, 0);
console.log(`\nWrote ${files.length} Parquet files, ${total} rows, into ${output}/`);
for (const f of files) console.log(`  ${f.path}  ${f.rows} rows  ${f.bytes} bytes`);
console.log("Rows per partition:");
for (const [folder, rows] of partitions) console.log(`  ${folder}  ${rows}`);
console.log(`Schema: ${schema}`);
console.log(`First row: ${JSON.stringify(sample, (_k, v) => typeof v === "bigint" ? v.toString() : v)}`);
console.log(`\nRead it with DuckDB: SELECT * FROM read_parquet('${output}/**/*.parquet', hive_partitioning = true);`);
