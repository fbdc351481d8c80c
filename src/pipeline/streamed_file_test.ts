import assert, { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { Table, vectorFromArray } from "apache-arrow";
import { MemorySink } from "../../tests/helpers/memory.ts";
import { decodeParquet, encodeParquet } from "../parquet/writer.ts";
import { writeParquetFile } from "./streamed_file.ts";

const OPTIONS = { compression: "zstd", rowGroupSize: 1_000 } as const;

function slice(from: number, rows: number): Table {
  return new Table({ n: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => from + i)) });
}

Deno.test("writeParquetFile() writes through a sink without open() the file encodeParquet writes", async () => {
  const sink = new MemorySink();
  async function* tables() {
    for (let i = 0; i < 5; i++) yield slice(i * 700, 700);
  }
  const result = await writeParquetFile(sink, "d=1/a.parquet", tables(), OPTIONS);
  const file = sink.files.get("d=1/a.parquet")!;
  assertEquals(result, { bytes: file.length, rows: 3_500 });
  assertEquals(file, encodeParquet(slice(0, 3_500), OPTIONS));
  assertEquals(decodeParquet(file).numRows, 3_500);
});

Deno.test("writeParquetFile() leaves nothing when the tables fail or the sink refuses", async () => {
  const sink = new MemorySink();
  function* failing() {
    yield slice(0, 2_000);
    throw new Error("source gone");
  }
  await rejects(writeParquetFile(sink, "a.parquet", failing(), OPTIONS), /source gone/);
  sink.failWrites = 1;
  await rejects(writeParquetFile(sink, "b.parquet", [slice(0, 10)], OPTIONS), /injected failure/);
  await rejects(writeParquetFile(sink, "c.parquet", [slice(0, 0)], OPTIONS), RangeError);
  assert.equal(sink.files.size, 0);
});
