import { equal, throws } from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import { parseDuration, parseSize } from "./compact.ts";
import { parseCommandLine } from "./flags.ts";

Deno.test("parseDuration() and parseSize() read compact's flags and name the flag they refuse", () => {
  equal(parseDuration("older-than", "90s"), 90_000);
  equal(parseDuration("older-than", "1h"), 3_600_000);
  equal(parseDuration("retain", "2d"), 172_800_000);
  equal(parseDuration("retain", "0"), 0);
  equal(parseSize("target-file-size", "256MiB"), 256 * 1024 * 1024);
  equal(parseSize("target-file-size", "1GB"), 1e9);
  throws(() => parseDuration("older-than", "soon"), /Invalid --older-than "soon"/);
  throws(() => parseSize("target-file-size", "big"), ConfigError);
});

Deno.test("parseCommandLine() takes compact's flags for compact only", () => {
  const line = parseCommandLine(["compact", "--config", "c.yaml", "--older-than", "2h", "--table", "orders"]);
  equal(line.command, "compact");
  equal(line.compact?.["older-than"], "2h");
  equal(line.compact?.table, "orders");
  throws(() => parseCommandLine(["run", "--retain", "1d"]), /applies to compact only/);
});
