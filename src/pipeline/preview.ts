/**
 * `fs-data-sink preview`: what a run would make of the next records, with nothing acknowledged and nothing written.
 * The source plugin's `peek` reads the records without acknowledging them; the real {@linkcode Pipeline} then
 * decodes, flattens, partitions, cuts and encodes them exactly as a run does, into an in-memory sink that only
 * captures the files (the real sink is built, never connected: it only names the locations). The Parquet files are
 * read back for their schema and first rows, so what is shown is what the files would hold.
 *
 * Differences from a run, by design: undecodable records are collected whatever `error_handling` says (a run with
 * `raise` would stop at the first); the journal is not read, so files of a recreated Kafka topic would get a
 * generation suffix in a run that the preview does not show; `max_batches` and `max_messages` do not apply.
 * @module
 */
import type { Table } from "apache-arrow";
import type { AppConfig } from "../config/app_config.ts";
import { ConfigError } from "../core/errors.ts";
import type { Logger, LogLevel } from "../core/logger.ts";
import type { Peek } from "../core/peek.ts";
import { findSink, findSource } from "../core/registry.ts";
import type { Sink, SinkEntry } from "../core/sink.ts";
import type { MetadataColumn, ReadOptions, ReadResult, Source, SourceMessage } from "../core/source.ts";
import { decodeParquet } from "../parquet/writer.ts";
import { parquetTypeOf } from "../parquet/types.ts";
import { DEAD_LETTER_FOLDER, DEAD_LETTER_SUFFIX, outputPaths } from "./layout.ts";
import { Pipeline } from "./pipeline.ts";

/** Options of {@linkcode previewPipeline}. */
export interface PreviewOptions {
  /** Records (messages) to read at most. */
  readonly maxRecords: number;
  /** Rows to show at most; default 5. */
  readonly rows?: number;
  /** How long reading may wait for records, ms; default 15000. */
  readonly timeoutMs?: number;
  /** Logger of the plugins; default none (silent). */
  readonly log?: Logger;
}

/** One column of a file that would be written. */
export interface PreviewColumn {
  readonly name: string;
  /** Arrow type, e.g. `Int64`, `Timestamp<MICROSECOND, UTC>`. */
  readonly arrow: string;
  /** Parquet type, e.g. `INT64`, `INT64 TIMESTAMP(MICROS, UTC)`. */
  readonly parquet: string;
}

/** A file a run would write. */
export interface PreviewFile {
  /** Path relative to the sink root (from the pipeline's layout). */
  readonly path: string;
  /** Full location, as the sink names it (e.g. `s3://bucket/prefix/path`). */
  readonly location: string;
  /** Rows of a data file; records of a dead-letter file. */
  readonly rows: number;
  /** Encoded size. */
  readonly bytes: number;
  /** The file's columns (data files; empty for dead letters). */
  readonly columns: readonly PreviewColumn[];
  /** A data file (Parquet) or a dead-letter file (JSON lines, with `error_handling: dead_letter`). */
  readonly kind: "data" | "dead_letter";
}

/** A record that could not be decoded, named as elsewhere (`Cannot decode topic "t" partition 0 offset 5: ...`). */
export interface PreviewFailure {
  /** E.g. `topic "orders" partition 0 offset 5`. */
  readonly origin: string;
  readonly reason: string;
}

/** What {@linkcode previewPipeline} found. */
export interface PreviewReport {
  /** Messages read from the source. */
  readonly messagesRead: number;
  /** Where reading started, per stream, as the source tells. */
  readonly notes: readonly string[];
  /** Files a run would write, data first, in path order. */
  readonly files: readonly PreviewFile[];
  /** The first rows of the data files, values as JSON-safe plain values. */
  readonly rows: readonly Record<string, unknown>[];
  /** Records that could not be decoded. */
  readonly failures: readonly PreviewFailure[];
}

const DEFAULT_ROWS = 5;
const DEFAULT_TIMEOUT_MS = 15_000;

