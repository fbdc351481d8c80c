/**
 * Iceberg's schema model (format version 2) and how Arrow types map onto it. Each column of a data file is an Iceberg
 * field with an id; the ids go into the Parquet schema as `PARQUET:field_id` Arrow field metadata (arrow-rs, and so
 * parquet-wasm, writes them as Parquet field ids), so readers resolve columns by id, never by name.
 *
 * | Arrow                                   | Iceberg                |
 * | --------------------------------------- | ---------------------- |
 * | Bool                                    | boolean                |
 * | Int8, Int16, Int32, Uint8, Uint16       | int                    |
 * | Int64, Uint32                           | long                   |
 * | Float16, Float32 / Float64              | float / double         |
 * | Decimal(p, s), p <= 38                  | decimal(p, s)          |
 * | Utf8, LargeUtf8 / Binary, LargeBinary   | string / binary        |
 * | FixedSizeBinary(n)                      | fixed[n]               |
 * | Date32, Date64                          | date                   |
 * | Time (any unit)                         | time                   |
 * | Timestamp with / without a zone         | timestamptz / timestamp |
 * | List<x>                                 | list<x>                |
 *
 * Other Arrow types (structs, maps, unions, Uint64, durations) have no column in an Iceberg table: the commit fails
 * naming the column.
 * @module
 */
import { type DataType, Type } from "apache-arrow";

/** An Iceberg primitive type name: `long`, `decimal(10, 2)`, `fixed[16]`... */
export type PrimitiveType = string;

/** An Iceberg list type. */
export interface ListType {
  readonly type: "list";
  readonly "element-id": number;
  readonly element: IcebergType;
  readonly "element-required": boolean;
}

/** An Iceberg field type (no structs or maps: the pipeline flattens them). */
export type IcebergType = PrimitiveType | ListType;

/** A top-level field of a schema. */
export interface IcebergField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
}

/** A schema as table metadata stores it. */
export interface IcebergSchema {
  readonly type: "struct";
  readonly "schema-id": number;
  readonly fields: readonly IcebergField[];
}

/** The Arrow field metadata key that arrow-rs writes as the Parquet field id. */
export const FIELD_ID_KEY = "PARQUET:field_id";

/** The Iceberg type of an Arrow type without ids for nested elements (`list<long>`), or null when it has none. */
export function icebergTypeName(type: DataType): string | null {
  switch (type.typeId) {
    case Type.Bool:
      return "boolean";
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      if (bitWidth < 32 || (bitWidth === 32 && isSigned)) return "int";
      if (bitWidth === 32 || (bitWidth === 64 && isSigned)) return "long";
      return null;
    }
    case Type.Float:
      return (type as unknown as { precision: number }).precision === 2 ? "double" : "float";
    case Type.Decimal: {
      const { precision, scale } = type as unknown as { precision: number; scale: number };
      return precision <= 38 ? `decimal(${precision}, ${scale})` : null;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return "string";
    case Type.Binary:
    case Type.LargeBinary:
      return "binary";
    case Type.FixedSizeBinary:
      return `fixed[${(type as unknown as { byteWidth: number }).byteWidth}]`;
    case Type.Date:
      return "date";
    case Type.Time:
      return "time";
    case Type.Timestamp:
      return (type as unknown as { timezone?: string | null }).timezone ? "timestamptz" : "timestamp";
    case Type.List: {
      const child = type.children?.[0];
      const element = child ? icebergTypeName(child.type) : null;
      return element === null || element.startsWith("list<") ? null : `list<${element}>`;
    }
    default:
      return null;
  }
}

/** The Iceberg type of a type name from {@linkcode icebergTypeName}, given the element id of a list. */
export function icebergType(name: string, elementId: () => number): IcebergType {
  const list = /^list<(.+)>$/.exec(name);
  if (!list) return name;
  return { type: "list", "element-id": elementId(), element: list[1]!, "element-required": false };
}

/** The name {@linkcode icebergTypeName} gives an Iceberg type. */
export function typeNameOf(type: IcebergType): string {
  return typeof type === "string" ? type : `list<${typeNameOf(type.element)}>`;
}

/** Whether a field of type `from` may become `to` in place (Iceberg's promotions; same type included). */
export function canPromote(from: string, to: string): boolean {
  if (from === to) return true;
  if (from === "int" && to === "long") return true;
  if (from === "float" && to === "double") return true;
  const a = /^decimal\((\d+), (\d+)\)$/.exec(from);
  const b = /^decimal\((\d+), (\d+)\)$/.exec(to);
  return a !== null && b !== null && a[2] === b[2] && Number(a[1]) <= Number(b[1]);
}
