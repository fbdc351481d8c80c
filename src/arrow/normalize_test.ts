import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type Data,
  DateMillisecond,
  Dictionary,
  Field,
  Int16,
  Int64,
  List,
  Struct,
  TimeSecond,
  TimestampSecond,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { TimestampValue } from "../codec/values.ts";
import { valueAt } from "./arrow_values.ts";
import { normalizeData, normalizeType } from "./normalize.ts";
import { column, fixed, table, throughIpc } from "./_test_typed.ts";

function rows(data: Data): unknown[] {
  return Array.from({ length: data.length }, (_, i) => valueAt(data, i));
}

Deno.test("normalizeData() decodes a dictionary of strings or numbers, nulls kept, after IPC", () => {
  const symbols = vectorFromArray(["AAPL", null, "MSFT", "AAPL"], new Dictionary(new Utf8(), new Int16())).data[0]!;
  const numbers = vectorFromArray([7n, 7n, null, 9n], new Dictionary(new Int64(), new Int16())).data[0]!;
  const decoded = throughIpc(table({ symbols, numbers }));
  const s = normalizeData(decoded.getChild("symbols")!.data[0]!);
  assertEquals([String(s.type), ...rows(s)], ["Utf8", "AAPL", null, "MSFT", "AAPL"]);
  const n = normalizeData(decoded.getChild("numbers")!.data[0]!);
  assertEquals([String(n.type), ...rows(n)], ["Int64", 7, 7, null, 9]);
});

Deno.test("normalizeData() decodes dictionaries inside lists and structs", () => {
  const dictionary = new Dictionary(new Utf8(), new Int16());
  const struct = new Struct([new Field("side", dictionary, true)]);
  const sides = column([{ side: "buy" }, { side: "sell" }], struct);
  const normal = normalizeData(throughIpc(table({ sides })).getChild("sides")!.data[0]!);
  assertEquals(String(normal.type), "Struct<{side:Utf8}>");
  assertEquals(rows(normal), [{ side: "buy" }, { side: "sell" }]);
  assertEquals(String(normalizeType(new List(new Field("item", dictionary, true)))), "List<Utf8>");
});

Deno.test("normalizeData() gives seconds, Time32(s) and Date64 the units Parquet annotates", () => {
  const at = normalizeData(fixed(new TimestampSecond("Europe/Paris"), [1_760_697_000n]));
  assertEquals([String(at.type), ...rows(at)], [
    "Timestamp<MILLISECOND, Europe/Paris>",
    new TimestampValue(1_760_697_000_000_000n),
  ]);
  const time = normalizeData(fixed(new TimeSecond(), [3661]));
  assertEquals([String(time.type), ...rows(time)], ["Time32<MILLISECOND>", "01:01:01.000"]);
  const day = normalizeData(fixed(new DateMillisecond(), [1_709_251_200_000n]));
  assertEquals([String(day.type), ...rows(day)], ["Date32<DAY>", "2024-03-01"]);
});
