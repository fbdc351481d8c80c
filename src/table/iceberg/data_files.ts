/**
 * Names of a table's data and manifest files. Data files:
 * `<table>/data/<partition folders>/<stem>+<first position>.<written at>-<8 hex>.parquet`.
 * The batch's usual name keeps files findable by stream and position; the write time and a random tag make every
 * file new, so a batch written again after a lost commit never overwrites a file that a snapshot may name, and tell
 * the age of an orphan (a file no snapshot names) without asking the sink. Manifests
 * (`metadata/<written at>-<8 hex>-m0.avro`) and manifest lists (`metadata/snap-<snapshot id>-<written at>-<8 hex>.avro`)
 * carry the write time too, so those of commits that lost their race are deleted once old enough.
 * @module
 */
import { DATA_FOLDER, METADATA_FOLDER } from "./table_store.ts";

const SUFFIX = ".parquet";
const UNIQUE = /\.(\d{8}T\d{6}Z)-[0-9a-f]{8}\.parquet$/;

/** Path of a new data file of the table in `tableFolder` (ending in `/`), in partition `folder`, from `name`. */
export function dataFilePath(tableFolder: string, folder: string, name: string): string {
  return `${tableFolder}${DATA_FOLDER}${folder}${stemOf(name)}.${stamp(new Date())}-${tag()}${SUFFIX}`;
}

/** A new unique path beside a data file's `path` (same folder and stem). */
export function renamedDataFile(path: string): string {
  return `${stemOf(path)}.${stamp(new Date())}-${tag()}${SUFFIX}`;
}

/** When a data file named by {@linkcode dataFilePath} was written (ms since epoch); undefined for other names. */
export function writtenAt(path: string): number | undefined {
  const match = UNIQUE.exec(path);
  if (!match) return undefined;
  const t = match[1]!;
  return Date.parse(
    `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`,
  );
}

/** Path of a new manifest of the table in `tableFolder` (ending in `/`). */
export function manifestPath(tableFolder: string): string {
  return `${tableFolder}${METADATA_FOLDER}${stamp(new Date())}-${tag()}-m0.avro`;
}

/** Path of a new manifest list of snapshot `snapshotId` of the table in `tableFolder`. */
export function manifestListPath(tableFolder: string, snapshotId: number): string {
  return `${tableFolder}${METADATA_FOLDER}snap-${snapshotId}-${stamp(new Date())}-${tag()}.avro`;
}

/** When a manifest or manifest list named by this module was written (ms since epoch); undefined for others. */
export function manifestWrittenAt(path: string): number | undefined {
  const match = /\/(?:snap-\d+-)?(\d{8}T\d{6}Z)-[0-9a-f]{8}(?:-m0)?\.avro$/.exec(path);
  return match ? parseStamp(match[1]!) : undefined;
}

function parseStamp(t: string): number {
  return Date.parse(
    `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`,
  );
}

function stemOf(name: string): string {
  return name.replace(UNIQUE, "").replace(/\.parquet$/, "");
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

function tag(): string {
  return [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
