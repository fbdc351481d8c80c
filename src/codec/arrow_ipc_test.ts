import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type RecordBatch, Table, tableFromArrays, tableToIPC } from "apache-arrow";
import { decodeArrowIpc, splitArrowIpcBatches } from "./arrow_ipc.ts";

Deno.test("splitArrowIpcBatches() yields one IPC stream per record batch of an IPC file or stream", async () => {
  const first = tableFromArrays({ id: Int32Array.from([1, 2]) });
  const second = tableFromArrays({ id: Int32Array.from([3]) });
  const table = new Table([...first.batches, ...second.batches] as RecordBatch[]);
  for (const format of ["file", "stream"] as const) {
    const rows = [];
    for await (const batch of splitArrowIpcBatches(ReadableStream.from([tableToIPC(table, format)]))) {
      const decoded = decodeArrowIpc(batch);
      rows.push(decoded.kind === "rows" ? decoded.rows.map((row) => row.id) : decoded.reason);
    }
    assertEquals(rows, [[1, 2], [3]], format);
  }
});
