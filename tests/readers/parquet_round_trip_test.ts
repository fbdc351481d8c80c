/**
 * Round trip: decoded payloads -> BatchBuilder -> encodeParquet -> files read back by independent readers (DuckDB,
 * pyarrow, ClickHouse via chdb), for every codec, comparing values and column types.
 * @module
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Table } from "apache-arrow";
import { BatchBuilder } from "../../src/arrow/batch_builder.ts";
import { SchemaMemory } from "../../src/arrow/schema_memory.ts";
import { decodePayload } from "../../src/codec/mod.ts";
import type { FlattenSection } from "../../src/config/pipeline_section.ts";
import { COMPRESSIONS } from "../../src/core/plugin.ts";
import type { MetadataColumn, MetadataValue } from "../../src/core/source.ts";
import { encodeParquet } from "../../src/parquet/writer.ts";
import {
  availableReaders,
  queryClickHouse,
  readParquetMetadata,
  readWithClickHouse,
  readWithDuckDB,
  readWithPyArrow,
} from "./mod.ts";

const FLATTEN: FlattenSection = {
  separator: "_",
  max_depth: 8,
  hoist_key: "data",
  lists: "list",
  value_column: "value",
};
const METADATA: MetadataColumn[] = [
  { name: "kafka_topic", type: "utf8" },
  { name: "kafka_partition", type: "int32" },
  { name: "kafka_offset", type: "int64" },
  { name: "kafka_timestamp", type: "timestamp_ms" },
  { name: "kafka_key", type: "binary" },
  { name: "kafka_headers", type: "map_utf8" },
];

const MESSAGES = [
  '{"event_type":"md","data":{"symbol":"AAPL","bid":150.25,"volume":1000000},"id":9007199254740993,' +
  '"meta":{"exchange":"流:事件","at":"2025-10-17T10:30:00.123456Z"},"tags":[1,2],"ok":true,"x":NaN,' +
  '"huge":18446744073709551615}',
  '{"event_type":"trade","data":{"symbol":"MSFT","bid":1,"volume":-5},"id":-9223372036854775808,' +
  '"meta":{"exchange":null,"at":"2025-10-17T12:30:00+02:00"},"tags":[],"ok":false,"x":Infinity,"huge":1,' +
  '"late":"x"}',
  '{"event_type":null,"data":{"symbol":"GOOG"},"tags":[3]}',
];

const META_VALUES: MetadataValue[][] = [
  ["orders", 3, 2n ** 62n, 1_760_697_000_123, new Uint8Array([0xff, 0x00]), { trace: "t1" }],
  ["orders", 3, 12n, 1_760_697_000_124, null, null],
  ["orders", 3, 13n, null, new Uint8Array([0x6b]), {}],
];

/** Rows as DuckDB and pyarrow give them (after read.py's normalisation). */
const EXPECTED_ROWS: Record<string, unknown>[] = [
  {
    kafka_topic: "orders",
    kafka_partition: 3,
    kafka_offset: 2n ** 62n,
    kafka_timestamp: "2025-10-17T10:30:00.123000Z",
    kafka_key: "/wA=",
    kafka_headers: { trace: "t1" },
    event_type: "md",
    symbol: "AAPL",
    bid: 150.25,
    volume: 1000000,
    id: 9007199254740993n,
    meta_exchange: "流:事件",
    meta_at: "2025-10-17T10:30:00.123456Z",
    tags: [1, 2],
    ok: true,
    x: "NaN",
    huge: "18446744073709551615",
    late: null,
  },
  {
    kafka_topic: "orders",
    kafka_partition: 3,
    kafka_offset: 12,
    kafka_timestamp: "2025-10-17T10:30:00.124000Z",
    kafka_key: null,
    kafka_headers: null,
    event_type: "trade",
    symbol: "MSFT",
    bid: 1,
    volume: -5,
    id: -9223372036854775808n,
    meta_exchange: null,
    meta_at: "2025-10-17T10:30:00.000000Z",
    tags: [],
    ok: false,
    x: "Infinity",
    huge: "1",
    late: "x",
  },
  {
    kafka_topic: "orders",
    kafka_partition: 3,
    kafka_offset: 13,
    kafka_timestamp: null,
    kafka_key: "aw==",
    kafka_headers: {},
    event_type: null,
    symbol: "GOOG",
    bid: null,
    volume: null,
    id: null,
    meta_exchange: null,
    meta_at: null,
    tags: [3],
    ok: null,
    x: null,
    huge: null,
    late: null,
  },
];

