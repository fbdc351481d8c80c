import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  DurationMicrosecond,
  Field,
  Float32,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  Map_,
  Null,
  Struct,
  type Table,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  Uint64,
  Uint8,
  Utf8,
} from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { BatchBuilder } from "./batch_builder.ts";
import { SchemaMemory } from "./schema_memory.ts";
import { column, fixed, FLATTEN, schemaOf, table, tableOf, typedRows, values } from "./_test_typed.ts";
import { TypedColumn } from "./typed_column.ts";

function builder(schema?: SchemaMemory): BatchBuilder {
  return new BatchBuilder({ metadataColumns: [{ name: "kafka_offset", type: "int64" }], flatten: FLATTEN, schema });
}

function build(...tables: Table[]): Table {
  const b = builder();
  tables.forEach((t, i) => {
    const rows = typedRows(t);
    assertEquals(b.appendRows(rows, 0, rows.length, [BigInt(i)]), { kind: "ok" });
  });
  return b.finish()!;
}

const ts = (iso: string) => BigInt(Date.parse(iso));

Deno.test("appendRows() keeps the sender's Arrow types, values and zones through finish()", () => {
  const entries = new Struct([new Field("key", new Utf8(), false), new Field("value", new Int32(), true)]);
  const built = build(table({
    i8: fixed(new Int8(), [-128, 127]),
    i16: fixed(new Int16(), [-1, 300]),
    i32: fixed(new Int32(), [2 ** 31 - 1, 0], [1]),
    i64: fixed(new Int64(), [-(2n ** 63n), 2n ** 62n + 1n]),
    u8: fixed(new Uint8(), [255, 0]),
    u64: fixed(new Uint64(), [2n ** 64n - 1n, 1n]),
    f32: fixed(new Float32(), [1.5, -0.25]),
    dec: fixed(new Decimal(2, 10, 128), [12345, 0, 0, 0, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]),
    ok: column([true, null], new Bool()),
    s: column(["é€😀", ""], new Utf8()),
    ls: column(["large", null], new LargeUtf8()),
    bin: column([new Uint8Array([0, 1]), new Uint8Array(0)], new Binary()),
    day: fixed(new DateDay(), [19783, -1]),
    at_ny: fixed(new TimestampMillisecond("America/New_York"), [ts("2024-03-01T12:00:00.123Z"), -1n]),
    at_ns: fixed(new TimestampNanosecond(), [1_709_294_400_123_456_789n, 0n]),
    time: fixed(new TimeMicrosecond(), [37_800_000_005n, 0n]),
    took: fixed(new DurationMicrosecond(), [1_500_000n, -1n]),
    tags: column([{ k: 1 }, {}].map((o) => new Map(Object.entries(o))), new Map_(new Field("entries", entries, false))),
    none: makeNulls(2),
  }));
  assertEquals(schemaOf(built), [
    "kafka_offset?: Int64",
    "i8?: Int8",
    "i16?: Int16",
    "i32?: Int32",
    "i64?: Int64",
    "u8?: Uint8",
    "u64?: Uint64",
    "f32?: Float32",
    "dec?: Decimal[10e+2]",
    "ok?: Bool",
    "s?: Utf8",
    "ls?: LargeUtf8",
    "bin?: Binary",
    "day?: Date32<DAY>",
    "at_ny?: Timestamp<MILLISECOND, America/New_York>",
    "at_ns?: Timestamp<NANOSECOND>",
    "time?: Time64<MICROSECOND>",
    "took?: Duration<MICROSECOND>",
    "tags?: Map<{key:Utf8, value:Int32}>",
    "none?: Utf8", // null in every row and no type remembered: text, as for inferred columns
  ]);
  const row = (name: string) => values(built, name);
  assertEquals(row("i64"), [-(2n ** 63n), 2n ** 62n + 1n]);
  assertEquals(row("u64"), [2n ** 64n - 1n, 1]);
  assertEquals(row("i32"), [2 ** 31 - 1, null]);
  assertEquals(row("dec"), ["123.45", "-0.01"]);
  assertEquals(row("day"), ["2024-03-01", "1969-12-31"]);
  assertEquals(row("at_ny"), [new TimestampValue(1_709_294_400_123_000n), new TimestampValue(-1000n)]);
  assertEquals(row("at_ns"), [new TimestampValue(1_709_294_400_123_456n), new TimestampValue(0n)]);
  assertEquals(row("time"), ["10:30:00.000005", "00:00:00.000000"]);
  assertEquals(row("tags"), [{ k: 1 }, {}]);
  assertEquals(row("s"), ["é€😀", ""]);
  assertEquals(row("ok"), [true, null]);
});

function makeNulls(length: number) {
  return column(new Array(length).fill(null), new Null());
}

Deno.test("appendRows() widens a column whose messages disagree to the narrowest type holding both", () => {
  const built = build(
    table({
      a: fixed(new Int32(), [1]),
      b: fixed(new Int8(), [-1]),
      t: fixed(new TimestampMillisecond("UTC"), [ts("2025-10-17T10:30:00.001Z")]),
      d: fixed(new Decimal(1, 5, 128), [15, 0, 0, 0]),
      x: fixed(new Int32(), [7]),
    }),
    table({
      a: fixed(new Int64(), [2n ** 40n]),
      b: fixed(new Uint8(), [255]),
      t: fixed(new TimestampMicrosecond("UTC"), [ts("2025-10-17T10:30:00Z") * 1000n + 2n]),
      d: fixed(new Decimal(3, 6, 128), [-1234, -1, -1, -1].map((v) => v >>> 0)),
      x: column(["text"], new Utf8()),
    }),
  );
  assertEquals(schemaOf(built).slice(1), [
    "a?: Int64",
    "b?: Int16",
    "t?: Timestamp<MICROSECOND, UTC>",
    "d?: Decimal[7e+3]",
    "x?: Utf8",
  ]);
  assertEquals(values(built, "a"), [1, 2 ** 40]);
  assertEquals(values(built, "b"), [-1, 255]);
  assertEquals(values(built, "t"), [
    new TimestampValue(1_760_697_000_001_000n),
    new TimestampValue(1_760_697_000_000_002n),
  ]);
  assertEquals(values(built, "d"), ["1.500", "-1.234"]);
  assertEquals(values(built, "x"), ["7", "text"]);
});

