/**
 * Independent Iceberg readers for tests: pyiceberg (loads the table from a metadata file) and ClickHouse (chdb's
 * `icebergLocal` / `icebergS3`), run through `iceberg.py` in the readers' venv (see `install.ts`).
 * @module
 */
import { readers } from "./mod.ts";

/** What pyiceberg read of a table's current snapshot. */
export interface PyIcebergTable {
  readonly rows: number;
  /** Data files of the current snapshot. */
  readonly files: number;
  readonly snapshots: number;
  readonly schema_id: number;
  readonly columns: { readonly id: number; readonly name: string; readonly type: string }[];
  /** The current snapshot's summary (without `operation`). */
  readonly summary: Record<string, string>;
  readonly operation: string | null;
  /** Distinct values of the id column, when one was named. */
  readonly distinct_ids?: number;
  /** Every column's values, rows sorted by the id column, when one was named. */
  readonly values?: Record<string, unknown[]>;
  /** Rows and planned files of a scan with the row filter asked for (files left by the manifests' statistics). */
  readonly filtered?: { readonly rows: number; readonly files: number };
}

/** S3 access for pyiceberg and ClickHouse. */
export interface IcebergS3Access {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

async function run(args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const { python } = await readers();
  const script = new URL("./iceberg.py", import.meta.url).pathname;
  const output = await new Deno.Command(python, { args: [script, ...args], env, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `Cannot read the Iceberg table with ${args[0]}: ${decoder.decode(output.stderr).trim().slice(-2000)}`,
    );
  }
  return JSON.parse(decoder.decode(output.stdout));
}

/** The newest `vN.metadata.json` of a table in a local folder. */
export async function latestMetadataFile(tableFolder: string): Promise<string> {
  let best = 0;
  for await (const entry of Deno.readDir(`${tableFolder}/metadata`)) {
    const match = /^v(\d+)\.metadata\.json$/.exec(entry.name);
    if (match) best = Math.max(best, Number(match[1]));
  }
  if (best === 0) throw new Error(`No metadata in "${tableFolder}/metadata"`);
  return `${tableFolder}/metadata/v${best}.metadata.json`;
}

/** The environment `iceberg.py` reads its S3 access from. */
function s3Env(s3: IcebergS3Access | undefined): Record<string, string> {
  if (!s3) return {};
  return {
    FSDS_TEST_S3_ENDPOINT: s3.endpoint,
    FSDS_TEST_S3_ACCESS_KEY: s3.accessKey,
    FSDS_TEST_S3_SECRET_KEY: s3.secretKey,
  };
}

/** Loads a table from its metadata file (a local path or an `s3://` URL) with pyiceberg and scans it. */
export async function readWithPyIceberg(
  metadataFile: string,
  options: { idColumn?: string; s3?: IcebergS3Access; values?: boolean; filter?: string } = {},
): Promise<PyIcebergTable> {
  const args = ["pyiceberg", metadataFile];
  if (options.idColumn) args.push(options.idColumn);
  if (options.values === false) args.push("--no-values");
  if (options.filter !== undefined) args.push("--filter", options.filter);
  const env = s3Env(options.s3);
  return await run(args, env) as PyIcebergTable;
}

/** Loads a table through an Iceberg REST catalog with pyiceberg's REST client and scans it. */
export async function readWithPyIcebergRest(
  catalogUri: string,
  identifier: string,
  options: { idColumn?: string; s3?: IcebergS3Access } = {},
): Promise<PyIcebergTable & { readonly metadata_location: string }> {
  const args = ["pyiceberg-rest", catalogUri, identifier];
  if (options.idColumn) args.push(options.idColumn);
  const env = s3Env(options.s3);
  return await run(args, env) as PyIcebergTable & { readonly metadata_location: string };
}

/** Counts a table's rows (and distinct ids) with ClickHouse: `icebergLocal(folder)`, `icebergHDFS(hdfs://...)` or `icebergS3(url, ...)`. */
export async function countWithClickHouse(
  location: string,
  options: { idColumn?: string; s3?: IcebergS3Access } = {},
): Promise<{ rows: number; distinct_ids?: number }> {
  const args = ["clickhouse", location];
  if (options.idColumn) args.push(options.idColumn);
  if (options.s3) args.push("--s3", options.s3.accessKey, options.s3.secretKey);
  return await run(args) as { rows: number; distinct_ids?: number };
}
