/**
 * For tests only: the partitioner and the escaping as they were before folders were cached (rendered per record
 * with a regex replace, escaped character by character, measured with a TextEncoder). The tests check that today's
 * code gives byte-identical folders.
 * @module
 */
import type { MetadataValue, SourceMessage } from "../core/source.ts";
import { fnv1a } from "./escape.ts";
import type { PartitionerOptions } from "./partitioner.ts";
import { type TimeParts, TimeZoneCalendar, toEpochMs } from "./record_time.ts";

const DEFAULT = "__HIVE_DEFAULT_PARTITION__";
const encoder = new TextEncoder();
const TOKEN = /\{([a-z_]+)\}/g;

/** `escapeSegment()` as it was. */
export function referenceEscape(value: string): string {
  if (value.length === 0) return DEFAULT;
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    const escaped = code < 0x20 || code === 0x7f || "\"#%'*/:=?\\{[]^+".includes(String.fromCharCode(code));
    if (code < 0x80 && escaped) out += "%" + code.toString(16).toUpperCase().padStart(2, "0");
    else if (code >= 0xd800 && code <= 0xdfff) out += "%EF%BF%BD";
    else out += char;
  }
  if (out === "." || out === "..") out = out.replaceAll(".", "%2E");
  if (encoder.encode(out).length > 200) {
    let cut = "";
    for (const char of out) {
      if (encoder.encode(cut + char).length > 182) break;
      cut += char;
    }
    out = `${cut}~${fnv1a(out)}`;
  }
  return out;
}

function format(value: unknown): string {
  if (value === null || value === undefined || value === "") return DEFAULT;
  if (typeof value === "string") return referenceEscape(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return referenceEscape(String(value));
  }
  if (value instanceof Date) return referenceEscape(value.toISOString());
  return referenceEscape(JSON.stringify(value) ?? "");
}

/** `Partitioner.folderFor()` as it was: everything computed for every record. */
export function referenceFolder(options: PartitionerOptions): (value: unknown, message: SourceMessage) => string {
  const calendar = new TimeZoneCalendar(options.timezone ?? "UTC");
  const index = new Map(options.metadataColumns.map((c, i) => [c.name, i]));
  const template = options.pathTemplate?.replace(/^\/+|\/+$/g, "") || undefined;
  const needsTime = options.partitionBy.some((c) => c === "date" || c === "hour") ||
    /\{(year|month|day|hour|date)\}/.test(template ?? "");
  const field = (column: string, value: unknown, metadata: readonly MetadataValue[]) => {
    const i = index.get(column);
    return i === undefined ? options.lookup(value, column) : metadata[i];
  };
  const dataset = (m: SourceMessage) => {
    if (m.dataset !== undefined) return m.dataset;
    const plus = m.stream.lastIndexOf("+");
    return plus > 0 ? m.stream.slice(0, plus) : m.stream;
  };
  return (value, message) => {
    let time: TimeParts | undefined;
    if (needsTime) {
      const ts = options.timestampField;
      const ms = ts === undefined ? message.timestampMs : toEpochMs(field(ts, value, message.metadata));
      time = ms === undefined || !Number.isFinite(ms) ? undefined : calendar.parts(ms);
    }
    let folder = template === undefined ? "" : template.replace(TOKEN, (_all, token: string) => {
      switch (token) {
        case "year":
        case "month":
        case "day":
        case "hour":
          return time ? time[token] : DEFAULT;
        case "date":
          return time ? `${time.year}-${time.month}-${time.day}` : DEFAULT;
        case "stream":
          return referenceEscape(message.stream);
        default:
          return referenceEscape(dataset(message));
      }
    }) + "/";
    for (const column of options.partitionBy) {
      let part: string;
      if (column === "date" || column === "hour") {
        part = time === undefined ? DEFAULT : column === "date" ? `${time.year}-${time.month}-${time.day}` : time.hour;
      } else {
        part = format(field(column, value, message.metadata));
      }
      folder += `${referenceEscape(column)}=${part}/`;
    }
    return folder;
  };
}
