/**
 * Decides the output folder of a record: an optional path template (`{year}/{month}/{day}/{topic}`, the Redpanda
 * collector's layout) followed by Hive-style `col=value/` folders for `partition_by`. `date` and `hour` come from the
 * configured timestamp field, else the source timestamp; records without a usable time, and null or empty values,
 * go to Hive's default partition (`__HIVE_DEFAULT_PARTITION__`).
 * @module
 */
import type { MetadataColumn, MetadataValue, SourceMessage } from "../core/source.ts";

import { DEFAULT_PARTITION, escapeSegment } from "./escape.ts";
import { timeBucket, type TimeParts, TimeZoneCalendar, toEpochMs } from "./record_time.ts";

/** What the partitioner reads of a message. */
export type PartitionedMessage = Pick<SourceMessage, "stream" | "dataset" | "metadata" | "timestampMs">;

/** Reads the flattened column `column` of a decoded value (see `src/arrow/lookup.ts`). */
export type FieldLookup = (value: unknown, column: string) => unknown;

/** Options of {@linkcode Partitioner}. */
export interface PartitionerOptions {
  /** Columns to partition by; `date` (YYYY-MM-DD) and `hour` (HH) are derived from the record time. */
  readonly partitionBy: readonly string[];
  /** Folder template rendered before the Hive folders; tokens listed in {@linkcode TEMPLATE_TOKENS}. */
  readonly pathTemplate?: string;
  /** Field holding the record time; default: the source timestamp. */
  readonly timestampField?: string;
  /** IANA time zone for date/hour and template tokens. Default `UTC`. */
  readonly timezone?: string;
  /** The source's metadata columns, so `partition_by` can name them (e.g. `kafka_topic`). */
  readonly metadataColumns: readonly MetadataColumn[];
  /** Reads a flattened column from a decoded value. */
  readonly lookup: FieldLookup;
}

/** Tokens a path template may use. `{topic}` and `{dataset}` are the stream's dataset (Kafka topic, Redis key). */
export const TEMPLATE_TOKENS = ["year", "month", "day", "hour", "date", "topic", "dataset", "stream"] as const;
const TOKEN = /\{([a-z_]+)\}/g;

/** Folders remembered at most (leaves and inner maps of the cache); past it the cache starts over. */
const MAX_CACHED = 4096;
/** Longer string values are not cache keys (their folder is computed each time), so the cache stays small. */
const MAX_KEY_LENGTH = 256;

type TemplateToken = typeof TEMPLATE_TOKENS[number];
/** A piece of a compiled path template: literal text, or a token. */
type Piece = { readonly text: string; readonly token?: undefined } | { readonly token: TemplateToken };
/** What a level of the folder cache is keyed by. */
type Level = { readonly kind: "stream" } | { readonly kind: "dataset" } | { readonly kind: "field"; column: string };
type CacheNode = Map<unknown, unknown>;

/**
 * Computes output folders; one instance per run. A folder depends only on the record's time bucket (see
 * `timeBucket`), its stream and dataset when the template names them, and the raw values of the `partition_by`
 * fields, so folders are remembered by those (a bounded cache), and a record whose folder was seen costs a few map
 * lookups instead of rendering and escaping.
 */
export class Partitioner {
  readonly #options: PartitionerOptions;
  readonly #calendar: TimeZoneCalendar;
  readonly #metadataIndex = new Map<string, number>();
  readonly #needsTime: boolean;
  readonly #template?: string;
  readonly #pieces: readonly Piece[] | undefined;
  /** `escapeSegment(column) + "="` of each `partition_by` column. */
  readonly #prefixes: readonly string[];
  readonly #levels: readonly Level[];
  #cache: CacheNode = new Map();
  #cached = 0;

  /** @throws {RangeError} for an unknown template token or time zone. */
  constructor(options: PartitionerOptions) {
    this.#options = options;
    this.#calendar = new TimeZoneCalendar(options.timezone ?? "UTC");
    options.metadataColumns.forEach((c, i) => this.#metadataIndex.set(c.name, i));
    const template = options.pathTemplate?.replace(/^\/+|\/+$/g, "");
    for (const [, token] of template?.matchAll(TOKEN) ?? []) {
      if (!(TEMPLATE_TOKENS as readonly string[]).includes(token!)) {
        throw new RangeError(`Cannot use path template "${template}": unknown token "{${token}}"`);
      }
    }
    this.#template = template || undefined;
    this.#pieces = this.#template === undefined ? undefined : compile(this.#template);
    this.#needsTime = options.partitionBy.some((c) => c === "date" || c === "hour") ||
      /\{(year|month|day|hour|date)\}/.test(template ?? "");
    this.#prefixes = options.partitionBy.map((column) => `${escapeSegment(column)}=`);
    const tokens = new Set(this.#pieces?.map((piece) => piece.token));
    const levels: Level[] = [];
    if (tokens.has("stream") || tokens.has("topic") || tokens.has("dataset")) levels.push({ kind: "stream" });
    if (tokens.has("topic") || tokens.has("dataset")) levels.push({ kind: "dataset" });
    for (const column of options.partitionBy) {
      if (column !== "date" && column !== "hour") levels.push({ kind: "field", column });
    }
    this.#levels = levels;
  }

  /** True when no folder depends on the record (everything of a stream goes to one folder). */
  get isStatic(): boolean {
    return this.#options.partitionBy.length === 0 && !this.#needsTime && !/\{(topic|dataset|stream)\}/.test(
      this.#template ?? "",
    );
  }

  /** Entries held by the folder cache (folders and inner maps), at most 4096; for tests and diagnostics. */
  get cachedFolders(): number {
    return this.#cached;
  }

  /** The folder (ending in `/`, or empty) for one decoded value of a message. */
  folderFor(value: unknown, message: PartitionedMessage): string {
    const bucket = this.#needsTime ? this.#bucket(value, message) : undefined;
    // Walk the cache: one level per input the folder depends on, the time bucket first.
    let node = this.#cache;
    let key: unknown = bucket;
    const levels = this.#levels;
    for (let i = 0; i < levels.length; i++) {
      let next = node.get(key) as CacheNode | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(key, next);
        this.#cached++;
      }
      node = next;
      key = this.#keyOf(levels[i]!, value, message);
      if (!isCacheKey(key)) return this.#compute(value, message, bucket);
    }
    const found = node.get(key);
    if (found !== undefined) return found as string;
    const folder = this.#compute(value, message, bucket);
    if (++this.#cached > MAX_CACHED) {
      this.#cache = new Map();
      this.#cached = 0;
    } else {
      node.set(key, folder);
    }
    return folder;
  }

