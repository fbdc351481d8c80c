/**
 * The levels each Parquet codec takes, checked without loading the WebAssembly writer (so `validate` and `--help`
 * stay fast). The codec names themselves are part of the sink contract (`COMPRESSIONS` in core/plugin.ts).
 * @module
 */
import type { Compression } from "../core/plugin.ts";

const LEVEL_RANGES: Partial<Record<Compression, readonly [number, number]>> = {
  gzip: [0, 9],
  brotli: [0, 11],
  zstd: [1, 22],
};

/** Checks a codec level: a RangeError names the codec and its valid range. Pure; for config validation too. */
export function checkCompressionLevel(compression: Compression, level: number | undefined): void {
  if (level === undefined) return;
  const range = LEVEL_RANGES[compression];
  if (!range) throw new RangeError(`Cannot use compression level ${level} with "${compression}": it has no levels`);
  if (!Number.isInteger(level) || level < range[0] || level > range[1]) {
    throw new RangeError(
      `Cannot use compression level ${level} with "${compression}": expected an integer in ${range[0]}..${range[1]}`,
    );
  }
}
