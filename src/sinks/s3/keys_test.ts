import assert, { deepEqual as assertEquals, equal } from "node:assert/strict";
import { folderKeyPrefix, normalizePrefix, objectKey, pathOfKey } from "./keys.ts";

Deno.test("objectKey() joins prefix and path without leading or doubled slashes", () => {
  equal(objectKey("data/raw", "date=2024-01-01/orders+0.parquet"), "data/raw/date=2024-01-01/orders+0.parquet");
  equal(objectKey("/data//raw/", "/date=2024-01-01//orders+0.parquet"), "data/raw/date=2024-01-01/orders+0.parquet");
  equal(objectKey("", "_fsds/journal/orders+0.json"), "_fsds/journal/orders+0.json");
  equal(objectKey("/", "a.parquet"), "a.parquet");
});

Deno.test("objectKey() keeps escaped Hive folder names as they are", () => {
  equal(
    objectKey("p", "city=New%20York/hour=07/s+00000000000000000001.parquet"),
    "p/city=New%20York/hour=07/s+00000000000000000001.parquet",
  );
});

Deno.test("objectKey() refuses empty paths and dot segments", () => {
  assert.throws(() => objectKey("p", ""), RangeError);
  assert.throws(() => objectKey("p", "//"), RangeError);
  assert.throws(() => objectKey("p", "a/../b.parquet"), RangeError);
  assert.throws(() => objectKey("p/./q", "b.parquet"), RangeError);
});

Deno.test("folderKeyPrefix() ends with one slash so sibling folders do not match", () => {
  equal(folderKeyPrefix("data", "_fsds/journal"), "data/_fsds/journal/");
  equal(folderKeyPrefix("data/", "_fsds/journal/"), "data/_fsds/journal/");
  equal(folderKeyPrefix("data", ""), "data/");
  equal(folderKeyPrefix("", ""), "");
  equal(folderKeyPrefix("", "date=2024-01-01"), "date=2024-01-01/");
});

Deno.test("pathOfKey() strips the prefix and rejects keys outside it", () => {
  equal(pathOfKey("data/raw", "data/raw/a/b.parquet"), "a/b.parquet");
  equal(pathOfKey("/data/raw/", "data/raw/a/b.parquet"), "a/b.parquet");
  equal(pathOfKey("data/raw", "data/rawx/b.parquet"), undefined);
  equal(pathOfKey("", "x/y.parquet"), "x/y.parquet");
  assertEquals(normalizePrefix(undefined), "");
});
