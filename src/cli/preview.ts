/**
 * The `preview` command: reads up to `-n` records without acknowledging anything, runs them through the pipeline
 * into memory (`src/pipeline/preview.ts`), and prints where reading started, the schema of the files (Arrow and
 * Parquet types), the files a run would write, the first rows, and the records that cannot be decoded. Writes
 * nothing to the sink. Exit 0 once the records were read (undecodable records included: they are listed).
 * @module
 */
import type { LoadedConfig } from "../config/app_config.ts";
import type { ErrorPolicy } from "../config/pipeline_section.ts";
import type { PreviewFile, PreviewReport } from "../pipeline/preview.ts";
import { configureLogging, counted, parseLogLevel, rootLogger } from "../telemetry/log.ts";
import { EXIT } from "./exit.ts";

/** Records read by default (`-n`). */
export const DEFAULT_PREVIEW_RECORDS = 100;
/** Rows shown by default (`--rows`). */
export const DEFAULT_PREVIEW_ROWS = 5;

/** Options of {@linkcode previewCommand}. */
export interface PreviewCommandOptions {
  /** Writes the report; default the process stdout. */
  readonly stdout: (text: string) => void;
  /** Records to read at most; default {@linkcode DEFAULT_PREVIEW_RECORDS}. */
  readonly records?: number;
  /** Rows to show at most; default {@linkcode DEFAULT_PREVIEW_ROWS}. */
  readonly rows?: number;
  /** The preview engine; default `previewPipeline` from `src/pipeline/preview.ts` (for tests). */
  readonly preview?: typeof import("../pipeline/preview.ts").previewPipeline;
}

/** Runs the preview of a loaded configuration and prints it; returns the exit code. A read failure is thrown. */
export async function previewCommand(loaded: LoadedConfig, options: PreviewCommandOptions): Promise<number> {
  const { config } = loaded;
  const debug = parseLogLevel(config.telemetry.log_level) === "DEBUG";
  configureLogging({ level: debug ? "DEBUG" : "ERROR", format: config.telemetry.log_format });
  // Loaded on demand, like the run: validate, check and --help never load Arrow and Parquet.
  const preview = options.preview ?? (await import("../pipeline/preview.ts")).previewPipeline;
  const records = options.records ?? DEFAULT_PREVIEW_RECORDS;
  const report = await preview(config, {
    maxRecords: records,
    rows: options.rows ?? DEFAULT_PREVIEW_ROWS,
    log: rootLogger.child("preview"),
  });
  for (const line of formatPreview(report, { source: config.source.type, policy: config.pipeline.error_handling })) {
    options.stdout(line + "\n");
  }
  return EXIT.ok;
}

/** What {@linkcode formatPreview} says besides the report. */
export interface PreviewLabels {
  /** The source type. */
  readonly source: string;
  /** The configured `error_handling`, to say what a run does with undecodable records. */
  readonly policy: ErrorPolicy;
}

const POLICY_EFFECT: Record<ErrorPolicy, string> = {
  log: "a run logs and skips them, and exits 3",
  ignore: "a run skips them silently",
  raise: "a run stops at the first one with exit 1",
  dead_letter: "a run writes them to the dead-letter files listed above",
};

/** The report as lines of text; see the module doc. */
export function formatPreview(report: PreviewReport, labels: PreviewLabels): string[] {
  const lines = [
    `Preview of ${counted(report.messagesRead, "record")} from source ${labels.source} ` +
    "(nothing acknowledged, nothing written):",
    ...report.notes.map((note) => `  ${note}`),
  ];
  const data = report.files.filter((f) => f.kind === "data");
  if (report.messagesRead === 0) {
    lines.push("", "Nothing to read: a run would write no file now.");
    return lines;
  }
  for (const group of schemaGroups(data)) {
    const which = data.length === 1
      ? "the file"
      : group.files.length === data.length
      ? `all ${data.length} files`
      : `file${group.files.length === 1 ? "" : "s"} ${group.files.map((i) => i + 1).join(", ")}`;
    lines.push("", `Schema of ${which} (${counted(group.columns.length, "column")}; name, Arrow type, Parquet type):`);
    const nameWidth = Math.max(...group.columns.map((c) => c.name.length));
    const arrowWidth = Math.max(...group.columns.map((c) => c.arrow.length));
    for (const column of group.columns) {
      lines.push(`  ${column.name.padEnd(nameWidth)}  ${column.arrow.padEnd(arrowWidth)}  ${column.parquet}`);
    }
  }
  lines.push("", `Files a run would write (${report.files.length}):`);
  report.files.forEach((file, i) => {
    const what = file.kind === "data" ? counted(file.rows, "row") : `${counted(file.rows, "dead letter")}`;
    lines.push(`  ${i + 1}. ${file.location}  (${what}, ${counted(file.bytes, "byte")})`);
  });
  if (report.rows.length > 0) {
    lines.push("", `First ${counted(report.rows.length, "row")}:`);
    for (const row of report.rows) lines.push(`  ${JSON.stringify(row)}`);
  }
  if (report.failures.length > 0) {
    lines.push(
      "",
      `Undecodable records (${report.failures.length}; error_handling: ${labels.policy}: ${
        POLICY_EFFECT[labels.policy]
      }):`,
    );
    for (const failure of report.failures) lines.push(`  Cannot decode ${failure.origin}: ${failure.reason}`);
  }
  return lines;
}

/** Files grouped by identical columns (name and types), in file order, with their indexes. */
function schemaGroups(files: readonly PreviewFile[]): { columns: PreviewFile["columns"]; files: number[] }[] {
  const groups = new Map<string, { columns: PreviewFile["columns"]; files: number[] }>();
  files.forEach((file, i) => {
    const key = JSON.stringify(file.columns);
    const group = groups.get(key) ?? { columns: file.columns, files: [] };
    group.files.push(i);
    groups.set(key, group);
  });
  return [...groups.values()];
}
