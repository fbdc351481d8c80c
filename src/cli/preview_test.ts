import assert, { deepEqual as assertEquals, throws } from "node:assert/strict";
import "../config/test_plugins.ts";
import { ConfigError } from "../core/errors.ts";
import type { PreviewOptions, PreviewReport } from "../pipeline/preview.ts";
import { parseCommandLine } from "./flags.ts";
import { runCli } from "./mod.ts";
import { formatPreview } from "./preview.ts";

const ENV = { SOURCE_TYPE: "test-src", TEST_TOPICS: "orders", SINK_TYPE: "test-sink", TEST_BUCKET: "lake" };
const columns = [
  { name: "kafka_offset", arrow: "Int64", parquet: "INT64" },
  { name: "px", arrow: "Float64", parquet: "DOUBLE" },
];
const REPORT: PreviewReport = {
  messagesRead: 3,
  notes: ["orders+0: from the group's committed offset 10 (offsets 10..13, 3 to read)"],
  files: [
    { kind: "data", path: "a.parquet", location: "s3://lake/a.parquet", rows: 2, bytes: 900, columns },
    { kind: "data", path: "b.parquet", location: "s3://lake/b.parquet", rows: 1, bytes: 800, columns },
  ],
  rows: [{ kafka_offset: 10, px: 1.5 }],
  failures: [{ origin: 'topic "orders" partition 0 offset 12', reason: "invalid JSON" }],
};

Deno.test("formatPreview() prints notes, one schema for files alike, numbered locations, rows and failures", () => {
  assertEquals(formatPreview(REPORT, { source: "kafka", policy: "log" }), [
    "Preview of 3 records from source kafka (nothing acknowledged, nothing written):",
    "  orders+0: from the group's committed offset 10 (offsets 10..13, 3 to read)",
    "",
    "Schema of all 2 files (2 columns; name, Arrow type, Parquet type):",
    "  kafka_offset  Int64    INT64",
    "  px            Float64  DOUBLE",
    "",
    "Files a run would write (2):",
    "  1. s3://lake/a.parquet  (2 rows, 900 bytes)",
    "  2. s3://lake/b.parquet  (1 row, 800 bytes)",
    "",
    "First 1 row:",
    '  {"kafka_offset":10,"px":1.5}',
    "",
    "Undecodable records (1; error_handling: log: a run logs and skips them, and exits 3):",
    '  Cannot decode topic "orders" partition 0 offset 12: invalid JSON',
  ]);
});

Deno.test("formatPreview() tells files of different schemas apart and says when there is nothing to read", () => {
  const other = [{ name: "kafka_offset", arrow: "Int64", parquet: "INT64" }];
  const lines = formatPreview(
    { ...REPORT, files: [REPORT.files[0]!, { ...REPORT.files[1]!, columns: other }], failures: [] },
    { source: "kafka", policy: "raise" },
  );
  assert(lines.includes("Schema of file 1 (2 columns; name, Arrow type, Parquet type):"), lines.join("\n"));
  assert(lines.includes("Schema of file 2 (1 column; name, Arrow type, Parquet type):"), lines.join("\n"));
  const empty = formatPreview({ ...REPORT, messagesRead: 0, files: [], rows: [], failures: [] }, {
    source: "redis",
    policy: "log",
  });
  assertEquals(empty.slice(-1), ["Nothing to read: a run would write no file now."]);
});

Deno.test("runCli() preview passes -n and --rows to the preview and prints its report", async () => {
  const seen: PreviewOptions[] = [];
  const out: string[] = [];
  const code = await runCli(["preview", "-n", "7", "--rows", "2"], {
    env: ENV,
    stdout: (t) => out.push(t),
    stderr: () => {},
    preview: (_config, options) => {
      seen.push(options);
      return Promise.resolve(REPORT);
    },
  });
  assertEquals(code, 0);
  assertEquals([seen[0]?.maxRecords, seen[0]?.rows], [7, 2]);
  assert(out.join("").includes("Files a run would write (2):"));
  await runCli(["preview"], {
    env: ENV,
    stdout: () => {},
    stderr: () => {},
    preview: (_c, o) => {
      seen.push(o);
      return Promise.resolve(REPORT);
    },
  });
  assertEquals([seen[1]?.maxRecords, seen[1]?.rows], [100, 5]);
});

Deno.test("parseCommandLine() takes -n and --rows for preview only, as whole numbers of at least 1", () => {
  assertEquals(parseCommandLine(["preview", "-n", "20"]).records, 20);
  assertEquals(parseCommandLine(["preview", "--records=3", "--rows", "1"]).rows, 1);
  assertEquals(parseCommandLine(["check", "-c", "x.yaml"]).command, "check");
  for (const args of [["preview", "-n", "0"], ["preview", "-n", "2.5"], ["preview", "--rows", "x"], ["-n", "5"]]) {
    throws(() => parseCommandLine(args), (error: unknown) => error instanceof ConfigError, args.join(" "));
  }
});
