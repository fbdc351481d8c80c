import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Binary,
  Bool,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Map_,
  Struct,
  Timestamp,
  TimeUnit,
  Uint16,
  Utf8,
} from "apache-arrow";
import { parquetTypeOf } from "./types.ts";

Deno.test("parquetTypeOf() names the physical type and logical annotation of scalar columns", () => {
  assertEquals(
    [
      new Bool(),
      new Int32(),
      new Int64(),
      new Uint16(),
      new Float32(),
      new Float64(),
      new Utf8(),
      new Binary(),
      new Timestamp(TimeUnit.MICROSECOND, "UTC"),
      new Timestamp(TimeUnit.MILLISECOND, "UTC"),
      new Timestamp(TimeUnit.NANOSECOND, null),
      new Dictionary(new Utf8(), new Int32()),
    ].map(parquetTypeOf),
    [
      "BOOLEAN",
      "INT32 INT(32, signed)",
      "INT64",
      "INT32 INT(16, unsigned)",
      "FLOAT",
      "DOUBLE",
      "BYTE_ARRAY STRING",
      "BYTE_ARRAY",
      "INT64 TIMESTAMP(MICROS, UTC)",
      "INT64 TIMESTAMP(MILLIS, UTC)",
      "INT64 TIMESTAMP(NANOS, local)",
      "BYTE_ARRAY STRING",
    ],
  );
});

Deno.test("parquetTypeOf() spells lists, maps and structs with their element types", () => {
  const list = new List(new Field("item", new Float64(), true));
  const entries = new Struct([new Field("key", new Utf8(), false), new Field("value", new Utf8(), true)]);
  const map = new Map_(new Field("entries", entries, false));
  const struct = new Struct([new Field("a", new Int64()), new Field("b", list)]);
  assertEquals([list, map, struct].map(parquetTypeOf), [
    "LIST<DOUBLE>",
    "MAP<BYTE_ARRAY STRING, BYTE_ARRAY STRING>",
    "STRUCT<a: INT64, b: LIST<DOUBLE>>",
  ]);
});
