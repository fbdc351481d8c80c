import { throws } from "node:assert/strict";
import { checkCompressionLevel } from "./compression.ts";

Deno.test("checkCompressionLevel() accepts each codec's own range", () => {
  checkCompressionLevel("gzip", 9);
  checkCompressionLevel("brotli", 11);
  checkCompressionLevel("zstd", 1);
  checkCompressionLevel("lz4", undefined);
  throws(() => checkCompressionLevel("gzip", 10), /0\.\.9/);
  throws(() => checkCompressionLevel("brotli", 1.5), /0\.\.11/);
  throws(() => checkCompressionLevel("zstd", 99), /1\.\.22/);
  throws(() => checkCompressionLevel("snappy", 3), /no levels/);
});