const DUCKDB_TYPES = {
  kafka_topic: "VARCHAR",
  kafka_partition: "INTEGER",
  kafka_offset: "BIGINT",
  kafka_timestamp: "TIMESTAMP WITH TIME ZONE",
  kafka_key: "BLOB",
  kafka_headers: "MAP(VARCHAR, VARCHAR)",
  event_type: "VARCHAR",
  symbol: "VARCHAR",
  bid: "DOUBLE",
  volume: "BIGINT",
  id: "BIGINT",
  meta_exchange: "VARCHAR",
  meta_at: "TIMESTAMP WITH TIME ZONE",
  tags: "BIGINT[]",
  ok: "BOOLEAN",
  x: "DOUBLE",
  huge: "VARCHAR",
  late: "VARCHAR",
};

const PYARROW_TYPES = {
  kafka_topic: "string",
  kafka_partition: "int32",
  kafka_offset: "int64",
  kafka_timestamp: "timestamp[ms, tz=UTC]",
  kafka_key: "binary",
  kafka_headers: "map<string, string ('kafka_headers')>",
  event_type: "string",
  symbol: "string",
  bid: "double",
  volume: "int64",
  id: "int64",
  meta_exchange: "string",
  meta_at: "timestamp[us, tz=UTC]",
  tags: "list<item: int64>",
  ok: "bool",
  x: "double",
  huge: "string",
  late: "string",
};

const CLICKHOUSE_TYPES = {
  kafka_topic: "Nullable(String)",
  kafka_partition: "Nullable(Int32)",
  kafka_offset: "Nullable(Int64)",
  kafka_timestamp: "Nullable(DateTime64(3, 'UTC'))",
  kafka_key: "Nullable(String)",
  kafka_headers: "Map(String, Nullable(String))",
  event_type: "Nullable(String)",
  symbol: "Nullable(String)",
  bid: "Nullable(Float64)",
  volume: "Nullable(Int64)",
  id: "Nullable(Int64)",
  meta_exchange: "Nullable(String)",
  meta_at: "Nullable(DateTime64(6, 'UTC'))",
  tags: "Array(Nullable(Int64))",
  ok: "Nullable(Bool)",
  x: "Nullable(Float64)",
  huge: "Nullable(String)",
  late: "Nullable(String)",
};

function buildTable(): Table {
  const builder = new BatchBuilder({ metadataColumns: METADATA, flatten: FLATTEN });
  MESSAGES.forEach((text, i) => {
    const decoded = decodePayload(new TextEncoder().encode(text), "json");
    if (decoded.kind === "error") throw new Error(decoded.reason);
    if (decoded.kind !== "values") throw new Error(`expected values, got ${decoded.kind}`);
    assertEquals(builder.append(decoded.values[0], META_VALUES[i] as MetadataValue[]), { kind: "ok" });
  });
  return builder.finish() as Table;
}

function typesOf(columns: { name: string; type: string }[]): Record<string, string> {
  return Object.fromEntries(columns.map((column) => [column.name, column.type]));
}

/** ClickHouse's JSON: times as `YYYY-MM-DD HH:MM:SS.fff[fff]`, no null maps or arrays, bytes as raw text. */
function asClickHouse(row: Record<string, unknown>): Record<string, unknown> {
  const time = (value: unknown, digits: number) =>
    typeof value === "string" ? value.replace("T", " ").replace("Z", "").slice(0, 20 + digits) : value;
  const x = row.x === "NaN" ? "nan" : row.x === "Infinity" ? "inf" : row.x;
  const { kafka_key: _key, ...rest } = row;
  return {
    ...rest,
    kafka_timestamp: time(row.kafka_timestamp, 3),
    meta_at: time(row.meta_at, 6),
    kafka_headers: row.kafka_headers ?? {},
    tags: row.tags ?? [],
    x,
    key_b64: row.kafka_key ?? null,
  };
}

async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, bytes);
  return path;
}