Deno.test("appendRows() pads a column a message lacks with nulls; non-nullable only when every row has it", () => {
  const id = new Field("id", new Int64(), false);
  const name = new Field("name", new Utf8(), false);
  const first = tableOf([id, name], [fixed(new Int64(), [1n, 2n]), column(["a", "b"], new Utf8())]);
  const second = tableOf([id], [fixed(new Int64(), [3n])]);
  const built = build(first, second);
  assertEquals(schemaOf(built), ["kafka_offset?: Int64", "id: Int64", "name?: Utf8"]);
  assertEquals(values(built, "name"), ["a", "b", null]);
  assertEquals(values(built, "kafka_offset"), [0, 0, 1]);
});

Deno.test("appendRows() of a slice takes those rows; a payload column named like metadata gets _payload", () => {
  const b = builder();
  const rows = typedRows(
    table({ kafka_offset: fixed(new Int32(), [10, 11, 12, 13]), v: column(["a", "b", "c", "d"]) }),
  );
  b.appendRows(rows, 1, 3, [7n]);
  const built = b.finish()!;
  assertEquals(schemaOf(built), ["kafka_offset?: Int64", "kafka_offset_payload?: Int32", "v?: Utf8"]);
  assertEquals(values(built, "kafka_offset_payload"), [11, 12]);
  assertEquals(values(built, "v"), ["b", "c"]);
  assertEquals(values(built, "kafka_offset"), [7, 7]);
});

Deno.test("a column with typed and JSON values widens by Arrow type, in either order", () => {
  const b = builder();
  b.append({ n: 1, s: "json" }, [0n]);
  const rows = typedRows(table({ n: fixed(new Int32(), [2]), s: fixed(new Int32(), [3]) }));
  b.appendRows(rows, 0, 1, [1n]);
  b.append({ n: 4, s: null, extra: true }, [2n]);
  const built = b.finish()!;
  assertEquals(schemaOf(built).slice(1), ["n?: Int64", "s?: Utf8", "extra?: Bool"]);
  assertEquals(values(built, "n"), [1, 2, 4]);
  assertEquals(values(built, "s"), ["json", "3", null]);
});

Deno.test("SchemaMemory keeps a typed column's widened type for the later files of the run", () => {
  const memory = new SchemaMemory();
  const b = builder(memory);
  const append = (t: Table) => {
    const rows = typedRows(t);
    b.appendRows(rows, 0, rows.length, [0n]);
    return b.finish()!;
  };
  append(table({ n: makeNulls(1) })); // all null, nothing known yet: text in this file, but not remembered
  append(table({ n: fixed(new Int16(), [1]) }));
  append(table({ n: fixed(new Int32(), [2]) }));
  assertEquals(schemaOf(append(table({ n: fixed(new Int8(), [3]) }))), ["kafka_offset?: Int64", "n?: Int32"]);
  assertEquals(schemaOf(append(table({ n: makeNulls(1) }))), ["kafka_offset?: Int64", "n?: Int32"]);
  b.append({ n: 5 }, [0n]); // a JSON value later in the run: the remembered type widens with Int64
  assertEquals(schemaOf(b.finish()!), ["kafka_offset?: Int64", "n?: Int64"]);
});

Deno.test("TypedColumn byteSize counts the rows of a slice, not the whole batch it views", () => {
  const data = column(Array.from({ length: 1000 }, (_, i) => `value-${i}`), new Utf8());
  const whole = new TypedColumn();
  whole.appendData(0, data, true);
  const part = new TypedColumn();
  part.appendData(0, data.slice(0, 10), true);
  assert(whole.byteSize > 10_000, String(whole.byteSize));
  assert(part.byteSize < whole.byteSize / 50, `${part.byteSize} vs ${whole.byteSize}`);
});

Deno.test("TypedColumn.truncate() undoes rows of typed pieces and of a JSON tail", () => {
  const typed = new TypedColumn();
  typed.appendData(0, fixed(new Int32(), [1, 2, 3]), true);
  typed.add(3, 4);
  typed.add(4, 5);
  typed.truncate(4);
  assertEquals(typed.length, 4);
  typed.truncate(2);
  assertEquals(typed.length, 2);
  const finished = typed.finish(3);
  assertEquals(String(finished.type), "Int32");
  assertEquals(finished.data.length, 3);
  assertEquals([0, 1, 2].map((i) => finished.data.getValid(i)), [true, true, false]);
});

Deno.test("with lists: list, a typed list and JSON lists of one column widen element-wise", () => {
  const b = new BatchBuilder({ metadataColumns: [], flatten: { ...FLATTEN, lists: "list" } });
  const rows = typedRows(table({ tags: column([[1, 2]], new List(new Field("item", new Int32(), true))) }), {
    ...FLATTEN,
    lists: "list",
  });
  b.appendRows(rows, 0, 1, []);
  b.append({ tags: [3] }, []);
  const built = b.finish()!;
  assertEquals(schemaOf(built), ["tags?: List<Int64>"]);
  assertEquals(values(built, "tags"), [[1, 2], [3]]);
});
