/**
 * The output layout: the one owner of every path the tool writes below a sink's root. Sinks never retype these
 * names; they get {@linkcode outputPaths} through their context ({@linkcode SinkContext.paths}).
 *
 * ```
 * <partition folders>/<stream>[~<generation>]+<first position>[.<n>].parquet   data files (the partitioner names the folders)
 * _dead_letter/<dataset>/<stream>[~<generation>]+<first position>.jsonl  records that could not be decoded
 * _fsds/journal/<stream>.json                                            write-ahead journal, one entry per stream
 * _fsds/probe/<uuid>                                                     connect probes, deleted at once
 * ```
 * Readers globbing `**\/*.parquet` never pick up the journal or dead letters (JSON, under `_`-prefixed folders that
 * Hive, Spark and Trino skip).
 * @module
 */
import type { OwnPaths } from "../core/sink.ts";
import { escapeSegment, escapeStream } from "../partition/escape.ts";

/** Folder of the tool's own bookkeeping (journal, probes), relative to the sink root. */
export const TOOL_FOLDER = "_fsds/";
/** Folder of journal entries, relative to the sink root. */
export const JOURNAL_FOLDER = `${TOOL_FOLDER}journal/`;
/** Folder of connect probes, relative to the sink root. */
export const PROBE_FOLDER = `${TOOL_FOLDER}probe/`;
/** Folder of dead letters, relative to the sink root. */
export const DEAD_LETTER_FOLDER = "_dead_letter/";
/** File-name ending of data files. */
export const DATA_FILE_SUFFIX = ".parquet";
/** File-name ending of dead-letter files. */
export const DEAD_LETTER_SUFFIX = ".jsonl";

/** The escaped stream name with its generation, if any: the stem of a batch's file names. */
export function fileStem(stream: string, generation: string): string {
  return escapeStream(stream) + (generation ? `~${generation}` : "");
}

/**
 * Name of a batch's data file in its folder: `<stem>+<first position>.parquet`; a later file of the same folder and
 * batch (`index` 1, 2, ...: rows of another schema followed rows already streamed) is `<stem>+<first position>.<index>.parquet`.
 */
export function dataFileName(stem: string, first: string, index = 0): string {
  return `${stem}+${first}${index === 0 ? "" : `.${index}`}${DATA_FILE_SUFFIX}`;
}

/** Path of the dead-letter file of a batch; `stem` is from {@linkcode fileStem}. */
export function deadLetterPath(dataset: string, stem: string, first: string): string {
  return `${DEAD_LETTER_FOLDER}${escapeSegment(dataset)}/${stem}+${first}${DEAD_LETTER_SUFFIX}`;
}

/** Path of a stream's journal entry. */
export function journalPath(stream: string): string {
  return `${JOURNAL_FOLDER}${escapeStream(stream)}.json`;
}

/** A fresh path for a connect probe. */
export function probePath(): string {
  return `${PROBE_FOLDER}${crypto.randomUUID()}`;
}

/** Whether the tool wrote `path` (a data file, a dead letter, a journal entry or a probe). */
export function isOwnPath(path: string): boolean {
  return path.endsWith(DATA_FILE_SUFFIX) || path.startsWith(TOOL_FOLDER) || path.startsWith(DEAD_LETTER_FOLDER);
}

/** What a sink is told of the layout. */
export const outputPaths: OwnPaths = { isOwnPath, probePath, probeFolder: PROBE_FOLDER };
