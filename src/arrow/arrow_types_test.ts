import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  DateMillisecond,
  Decimal,
  Field,
  FixedSizeBinary,
  Float16,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  Null,
  TimeMicrosecond,
  TimeMillisecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
} from "apache-arrow";
import { sameType, typeOfKind, widenType } from "./arrow_types.ts";

const widen = (a: DataType, b: DataType) => String(widenType(a, b));
const list = (type: DataType) => new List(new Field("item", type, true));

Deno.test("widenType() keeps equal types and takes the other type over Null", () => {
  assertEquals(widen(new Int32(), new Int32()), "Int32");
  assertEquals(widen(new Null(), new Decimal(2, 10, 128)), "Decimal[10e+2]");
  assertEquals(widen(new TimestampMillisecond("Europe/Paris"), new Null()), "Timestamp<MILLISECOND, Europe/Paris>");
});

Deno.test("widenType() gives integers the narrowest type holding both, uint64 with a signed type a decimal", () => {
  assertEquals(widen(new Int8(), new Int32()), "Int32");
  assertEquals(widen(new Uint8(), new Uint64()), "Uint64");
  assertEquals(widen(new Int8(), new Uint8()), "Int16");
  assertEquals(widen(new Uint16(), new Int16()), "Int32");
  assertEquals(widen(new Uint32(), new Int64()), "Int64");
  assertEquals(widen(new Uint64(), new Int8()), "Decimal[20e0]");
});

Deno.test("widenType() widens int + float to Float64, floats to the wider, decimals exactly", () => {
  assertEquals(widen(new Int64(), new Float32()), "Float64");
  assertEquals(widen(new Float16(), new Float32()), "Float32");
  assertEquals(widen(new Decimal(2, 10, 128), new Decimal(4, 6, 128)), "Decimal[12e+4]");
  assertEquals(widen(new Int32(), new Decimal(2, 5, 128)), "Decimal[12e+2]");
  assertEquals(widen(new Decimal(0, 38, 128), new Decimal(10, 12, 128)), "Decimal[48e+10]");
  assertEquals(String((widenType(new Decimal(0, 38, 128), new Decimal(10, 12, 128)) as Decimal).bitWidth), "256");
  assertEquals(widen(new Decimal(0, 76, 256), new Decimal(1, 2, 128)), "Utf8");
  assertEquals(widen(new Decimal(2, 10, 128), new Float64()), "Float64");
});

Deno.test("widenType() gives times the finer unit, and text where meanings differ", () => {
  assertEquals(widen(new TimestampMillisecond("UTC"), new TimestampNanosecond("UTC")), "Timestamp<NANOSECOND, UTC>");
  assertEquals(
    widen(new TimestampMillisecond("America/New_York"), new TimestampMicrosecond("Asia/Tokyo")),
    "Timestamp<MICROSECOND, UTC>",
  );
  assertEquals(widen(new TimestampMillisecond(), new TimestampMicrosecond()), "Timestamp<MICROSECOND>");
  assertEquals(widen(new TimestampMillisecond(), new TimestampMillisecond("UTC")), "Utf8");
  assertEquals(widen(new DateDay(), new DateMillisecond()), "Date64<MILLISECOND>");
  assertEquals(widen(new TimeMillisecond(), new TimeMicrosecond()), "Time64<MICROSECOND>");
  assertEquals(widen(new DateDay(), new TimestampMillisecond("UTC")), "Utf8");
});

Deno.test("widenType() widens text, bytes and lists, and any other pair to Utf8", () => {
  assertEquals(widen(new Utf8(), new LargeUtf8()), "LargeUtf8");
  assertEquals(widen(new FixedSizeBinary(4), new Binary()), "Binary");
  assertEquals(widen(list(new Int32()), list(new Int64())), "List<Int64>");
  assertEquals(widen(list(new Int32()), list(new Utf8())), "Utf8");
  assertEquals(widen(new Bool(), new Int32()), "Utf8");
  assertEquals(widen(new Binary(), new Utf8()), "Utf8");
});

Deno.test("sameType() tells decimals, zones and child nullability apart", () => {
  assertEquals(sameType(new Decimal(2, 10, 128), new Decimal(3, 10, 128)), false);
  assertEquals(sameType(new TimestampMillisecond("UTC"), new TimestampMillisecond()), false);
  assertEquals(sameType(list(new Int32()), new List(new Field("item", new Int32(), false))), false);
  assertEquals(sameType(list(new Int32()), list(new Int32())), true);
});

Deno.test("typeOfKind() gives an inferred column's Arrow type", () => {
  assertEquals(String(typeOfKind({ kind: "timestamp" })), "Timestamp<MICROSECOND, UTC>");
  assertEquals(String(typeOfKind({ kind: "list", element: { kind: "int" } })), "List<Int64>");
  assertEquals(typeOfKind({ kind: "null" }), undefined);
});
