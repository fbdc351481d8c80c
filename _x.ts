import { Decoder, encode } from "@msgpack/msgpack";
import { quoteData } from "./tests/helpers/bench.ts";
const N = 200_000;
const rec = (i: number) => ({
  event_type: "quote",
  source: "bench",
  id: i,
  data: quoteData(i),
  metadata: { exchange: "NASDAQ", note: "padding-padding-padding" },
  ts: 1_700_000_000_000 + i,
});
const mp = Array.from({ length: N }, (_, i) => encode(rec(i)));
const mode = Deno.args[0];
const dec = new Decoder({ useBigInt64: mode !== "nobig", rawStrings: mode === "raw" });
let sink = 0;
const before = (Deno as any).memoryUsage?.();
for (let round = 0; round < 5; round++) {
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const v = dec.decode(mp[i]!) as any;
    sink += v.id;
  }
  console.log(mode, round, (performance.now() - t).toFixed(0), "ms");
}