  #keyOf(level: Level, value: unknown, message: PartitionedMessage): unknown {
    switch (level.kind) {
      case "stream":
        return message.stream;
      case "dataset":
        return message.dataset; // with the stream (the level above), this decides datasetOf(message)
      case "field":
        return this.#field(level.column, value, message.metadata);
    }
  }

  /** The folder, computed from scratch. */
  #compute(value: unknown, message: PartitionedMessage, bucket: number | undefined): string {
    const time = bucket === undefined ? undefined : this.#calendar.partsOfBucket(bucket);
    let folder = this.#pieces ? this.#render(this.#pieces, time, message) + "/" : "";
    const partitionBy = this.#options.partitionBy;
    for (let i = 0; i < partitionBy.length; i++) {
      folder += `${this.#prefixes[i]}${this.#partitionValue(partitionBy[i]!, value, message.metadata, time)}/`;
    }
    return folder;
  }

  #bucket(value: unknown, message: PartitionedMessage): number | undefined {
    const field = this.#options.timestampField;
    const ms = field === undefined ? message.timestampMs : toEpochMs(this.#field(field, value, message.metadata));
    return ms === undefined || !Number.isFinite(ms) ? undefined : timeBucket(ms);
  }

  #field(column: string, value: unknown, metadata: readonly MetadataValue[]): unknown {
    const index = this.#metadataIndex.get(column);
    return index === undefined ? this.#options.lookup(value, column) : metadata[index];
  }

  #partitionValue(
    column: string,
    value: unknown,
    metadata: readonly MetadataValue[],
    time: TimeParts | undefined,
  ): string {
    if (column === "date" || column === "hour") {
      if (time === undefined) return DEFAULT_PARTITION;
      return column === "date" ? `${time.year}-${time.month}-${time.day}` : time.hour;
    }
    return formatValue(this.#field(column, value, metadata));
  }

  #render(pieces: readonly Piece[], time: TimeParts | undefined, message: PartitionedMessage): string {
    let out = "";
    for (const piece of pieces) {
      switch (piece.token) {
        case undefined:
          out += piece.text;
          break;
        case "year":
        case "month":
        case "day":
        case "hour":
          out += time ? time[piece.token] : DEFAULT_PARTITION;
          break;
        case "date":
          out += time ? `${time.year}-${time.month}-${time.day}` : DEFAULT_PARTITION;
          break;
        case "stream":
          out += escapeSegment(message.stream);
          break;
        default:
          out += escapeSegment(datasetOf(message));
      }
    }
    return out;
  }
}

/** Splits a template into literal text and (already validated) tokens. */
function compile(template: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    if (match.index > last) pieces.push({ text: template.slice(last, match.index) });
    pieces.push({ token: match[1] as TemplateToken });
    last = match.index + match[0].length;
  }
  if (last < template.length) pieces.push({ text: template.slice(last) });
  return pieces;
}

/** Can this raw value key the folder cache? Primitives can (short strings only); objects are new per record. */
function isCacheKey(key: unknown): boolean {
  switch (typeof key) {
    case "string":
      return key.length <= MAX_KEY_LENGTH;
    case "number":
    case "boolean":
    case "undefined":
      return true;
    case "bigint":
      return key >= -0x8000_0000_0000_0000n && key <= 0xffff_ffff_ffff_ffffn;
    default:
      return key === null;
  }
}

/** The dataset of a message: its `dataset`, else its stream without a trailing `+<partition>`. */
export function datasetOf(message: PartitionedMessage): string {
  if (message.dataset !== undefined) return message.dataset;
  const plus = message.stream.lastIndexOf("+");
  return plus > 0 ? message.stream.slice(0, plus) : message.stream;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return DEFAULT_PARTITION;
  if (typeof value === "string") return escapeSegment(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return escapeSegment(String(value));
  }
  if (value instanceof Date) return escapeSegment(value.toISOString());
  return escapeSegment(JSON.stringify(value) ?? "");
}
