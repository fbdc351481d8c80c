/**
 * The `compact` command: for each Iceberg table of the sink (the one `sink.table` names, every table found under the
 * sink root, or `--table`), rewrites the small files of each partition into large ones in one `replace` snapshot,
 * then expires snapshots older than `--retain` and deletes the files nothing reaches any more (orphans of commits
 * that never happened included, once older than `--older-than`). Prints one line per table.
 * @module
 */
import type { LoadedConfig } from "../config/app_config.ts";
import { ConfigError } from "../core/errors.ts";
import { findSink } from "../core/registry.ts";
import type { Sink } from "../core/sink.ts";
import { outputPaths } from "../pipeline/layout.ts";
import {
  compactTable,
  expireTable,
  parquetEncoder,
  RestCatalog,
  tableCatalog,
  tableFolder,
  TableStore,
} from "../table/iceberg/mod.ts";
import { configureLogging, parseLogLevel, rootLogger } from "../telemetry/log.ts";
import { EXIT } from "./exit.ts";
import { COMPACT_FLAGS, type CompactFlag } from "./flags.ts";

/** Options of {@linkcode compactCommand}. */
export interface CompactCommandOptions {
  readonly stdout: (text: string) => void;
  /** The flags given (`--older-than`, `--target-file-size`, `--retain`, `--table`); defaults in `COMPACT_FLAGS`. */
  readonly flags?: Partial<Record<CompactFlag, string>>;
}

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const UNITS_BYTES: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses `90s`, `30m`, `1h`, `2d` (or a number of seconds) as milliseconds; a ConfigError names the flag. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(text.trim());
  if (!match) throw new ConfigError(`Invalid --${flag} "${text}": expected a duration such as 30m, 1h or 2d`);
  return Number(match[1]) * UNITS_MS[(match[2] || "s").toLowerCase()]!;
}

/** Parses `256MiB`, `1GiB`, `100MB` (or bytes) as bytes; a ConfigError names the flag. */
export function parseSize(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i.exec(text.trim());
  const bytes = match ? Number(match[1]) * UNITS_BYTES[(match[2] ?? "").toLowerCase()]! : NaN;
  if (!(bytes >= 1)) throw new ConfigError(`Invalid --${flag} "${text}": expected a size such as 256MiB or 1GiB`);
  return Math.round(bytes);
}

/** Runs `compact`; resolves to the exit code. */
export async function compactCommand(loaded: LoadedConfig, options: CompactCommandOptions): Promise<number> {
  const { config } = loaded;
  configureLogging({ level: parseLogLevel(config.telemetry.log_level), format: config.telemetry.log_format });
  if (config.sink.table_format !== "iceberg") {
    throw new ConfigError(`Cannot compact: sink.table_format is "${config.sink.table_format ?? "parquet"}"`, {
      hint: "compact works on Iceberg tables: set sink.table_format: iceberg",
    });
  }
  const flag = (name: CompactFlag) => options.flags?.[name] ?? COMPACT_FLAGS[name];
  const olderThanMs = parseDuration("older-than", flag("older-than"));
  const targetFileBytes = parseSize("target-file-size", flag("target-file-size"));
  const retainMs = parseDuration("retain", flag("retain"));
  const plugin = findSink(config.sink.type);
  if (!plugin) throw new ConfigError(`Unknown sink type "${config.sink.type}"`);
  const log = rootLogger.child("compact");
  const sink = await plugin.create(config.sink, { log: rootLogger.child(`sink.${plugin.type}`), paths: outputPaths });
  try {
    await sink.connect();
    const only = flag("table") ?? config.sink.table;
    const catalog = tableCatalog(config.sink, log.child("catalog"));
    const stores = only
      ? [new TableStore(sink, tableFolder({ ...config.sink, table: only }, only), { catalog, name: only })]
      : catalog instanceof RestCatalog
      ? await catalogTables(sink, catalog)
      : (await tablesOf(sink)).map((folder) => new TableStore(sink, folder));
    const encode = parquetEncoder(config.sink);
    for (const store of stores) {
      const compacted = await compactTable(store, { olderThanMs, targetFileBytes, encode, log });
      const expired = await expireTable(store, { retainMs, orphanGraceMs: olderThanMs, log });
      options.stdout(
        `${store.location}: ${compacted.filesBefore} -> ${compacted.filesAfter} data files ` +
          `(${compacted.rewritten} rewritten into ${compacted.written}); ${expired.snapshotsExpired} snapshots expired, ` +
          `${expired.filesDeleted + expired.orphansDeleted} files deleted (${expired.orphansDeleted} orphans)\n`,
      );
    }
    if (stores.length === 0) options.stdout(`No Iceberg table under ${sink.describe("")}\n`);
    return EXIT.ok;
  } finally {
    await sink.close();
  }
}

/** The table folders under the sink root (folders holding `metadata/v<N>.metadata.json`). */
async function tablesOf(sink: Sink): Promise<string[]> {
  const folders = new Set<string>();
  for (const entry of await sink.list("")) {
    const match = /^(.+\/)metadata\/v\d+\.metadata\.json$/.exec(entry.path);
    if (match && !match[1]!.includes("/data/")) folders.add(match[1]!);
  }
  return [...folders].sort();
}

/** The tables of the REST catalog's namespace whose location is under the sink root. */
async function catalogTables(sink: Sink, catalog: RestCatalog): Promise<TableStore[]> {
  const stores: TableStore[] = [];
  const probe = new TableStore(sink, "");
  for (const table of await catalog.tables()) {
    let folder: string;
    try {
      folder = probe.pathOf(`${table.location.replace(/\/+$/, "")}/`);
    } catch {
      continue;
    }
    stores.push(new TableStore(sink, folder, { catalog, name: table.name }));
  }
  return stores;
}