/** Reads, decodes and lays out up to `maxRecords` records as a run would; acknowledges and writes nothing. */
export async function previewPipeline(config: AppConfig, options: PreviewOptions): Promise<PreviewReport> {
  const sourcePlugin = findSource(config.source.type);
  const sinkPlugin = findSink(config.sink.type);
  if (!sourcePlugin) throw new ConfigError(`Unknown source type "${config.source.type}"`);
  if (!sinkPlugin) throw new ConfigError(`Unknown sink type "${config.sink.type}"`);
  const log = options.log ?? silentLogger("fs_data_sink.preview");
  const peek = await sourcePlugin.peek(config.source, {
    maxMessages: options.maxRecords,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    log: log.child(`source.${sourcePlugin.type}`),
  });
  const target = await sinkPlugin.create(config.sink, {
    log: log.child(`sink.${sinkPlugin.type}`),
    paths: outputPaths,
  });
  const sink = new CaptureSink((path) => target.describe(path));
  try {
    const pipeline = new Pipeline(new PeekSource(peek), sink, {
      pipeline: {
        ...config.pipeline,
        // Every undecodable record is kept (as a dead letter in memory) to be listed, whatever the policy says.
        error_handling: "dead_letter",
        max_batches: null,
        max_messages: null,
        write_retry_seconds: 0,
        // A preview reads a few records: threads would cost more to start than they save.
        workers: 0,
      },
      sink: config.sink,
      valueFormat: config.source.value_format,
      recordsPerFile: config.source.batch_size,
      log: log.child("pipeline"),
    });
    const summary = await pipeline.run(new AbortController().signal);
    return {
      messagesRead: summary.messagesRead,
      notes: peek.notes,
      ...readBack(sink, config.pipeline.error_handling === "dead_letter", options.rows ?? DEFAULT_ROWS),
    };
  } finally {
    await target.close().catch(() => {});
  }
}

function readBack(
  sink: CaptureSink,
  listDeadLetters: boolean,
  maxRows: number,
): Pick<PreviewReport, "files" | "rows" | "failures"> {
  const files: PreviewFile[] = [];
  const letters: PreviewFile[] = [];
  const rows: Record<string, unknown>[] = [];
  const failures: PreviewFailure[] = [];
  for (const [path, data] of [...sink.files].sort(([a], [b]) => a.localeCompare(b))) {
    const location = sink.describe(path);
    if (path.startsWith(DEAD_LETTER_FOLDER) && path.endsWith(DEAD_LETTER_SUFFIX)) {
      const lines = new TextDecoder().decode(data).split("\n").filter((line) => line !== "");
      for (const line of lines) {
        const letter = JSON.parse(line) as { origin: string; reason: string };
        failures.push({ origin: letter.origin, reason: letter.reason });
      }
      const file: PreviewFile = {
        path,
        location,
        rows: lines.length,
        bytes: data.length,
        columns: [],
        kind: "dead_letter",
      };
      if (listDeadLetters) letters.push(file);
      continue;
    }
    if (!outputPaths.isOwnPath(path) || path.startsWith("_")) continue;
    const table = decodeParquet(data);
    const columns = table.schema.fields.map((field) => ({
      name: field.name,
      arrow: String(field.type),
      parquet: parquetTypeOf(field.type),
    }));
    files.push({ path, location, rows: table.numRows, bytes: data.length, columns, kind: "data" });
    rows.push(...plainRows(table, maxRows - rows.length));
  }
  return { files: [...files, ...letters], rows, failures };
}

/** The first `limit` rows of a table as plain values (see {@linkcode plainValue}). */
export function plainRows(table: Table, limit: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < Math.min(limit, table.numRows); i++) {
    const row: Record<string, unknown> = {};
    for (const field of table.schema.fields) {
      row[field.name] = plainValue(table.getChild(field.name)?.get(i), String(field.type));
    }
    out.push(row);
  }
  return out;
}

