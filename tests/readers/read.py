"""Independent Parquet readers for the tests: DuckDB, pyarrow and ClickHouse (chdb).

Prints one JSON document {"columns": [{"name", "type"}], "rows": [{...}]} on stdout. Values are normalised so the
TypeScript side can compare them: integers stay exact JSON integers, floats NaN/Infinity become the strings "NaN",
"Infinity", "-Infinity", timestamps become ISO-8601 UTC text with microseconds ("2025-10-17T10:30:00.000000Z"),
bytes become base64 text, maps become objects, decimals become their text.

Usage:
  read.py duckdb [--hive] [--sql SQL] PATH_OR_GLOB...   (SQL may use the view `data`; default SELECT * FROM data)
  read.py pyarrow PATH
  read.py clickhouse SQL
  read.py metadata PATH      (row groups, and per column chunk: codec and statistics, via pyarrow)
"""

import base64
import datetime
import decimal
import json
import math
import sys


def normalise(value):
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # pyarrow gives maps as lists of (key, value) tuples
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(k): normalise(v) for k, v in value}
        return [normalise(item) for item in value]
    return str(value)


def emit(columns, rows):
    json.dump({"columns": columns, "rows": rows}, sys.stdout, allow_nan=False)


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def read_duckdb(args):
    import duckdb

    hive = False
    sql = "SELECT * FROM data"
    paths = []
    i = 0
    while i < len(args):
        if args[i] == "--hive":
            hive = True
        elif args[i] == "--sql":
            i += 1
            sql = args[i]
        else:
            paths.append(args[i])
        i += 1
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = "[" + ", ".join(quote(p) for p in paths) + "]"
    con.execute(
        f"CREATE VIEW data AS SELECT * FROM read_parquet({files}, hive_partitioning = {str(hive).lower()}, "
        "union_by_name = true)"
    )
    rel = con.sql(sql)
    names = rel.columns
    types = [str(t) for t in rel.types]
    rows = [{name: normalise(v) for name, v in zip(names, row)} for row in rel.fetchall()]
    emit([{"name": n, "type": t} for n, t in zip(names, types)], rows)


def read_pyarrow(args):
    import pyarrow.parquet as pq

    import pyarrow as pa

    table = pq.read_table(args[0])
    columns = [{"name": f.name, "type": str(f.type)} for f in table.schema]
    maps = {f.name for f in table.schema if pa.types.is_map(f.type)}

    def value(name, v):
        # pyarrow gives a map as a list of (key, value) pairs: an empty map would look like an empty list
        if name in maps and v is not None:
            return {str(k): normalise(x) for k, x in v}
        return normalise(v)

    rows = [{k: value(k, v) for k, v in row.items()} for row in table.to_pylist()]
    emit(columns, rows)


def read_metadata(args):
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(args[0]).metadata
    groups = []
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        chunks = []
        for c in range(group.num_columns):
            chunk = group.column(c)
            stats = chunk.statistics
            chunks.append({
                "path": chunk.path_in_schema,
                "compression": chunk.compression,
                "has_statistics": bool(stats is not None and stats.has_min_max),
                "null_count": stats.null_count if stats is not None and stats.has_null_count else None,
                "min": normalise(stats.min) if stats is not None and stats.has_min_max else None,
                "max": normalise(stats.max) if stats is not None and stats.has_min_max else None,
                "encodings": sorted(chunk.encodings),
            })
        groups.append({"num_rows": group.num_rows, "columns": chunks})
    json.dump({"num_rows": meta.num_rows, "created_by": meta.created_by, "row_groups": groups}, sys.stdout)


def query_clickhouse(args):
    import chdb

    result = chdb.query(args[0], "JSON")
    text = result.bytes().decode("utf-8", errors="replace") if hasattr(result, "bytes") else str(result)
    if not text.strip():
        emit([], [])
        return
    document = json.loads(text)
    columns = [{"name": m["name"], "type": m["type"]} for m in document.get("meta", [])]
    emit(columns, document.get("data", []))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "duckdb":
        read_duckdb(args)
    elif command == "pyarrow":
        read_pyarrow(args)
    elif command == "clickhouse":
        query_clickhouse(args)
    elif command == "metadata":
        read_metadata(args)
    elif command == "check":
        import importlib

        available = {}
        for name, module in (
            ("duckdb", "duckdb"),
            ("pyarrow", "pyarrow"),
            ("clickhouse", "chdb"),
            ("pyiceberg", "pyiceberg"),
        ):
            try:
                importlib.import_module(module)
                available[name] = True
            except Exception:  # noqa: BLE001 - any import failure means "not available"
                available[name] = False
        json.dump(available, sys.stdout)
    else:
        sys.exit(f"unknown reader {command!r}")


if __name__ == "__main__":
    main()
