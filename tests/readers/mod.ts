/**
 * Independent Parquet readers for tests: DuckDB, pyarrow and ClickHouse (chdb), run through `read.py` in the venv
 * that {@linkcode installReaders} prepares. Each returns the column names and types the reader sees, and the rows as
 * JSON-like values normalised by `read.py`: integers beyond 2^53 come back as exact `bigint`s, timestamps as
 * `"YYYY-MM-DDTHH:MM:SS.ffffffZ"` text, bytes as base64 text, NaN/Infinity as the strings `"NaN"`/`"Infinity"`.
 * @module
 */
import { installReaders, type ReadersInstallation } from "./install.ts";

export { installReaders } from "./install.ts";

/** A column as a reader sees it: its name and the reader's own type name (`BIGINT`, `timestamp[us, tz=UTC]`...). */
export interface ReaderColumn {
  readonly name: string;
  readonly type: string;
}

/** What a reader read. */
export interface ReaderResult {
  readonly columns: ReaderColumn[];
  readonly rows: Record<string, unknown>[];
}

let installation: Promise<ReadersInstallation> | null = null;

/** Installs (once per process) and returns the readers' installation. */
export function readers(): Promise<ReadersInstallation> {
  installation ??= installReaders();
  return installation;
}

interface ReviverContext {
  readonly source?: string;
}

function exactReviver(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    const source = context?.source;
    if (source !== undefined && /^-?\d+$/.test(source)) return BigInt(source);
  }
  return value;
}

async function runReader(args: string[]): Promise<ReaderResult> {
  const { python } = await readers();
  const script = new URL("./read.py", import.meta.url).pathname;
  const output = await new Deno.Command(python, { args: [script, ...args], stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`Cannot read with ${args[0]}: ${decoder.decode(output.stderr).trim().slice(-2000)}`);
  }
  return JSON.parse(decoder.decode(output.stdout), exactReviver as (key: string, value: unknown) => unknown);
}

/** Options of {@linkcode readWithDuckDB}. */
export interface DuckDBReadOptions {
  /** Read `col=value` folders as columns (DuckDB's `hive_partitioning`). Default false. */
  readonly hivePartitioning?: boolean;
  /** Query over the view `data` (all files, `union_by_name`). Default `SELECT * FROM data`. */
  readonly sql?: string;
}

/** Reads Parquet files (paths or globs) with DuckDB, `union_by_name = true`. */
export function readWithDuckDB(
  paths: string | readonly string[],
  options: DuckDBReadOptions = {},
): Promise<ReaderResult> {
  const args = ["duckdb"];
  if (options.hivePartitioning) args.push("--hive");
  if (options.sql) args.push("--sql", options.sql);
  args.push(...(typeof paths === "string" ? [paths] : paths));
  return runReader(args);
}

/** Reads one Parquet file with pyarrow. */
export function readWithPyArrow(path: string): Promise<ReaderResult> {
  return runReader(["pyarrow", path]);
}

/** Runs a query on embedded ClickHouse (chdb), e.g. `SELECT * FROM file('/tmp/x.parquet', Parquet)`. */
export function queryClickHouse(sql: string): Promise<ReaderResult> {
  return runReader(["clickhouse", sql]);
}

/** Reads one Parquet file with ClickHouse; `ORDER BY` an expression when row order matters. */
export function readWithClickHouse(path: string, orderBy?: string): Promise<ReaderResult> {
  const quoted = path.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
  const order = orderBy ? ` ORDER BY ${orderBy}` : "";
  // Denormals quoted so that NaN and Infinity come back as "nan" and "inf" instead of null.
  return queryClickHouse(
    `SELECT * FROM file('${quoted}', Parquet)${order} SETTINGS output_format_json_quote_denormals = 1`,
  );
}

/** A Parquet file's footer as pyarrow reads it. */
export interface ParquetMetadata {
  readonly num_rows: number;
  readonly created_by: string;
  readonly row_groups: {
    readonly num_rows: number;
    readonly columns: {
      readonly path: string;
      readonly compression: string;
      readonly has_statistics: boolean;
      readonly null_count: number | null;
      readonly min: unknown;
      readonly max: unknown;
      readonly encodings: string[];
    }[];
  }[];
}

/** Reads a Parquet file's footer (row groups, codecs, statistics, encodings) with pyarrow. */
export async function readParquetMetadata(path: string): Promise<ParquetMetadata> {
  return await runReader(["metadata", path]) as unknown as ParquetMetadata;
}

/** Which readers are installed (ClickHouse is optional). */
export async function availableReaders(): Promise<ReadersInstallation["available"]> {
  return (await readers()).available;
}
