/**
 * Decides the output folder of a record: an optional path template (`{year}/{month}/{day}/{topic}`, the Redpanda
 * collector's layout) followed by Hive-style `col=value/` folders for `partition_by`. `date` and `hour` come from the
 * configured timestamp field, else the source timestamp; records without a usable time, and null or empty values,
 * go to Hive's default partition (`__HIVE_DEFAULT_PARTITION__`).
 * @module
 */
import type { MetadataColumn, MetadataValue, SourceMessage } from "../core/source.ts";
import { DEFAULT_PARTITION, escapeSegment } from "./escape.ts";
import { type TimeParts, TimeZoneCalendar, toEpochMs } from "./record_time.ts";

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

/** Computes output folders; one instance per run. */
export class Partitioner {
  readonly #options: PartitionerOptions;
  readonly #calendar: TimeZoneCalendar;
  readonly #metadataIndex = new Map<string, number>();
  readonly #needsTime: boolean;
  readonly #template?: string;

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
    this.#needsTime = options.partitionBy.some((c) => c === "date" || c === "hour") ||
      /\{(year|month|day|hour|date)\}/.test(template ?? "");
  }

  /** True when no folder depends on the record (everything of a stream goes to one folder). */
  get isStatic(): boolean {
    return this.#options.partitionBy.length === 0 && !this.#needsTime && !/\{(topic|dataset|stream)\}/.test(
      this.#template ?? "",
    );
  }

  /** The folder (ending in `/`, or empty) for one decoded value of a message. */
  folderFor(value: unknown, message: SourceMessage): string {
    const time = this.#needsTime ? this.#timeParts(value, message) : undefined;
    let folder = this.#template ? this.#render(this.#template, time, message) + "/" : "";
    for (const column of this.#options.partitionBy) {
      folder += `${escapeSegment(column)}=${this.#partitionValue(column, value, message.metadata, time)}/`;
    }
    return folder;
  }

  #timeParts(value: unknown, message: SourceMessage): TimeParts | undefined {
    const field = this.#options.timestampField;
    const ms = field === undefined ? message.timestampMs : toEpochMs(this.#field(field, value, message.metadata));
    return ms === undefined || !Number.isFinite(ms) ? undefined : this.#calendar.parts(ms);
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

  #render(template: string, time: TimeParts | undefined, message: SourceMessage): string {
    return template.replace(TOKEN, (_all, token: string) => {
      switch (token) {
        case "year":
        case "month":
        case "day":
        case "hour":
          return time ? time[token] : DEFAULT_PARTITION;
        case "date":
          return time ? `${time.year}-${time.month}-${time.day}` : DEFAULT_PARTITION;
        case "stream":
          return escapeSegment(message.stream);
        default:
          return escapeSegment(datasetOf(message));
      }
    });
  }
}

/** The dataset of a message: its `dataset`, else its stream without a trailing `+<partition>`. */
export function datasetOf(message: SourceMessage): string {
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
