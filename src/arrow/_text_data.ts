/**
 * Text columns made from the values of an Arrow `Data` of any type (private to `src/arrow/`): a typed column widened
 * to text, and lists, unions and structs deeper than `max_depth` kept as JSON text. Null rows stay null.
 * @module
 */
import { type Data, LargeUtf8, makeData, Utf8 } from "apache-arrow";
import { grownBytes, writeUtf8 } from "./_buffers.ts";
import { valueAt } from "./arrow_values.ts";
import { textOf, toJsonText } from "./_text.ts";

/** How values become text: `text` as a column widened to utf8 shows them, `json` as JSON. */
export type TextForm = "text" | "json";

/** A Utf8 (or LargeUtf8) `Data` with the text of every row of `data`. */
export function textData(data: Data, form: TextForm, large = false): Data {
  const n = data.length;
  const format = form === "json" ? toJsonText : textOf;
  const offsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
  const validity = new Uint8Array((n + 7) >> 3);
  let bytes = new Uint8Array(Math.max(64, n * 8));
  let used = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const value = valueAt(data, i);
    if (value === null || value === undefined) {
      nulls++;
    } else {
      const text = format(value);
      if (used + text.length * 3 > bytes.length) bytes = grownBytes(bytes, used, used + text.length * 3);
      used = writeUtf8(bytes, used, text);
      validity[i >> 3]! |= 1 << (i & 7);
    }
    if (large) (offsets as BigInt64Array)[i + 1] = BigInt(used);
    else (offsets as Int32Array)[i + 1] = used;
  }
  return makeData({
    type: large ? new LargeUtf8() : new Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? undefined : validity,
    valueOffsets: offsets,
    data: bytes.subarray(0, used),
  } as never);
}
