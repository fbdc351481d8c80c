import { equal, match } from "node:assert/strict";
import {
  dataFilePath,
  manifestListPath,
  manifestPath,
  manifestWrittenAt,
  renamedDataFile,
  writtenAt,
} from "./data_files.ts";

Deno.test("dataFilePath() puts a unique, dated name under the table's data folder", () => {
  const a = dataFilePath("orders/", "kind=odd/", "orders+3+0001.parquet");
  const b = dataFilePath("orders/", "kind=odd/", "orders+3+0001.parquet");
  match(a, /^orders\/data\/kind=odd\/orders\+3\+0001\.\d{8}T\d{6}Z-[0-9a-f]{8}\.parquet$/);
  equal(a === b, false);
  const at = writtenAt(a)!;
  equal(Math.abs(Date.now() - at) < 5000, true);
  match(renamedDataFile(a), /^orders\/data\/kind=odd\/orders\+3\+0001\.\d{8}T\d{6}Z-[0-9a-f]{8}\.parquet$/);
  equal(writtenAt("orders/data/x.parquet"), undefined);
});

Deno.test("manifestPath() and manifestListPath() carry their write time", () => {
  const manifest = manifestPath("t/");
  const list = manifestListPath("t/", 123);
  match(manifest, /^t\/metadata\/\d{8}T\d{6}Z-[0-9a-f]{8}-m0\.avro$/);
  match(list, /^t\/metadata\/snap-123-\d{8}T\d{6}Z-[0-9a-f]{8}\.avro$/);
  equal(Math.abs(Date.now() - manifestWrittenAt(manifest)!) < 5000, true);
  equal(Math.abs(Date.now() - manifestWrittenAt(list)!) < 5000, true);
  equal(manifestWrittenAt("t/metadata/8f2c-m0.avro"), undefined);
});
