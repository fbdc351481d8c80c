"""Independent Iceberg table readers for the tests: pyiceberg and ClickHouse (chdb).

Prints one JSON document on stdout.

Usage:
  iceberg.py pyiceberg METADATA_JSON [ID_COLUMN] [--no-values] [--filter EXPR]
      {"rows", "distinct_ids", "files", "snapshots", "schema_id", "columns": [{"id", "name", "type"}],
       "summary": {...}, "values": {column: [values...]} (sorted by ID_COLUMN, when given, unless --no-values),
       "filtered": {"rows", "files"} (a scan with the row filter EXPR: files the manifests' statistics leave)}
  iceberg.py pyiceberg-rest CATALOG_URI NAMESPACE.TABLE [ID_COLUMN]
      the same, the table loaded through an Iceberg REST catalog (pyiceberg's own REST client)
  iceberg.py clickhouse LOCATION_OR_URL [ID_COLUMN] [--s3 ACCESS_KEY SECRET_KEY]
      {"rows", "distinct_ids"} through icebergLocal (a folder), icebergHDFS (hdfs://) or icebergS3 (--s3)
"""

import json
import sys


def read_pyiceberg(args):
    from pyiceberg.table import StaticTable

    row_filter = None
    if "--filter" in args:
        i = args.index("--filter")
        row_filter = args[i + 1]
        args = args[:i] + args[i + 2:]
    values = "--no-values" not in args
    args = [a for a in args if a != "--no-values"]
    table = StaticTable.from_metadata(args[0], properties=s3_properties())
    result = describe(table, args[1] if len(args) > 1 else None, dump=False, values=values)
    if row_filter is not None:
        scan = table.scan(row_filter=row_filter)
        result["filtered"] = {"rows": scan.to_arrow().num_rows, "files": len(list(scan.plan_files()))}
    json.dump(result, sys.stdout)


def read_pyiceberg_rest(args):
    from pyiceberg.catalog import load_catalog

    catalog = load_catalog("fsds-test", type="rest", uri=args[0], **s3_properties())
    table = catalog.load_table(args[1])
    result = describe(table, args[2] if len(args) > 2 else None, dump=False)
    result["metadata_location"] = table.metadata_location
    json.dump(result, sys.stdout)


def describe(table, id_column, dump=True, values=True):
    scan = table.scan()
    arrow = scan.to_arrow()
    snapshot = table.current_snapshot()
    files = list(scan.plan_files())
    result = {
        "rows": arrow.num_rows,
        "files": len(files),
        "snapshots": len(table.metadata.snapshots),
        "schema_id": table.schema().schema_id,
        "columns": [{"id": f.field_id, "name": f.name, "type": str(f.field_type)} for f in table.schema().fields],
        "summary": dict(snapshot.summary.additional_properties) if snapshot and snapshot.summary else {},
        "operation": str(snapshot.summary.operation.value) if snapshot and snapshot.summary else None,
    }
    if id_column:
        ids = arrow.column(id_column).to_pylist()
        result["distinct_ids"] = len(set(ids))
    if id_column and values:
        order = sorted(range(len(ids)), key=lambda i: (ids[i] is None, ids[i]))
        by_column = {}
        for name in arrow.column_names:
            column = arrow.column(name).to_pylist()
            by_column[name] = [normalise(column[i]) for i in order]
        result["values"] = by_column
    if dump:
        json.dump(result, sys.stdout)
    return result


def s3_properties():
    import os

    endpoint = os.environ.get("FSDS_TEST_S3_ENDPOINT")
    if not endpoint:
        return {}
    return {
        "s3.endpoint": endpoint,
        "s3.access-key-id": os.environ.get("FSDS_TEST_S3_ACCESS_KEY", ""),
        "s3.secret-access-key": os.environ.get("FSDS_TEST_S3_SECRET_KEY", ""),
        "s3.region": "us-east-1",
        "s3.path-style-access": "true",
    }


def normalise(value):
    import datetime

    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def read_clickhouse(args):
    import os

    # chdb's user_files_path is its working folder: icebergLocal reads only below it.
    os.chdir("/")
    import chdb

    location = args[0]
    id_column = args[1] if len(args) > 1 and not args[1].startswith("--") else None
    if "--s3" in args:
        i = args.index("--s3")
        source = f"icebergS3({quote(location)}, {quote(args[i + 1])}, {quote(args[i + 2])})"
    elif location.startswith("hdfs://"):
        source = f"icebergHDFS({quote(location)})"
    else:
        source = f"icebergLocal({quote(location)})"
    distinct = f", uniqExact(`{id_column}`) AS distinct_ids" if id_column else ""
    result = chdb.query(f"SELECT count() AS rows{distinct} FROM {source}", "JSON")
    text = result.bytes().decode("utf-8") if hasattr(result, "bytes") else str(result)
    row = json.loads(text)["data"][0]
    json.dump({k: int(v) for k, v in row.items()}, sys.stdout)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "pyiceberg":
        read_pyiceberg(args)
    elif command == "pyiceberg-rest":
        read_pyiceberg_rest(args)
    elif command == "clickhouse":
        read_clickhouse(args)
    else:
        sys.exit(f"unknown reader {command!r}")


if __name__ == "__main__":
    main()
