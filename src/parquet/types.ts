/**
 * The Parquet type an Arrow column is written as by the writer (`writer.ts`, arrow-rs inside parquet-wasm), for
 * `fs-data-sink preview`: the physical type and its logical annotation, e.g. `INT64 TIMESTAMP(MICROS, UTC)` or
 * `BYTE_ARRAY STRING`; nested types as `LIST<...>`, `MAP<..., ...>` and `STRUCT<name: ..., ...>`. Pure.
 * @module
 */
import { type DataType, type Field, TimeUnit, Type } from "apache-arrow";

const UNITS: Record<number, string> = {
  [TimeUnit.SECOND]: "MILLIS", // arrow-rs writes second timestamps as milliseconds
  [TimeUnit.MILLISECOND]: "MILLIS",
  [TimeUnit.MICROSECOND]: "MICROS",
  [TimeUnit.NANOSECOND]: "NANOS",
};

/** The Parquet type of an Arrow type, as written (see the module doc). */
export function parquetTypeOf(type: DataType): string {
  switch (type.typeId) {
    case Type.Null:
      return "INT32 UNKNOWN";
    case Type.Bool:
      return "BOOLEAN";
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      const physical = bitWidth === 64 ? "INT64" : "INT32";
      return bitWidth === 64 && isSigned
        ? physical
        : `${physical} INT(${bitWidth}, ${isSigned ? "signed" : "unsigned"})`;
    }
    case Type.Float: {
      const precision = (type as unknown as { precision: number }).precision;
      return precision === 2 ? "DOUBLE" : precision === 1 ? "FLOAT" : "FIXED_LEN_BYTE_ARRAY(2) FLOAT16";
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return "BYTE_ARRAY STRING";
    case Type.Binary:
    case Type.LargeBinary:
      return "BYTE_ARRAY";
    case Type.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: number; timezone: string | null };
      return `INT64 TIMESTAMP(${UNITS[unit] ?? "MICROS"}, ${timezone ? "UTC" : "local"})`;
    }
    case Type.Date:
      return "INT32 DATE";
    case Type.List:
      return `LIST<${parquetTypeOf(childType(type, 0))}>`;
    case Type.Map: {
      const entries = (type as unknown as { children: Field[] }).children[0]?.type;
      const [key, value] = ((entries as unknown as { children?: Field[] })?.children ?? []).map((f) => f.type);
      return `MAP<${key ? parquetTypeOf(key) : "?"}, ${value ? parquetTypeOf(value) : "?"}>`;
    }
    case Type.Struct: {
      const fields = (type as unknown as { children: Field[] }).children;
      return `STRUCT<${fields.map((f) => `${f.name}: ${parquetTypeOf(f.type)}`).join(", ")}>`;
    }
    case Type.Dictionary:
      return parquetTypeOf((type as unknown as { dictionary: DataType }).dictionary);
    default:
      return String(type);
  }
}

function childType(type: DataType, index: number): DataType {
  const child = (type as unknown as { children: Field[] }).children[index];
  if (!child) throw new TypeError(`Cannot name the Parquet type of ${String(type)}: it has no child ${index}`);
  return child.type;
}