for (const compression of COMPRESSIONS) {
  Deno.test(`parquet written with ${compression} reads back equal in DuckDB, pyarrow and ClickHouse`, async () => {
    const path = await tempFile(encodeParquet(buildTable(), { compression, rowGroupSize: 2 }));
    try {
      const duck = await readWithDuckDB(path);
      assertEquals(typesOf(duck.columns), DUCKDB_TYPES);
      assertEquals(duck.rows, EXPECTED_ROWS);

      const arrow = await readWithPyArrow(path);
      assertEquals(typesOf(arrow.columns), PYARROW_TYPES);
      assertEquals(arrow.rows, EXPECTED_ROWS);

      assert((await availableReaders()).clickhouse, "chdb (ClickHouse) is not installed in the readers' venv");
      const house = await readWithClickHouse(path, "kafka_offset");
      assertEquals(typesOf(house.columns), CLICKHOUSE_TYPES);
      const keys = await queryClickHouse(
        `SELECT base64Encode(kafka_key) AS key_b64 FROM file('${path}', Parquet) ORDER BY kafka_offset`,
      );
      const byOffset = [...EXPECTED_ROWS].sort((a, b) =>
        Number(BigInt(a.kafka_offset as number) - BigInt(b.kafka_offset as number))
      );
      assertEquals(
        house.rows.map((row, i) => {
          const { kafka_key: _raw, ...rest } = row;
          const key = (keys.rows[i] as { key_b64: string }).key_b64;
          return { ...rest, key_b64: key === "" && byOffset[i]?.kafka_key === null ? null : key };
        }),
        byOffset.map(asClickHouse),
      );

      const footer = await readParquetMetadata(path);
      assertEquals(footer.num_rows, 3);
      assertEquals(footer.row_groups.map((group) => group.num_rows), [2, 1]);
      const codec = {
        snappy: "SNAPPY",
        gzip: "GZIP",
        brotli: "BROTLI",
        zstd: "ZSTD",
        lz4: "LZ4", // pyarrow names LZ4_RAW "LZ4" (and the deprecated Hadoop-framed codec "LZ4_HADOOP")
        none: "UNCOMPRESSED",
      };
      for (const group of footer.row_groups) {
        for (const column of group.columns) assertEquals(column.compression, codec[compression], column.path);
      }
      const bid = footer.row_groups[0]?.columns.find((column) => column.path === "bid");
      assertEquals([bid?.has_statistics, bid?.min, bid?.max, bid?.null_count], [true, 1, 150.25, 0]);
    } finally {
      await Deno.remove(path);
    }
  });
}

Deno.test("dictionary encoding is off, chosen per column from a sample, or on for every column", async () => {
  const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN });
  for (let i = 0; i < 1000; i++) builder.append({ side: i % 2 ? "buy" : "sell", id: `id-${i}` }, []);
  const table = builder.finish() as Table;
  for (const dictionary of ["auto", "off", "on"] as const) {
    const path = await tempFile(encodeParquet(table, { compression: "snappy", rowGroupSize: 10_000, dictionary }));
    try {
      const footer = await readParquetMetadata(path);
      const encodings = Object.fromEntries(
        (footer.row_groups[0]?.columns ?? []).map((
          column,
        ) => [column.path, column.encodings.includes("RLE_DICTIONARY")]),
      );
      assertEquals(encodings, { side: dictionary !== "off", id: dictionary === "on" });
      assertEquals((await readWithDuckDB(path, { sql: "SELECT count(*) AS n FROM data" })).rows, [{ n: 1000 }]);
    } finally {
      await Deno.remove(path);
    }
  }
});

Deno.test("files of one run with widened types read together in DuckDB with union_by_name and hive folders", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const schema = new SchemaMemory();
    const write = async (folder: string, rows: unknown[]) => {
      const builder = new BatchBuilder({ metadataColumns: [], flatten: FLATTEN, schema });
      for (const row of rows) builder.append(row, []);
      await Deno.mkdir(`${dir}/${folder}`, { recursive: true });
      await Deno.writeFile(
        `${dir}/${folder}/part.parquet`,
        encodeParquet(builder.finish() as Table, { compression: "zstd", rowGroupSize: 100 }),
      );
    };
    await write("kind=a", [{ n: 1, price: 1 }, { n: 2, price: 2 }]);
    await write("kind=b", [{ n: 3, price: 2.5, extra: "e" }]);
    await write("kind=c", [{ n: 4, price: 3 }]); // SchemaMemory: price stays float64 here
    const result = await readWithDuckDB(`${dir}/*/*.parquet`, {
      hivePartitioning: true,
      sql: "SELECT kind, n, price, extra FROM data ORDER BY n",
    });
    assertEquals(typesOf(result.columns), { kind: "VARCHAR", n: "BIGINT", price: "DOUBLE", extra: "VARCHAR" });
    assertEquals(result.rows, [
      { kind: "a", n: 1, price: 1, extra: null },
      { kind: "a", n: 2, price: 2, extra: null },
      { kind: "b", n: 3, price: 2.5, extra: "e" },
      { kind: "c", n: 4, price: 3, extra: null },
    ]);
    const third = await readWithPyArrow(`${dir}/kind=c/part.parquet`);
    assertEquals(typesOf(third.columns), { n: "int64", price: "double" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
