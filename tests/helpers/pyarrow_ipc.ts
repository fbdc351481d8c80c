/**
 * Arrow IPC payloads written by pyarrow (`pyarrow_ipc.py`), an Arrow implementation independent of the one under
 * test, run in the readers' venv (`tests/readers/install.ts`), with the rows DuckDB must read back.
 * @module
 */
import { readers } from "../readers/mod.ts";

/** What the writer wrote. */
export interface PyArrowPayloads {
  /** One IPC stream per record batch (a Kafka or Redis payload each). */
  readonly messages: Uint8Array[];
  /** Every batch in one IPC file, and in one IPC stream. */
  readonly dumpFile: string;
  readonly dumpStream: string;
  /** The stream dump with ZSTD-compressed bodies, and with LZ4-compressed ones. */
  readonly dumpZstd: string;
  readonly dumpLz4: string;
  /** Each row as `read.py` prints a DuckDB row of the sink's output (exact integers as bigint). */
  readonly rows: Record<string, unknown>[];
  /** Epoch nanoseconds of `at_ns` by `id` (as text). */
  readonly atNs: Record<string, bigint>;
  /** Byte offsets in the stream dump where each batch's messages start. */
  readonly streamOffsets: number[];
  readonly count: number;
}

/** Writes `batches` batches of `rows` rows into `dir` (see `pyarrow_ipc.py` for the columns). */
export async function writePyArrowPayloads(dir: string, batches = 6, rows = 500): Promise<PyArrowPayloads> {
  const { python } = await readers();
  const script = new URL("./pyarrow_ipc.py", import.meta.url).pathname;
  const output = await new Deno.Command(python, { args: [script, dir, String(batches), String(rows)], stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`Cannot write the pyarrow payloads: ${new TextDecoder().decode(output.stderr).slice(-2000)}`);
  }
  const expected = JSON.parse(
    await Deno.readTextFile(`${dir}/expected.json`),
    exact as (key: string, value: unknown) => unknown,
  );
  const messages = [];
  for (let i = 0; i < batches; i++) {
    messages.push(await Deno.readFile(`${dir}/message-${String(i).padStart(3, "0")}.arrows`));
  }
  return {
    messages,
    dumpFile: `${dir}/dump.arrow`,
    dumpStream: `${dir}/dump.arrows`,
    dumpZstd: `${dir}/dump-zstd.arrows`,
    dumpLz4: `${dir}/dump-lz4.arrows`,
    rows: expected.rows,
    atNs: expected.at_ns,
    streamOffsets: expected.stream_offsets,
    count: expected.count,
  };
}

/** JSON reviver keeping integers beyond 2^53 exact (as bigint), as the readers do. */
function exact(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    const source = context?.source;
    if (source !== undefined && /^-?\d+$/.test(source)) return BigInt(source);
  }
  return value;
}
