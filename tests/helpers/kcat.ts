/**
 * kcat (librdkafka's command-line client, Debian package `kcat`): an independent producer for Kafka tests, so topics
 * are filled with every record-batch codec exactly as librdkafka writes them, not only by our own client.
 * @module
 */
import { endpoints } from "../services/endpoints.ts";

/** Record-batch codecs kcat writes with `-z`. */
export const KCAT_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
/** A codec kcat writes. */
export type KcatCodec = typeof KCAT_CODECS[number];

let installed: Promise<void> | undefined;

async function hasKcat(): Promise<boolean> {
  try {
    return (await new Deno.Command("kcat", { args: ["-V"], stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

async function aptGet(args: string[]): Promise<void> {
  const out = await new Deno.Command("apt-get", { args, env: { DEBIAN_FRONTEND: "noninteractive" } }).output();
  if (!out.success) throw new Error(`apt-get ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Installs kcat from Debian's packages when it is missing (once per process). */
export function ensureKcat(): Promise<void> {
  installed ??= (async () => {
    if (await hasKcat()) return;
    await aptGet(["update", "-q"]);
    await aptGet(["install", "-y", "-q", "--no-install-recommends", "kcat"]);
  })();
  return installed;
}

/** Where and how kcat connects: brokers (default the kit's plain listener) and librdkafka `-X` properties. */
export interface KcatConnection {
  readonly brokers?: readonly string[];
  readonly properties?: Readonly<Record<string, string>>;
}

/** Produces `key:value` lines (one record each, keys set) to `topic` with kcat, compressed with `codec`. */
export async function kcatProduce(
  topic: string,
  lines: readonly string[],
  codec: KcatCodec,
  connection: KcatConnection = {},
): Promise<void> {
  await ensureKcat();
  const brokers = connection.brokers ?? endpoints().kafka.brokers;
  const properties = Object.entries(connection.properties ?? {}).flatMap(([key, value]) => ["-X", `${key}=${value}`]);
  const file = await Deno.makeTempFile({ prefix: "fsds-kcat-", suffix: ".txt" });
  try {
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const out = await new Deno.Command("kcat", {
      args: ["-P", "-b", brokers.join(","), ...properties, "-t", topic, "-z", codec, "-K:", "-l", file],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`kcat -P -z ${codec} failed: ${new TextDecoder().decode(out.stderr)}`);
  } finally {
    await Deno.remove(file);
  }
}

/** `count` seed-shaped market-data lines `key:json` (the seed's event_type/source/data/metadata shape), ids from `start`. */
export function marketDataLines(count: number, start = 0): string[] {
  const symbols = ["AAPL", "MSFT", "NVDA", "流:事件"];
  return Array.from({ length: count }, (_, n) => {
    const id = start + n;
    const record = {
      id,
      event_type: "market_data",
      source: "ibkr",
      data: { symbol: symbols[id % 4], bid: 150.25 + (id % 100) / 100, ask: 150.3, volume: id * 10 },
      metadata: { exchange: "NASDAQ", timestamp: new Date(Date.UTC(2025, 9, 17, 10, 30) + id * 1000).toISOString() },
    };
    return `sym-${id % 7}:${JSON.stringify(record)}`;
  });
}