/**
 * A cell as a JSON-safe value: int64 as a number when it is safe, else its decimal text; timestamps as ISO-8601
 * text; bytes as `base64:<...>`; lists as arrays; maps and structs as objects.
 */
export function plainValue(value: unknown, type = ""): unknown {
  if (value === null || value === undefined) return null;
  if (type.startsWith("Timestamp") && (typeof value === "number" || typeof value === "bigint")) {
    // Arrow JS reads timestamps as milliseconds since the epoch, whatever the unit.
    return new Date(Number(value)).toISOString();
  }
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return `base64:${btoa(String.fromCharCode(...value))}`;
  if (typeof value !== "object") return value;
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), plainValue(v)]));
  }
  if (Symbol.iterator in value && typeof (value as { toArray?: unknown }).toArray === "function") {
    const items = [...(value as Iterable<unknown>)];
    // An Arrow map reads as a vector of [key, value] entries.
    if (type.startsWith("Map")) {
      return Object.fromEntries(items.map((entry) => {
        const pair = entry as { key?: unknown; value?: unknown; toJSON?: () => unknown } | unknown[];
        if (Array.isArray(pair)) return [String(pair[0]), plainValue(pair[1])];
        return [String(pair.key), plainValue(pair.value)];
      }));
    }
    return items.map((item) => plainValue(item));
  }
  const json = (value as { toJSON?: () => unknown }).toJSON?.() ?? value;
  if (json === value) return value;
  return plainValue(json, type);
}

/** A source over what a peek read: hands the messages out, then ends; acknowledges nothing. */
class PeekSource implements Source {
  readonly metadataColumns: readonly MetadataColumn[];
  /** No journal: positions are not acknowledged anywhere, and the journal is not consulted. */
  readonly durableAcks = false;
  readonly #peek: Peek;
  #next = 0;

  constructor(peek: Peek) {
    this.#peek = peek;
    this.metadataColumns = peek.metadataColumns;
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  read(options: ReadOptions): Promise<ReadResult> {
    const messages = this.#peek.messages;
    if (this.#next >= messages.length) return Promise.resolve({ kind: "end" });
    const batch = messages.slice(this.#next, this.#next + Math.max(1, options.maxMessages));
    this.#next += batch.length;
    return Promise.resolve({ kind: "messages", messages: batch });
  }

  ack(): Promise<void> {
    return Promise.resolve();
  }

  comparePositions(a: string, b: string): number {
    return this.#peek.comparePositions?.(a, b) ?? (a < b ? -1 : a > b ? 1 : 0);
  }

  describe(message: SourceMessage): string {
    return this.#peek.describe(message);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A sink that keeps what is written in memory, for the preview; locations are named by the real sink. */
class CaptureSink implements Sink {
  readonly files = new Map<string, Uint8Array>();
  readonly #describe: (path: string) => string;

  constructor(describe: (path: string) => string) {
    this.#describe = describe;
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  write(path: string, data: Uint8Array): Promise<void> {
    this.files.set(path, data);
    return Promise.resolve();
  }

  read(path: string): Promise<Uint8Array | null> {
    return Promise.resolve(this.files.get(path) ?? null);
  }

  list(prefix: string): Promise<SinkEntry[]> {
    const entries = [...this.files].filter(([path]) => path.startsWith(prefix));
    return Promise.resolve(entries.map(([path, data]) => ({ path, size: data.length })));
  }

  delete(path: string): Promise<void> {
    this.files.delete(path);
    return Promise.resolve();
  }

  describe(path: string): string {
    return this.#describe(path);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A logger that writes nothing. */
function silentLogger(name: string): Logger {
  const off = () => {};
  return {
    name,
    child: (suffix: string) => silentLogger(`${name}.${suffix}`),
    enabled: (_level: LogLevel) => false,
    debug: off,
    info: off,
    warn: off,
    error: off,
    critical: off,
  };
}
