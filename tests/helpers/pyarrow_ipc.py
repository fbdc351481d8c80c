"""Writes Arrow IPC test payloads with pyarrow, an Arrow implementation independent of the one under test.

Usage: pyarrow_ipc.py OUT_DIR [BATCHES] [ROWS]

Writes into OUT_DIR:
  message-NNN.arrows  one IPC stream per record batch (a Kafka or Redis payload each)
  dump.arrow          every batch in one IPC file (ARROW1 ... footer)
  dump.arrows         every batch in one IPC stream
  dump-zstd.arrows    the same, bodies compressed with ZSTD; dump-lz4.arrows with LZ4 frames
  expected.json       {"rows": [...], "at_ns": {id: epoch ns}, "stream_offsets": [...], "count": N}: each row as the
                      test readers (tests/readers/read.py) print a row of DuckDB, so a test compares them directly;
                      stream_offsets are the byte offsets in dump.arrows where each batch's messages start.

The batches hold every type the sink must keep: int8/int32/int64 (beyond 2^53)/uint64, float32, decimal128(12, 3),
bool, string, large_string, binary, date32, timestamp[ms, America/New_York], timestamp[ns] (no zone), timestamp[s,
UTC], time64[us], list<int32>, a dictionary-encoded string, a struct under "data" (hoisted by the default flatten
rules) holding a dictionary-encoded string and a nested struct, a null-typed column, and nulls in most columns.
Odd batches send "qty" as int64, even ones as int32 (the sink widens to int64); only batch 1 has "extra" (int16).
"id" is declared non-nullable.
"""

import datetime
import decimal
import json
import os
import sys

import pyarrow as pa

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "readers"))
from read import normalise  # noqa: E402  (the readers' own normalisation of DuckDB values)

ID_BASE = 2**53 + 1
NEW_YORK_BASE_MS = 1_709_294_400_000  # 2024-03-01T12:00:00Z
NS_BASE = 1_760_697_000_000_000_000  # 2025-10-17T10:30:00Z
SIDES = pa.array(["buy", "sell", "hold"])
SYMBOLS = pa.array(["AAPL", "MSFT", "GOOG", "NVDA"])
UTC = datetime.timezone.utc


def batch(index, rows):
    ids = [ID_BASE + index * rows + r for r in range(rows)]
    n = [index * rows + r for r in range(rows)]
    qty_type = pa.int64() if index % 2 else pa.int32()
    venue_type = pa.struct([("mic", pa.string())])
    data_type = pa.struct([("symbol", pa.dictionary(pa.int8(), pa.string())), ("venue", venue_type)])
    symbols = pa.DictionaryArray.from_arrays(pa.array([i % 4 for i in n], pa.int8()), SYMBOLS)
    venues = pa.array([None if i % 9 == 0 else {"mic": f"X{i % 3}"} for i in n], venue_type)
    data_mask = pa.array([i % 13 == 0 for i in n])
    data = pa.StructArray.from_arrays([symbols, venues], fields=list(data_type), mask=data_mask)
    columns = {
        "id": pa.array(ids, pa.int64()),
        "i8": pa.array([None if i % 7 == 0 else (i % 256) - 128 for i in n], pa.int8()),
        "qty": pa.array([i * 3 for i in n], qty_type),
        "u64": pa.array([2**64 - 1 - i for i in n], pa.uint64()),
        "f32": pa.array([i / 4 for i in n], pa.float32()),
        "price": pa.array([decimal.Decimal(i * 1234 - 500_000).scaleb(-3) for i in n], pa.decimal128(12, 3)),
        "ok": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in n], pa.bool_()),
        "name": pa.array([None if i % 11 == 0 else f"név-{i}-€" for i in n], pa.string()),
        "note": pa.array([f"n{i}" for i in n], pa.large_string()),
        "blob": pa.array([bytes([i % 256, (i * 7) % 256]) for i in n], pa.binary()),
        "day": pa.array([datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 400) for i in n], pa.date32()),
        "at": pa.array([NEW_YORK_BASE_MS + i * 1001 for i in n], pa.timestamp("ms", tz="America/New_York")),
        "at_ns": pa.array([NS_BASE + i * 1_000_001 for i in n], pa.timestamp("ns")),
        "at_s": pa.array([1_700_000_000 + i for i in n], pa.timestamp("s", tz="UTC")),
        "t": pa.array([(i * 1_000_003) % 86_400_000_000 for i in n], pa.time64("us")),
        "tags": pa.array([None if i % 17 == 0 else [i, i + 1] for i in n], pa.list_(pa.int32())),
        "side": pa.DictionaryArray.from_arrays(pa.array([i % 3 for i in n], pa.int32()), SIDES),
        "data": data,
        "nothing": pa.nulls(rows),
    }
    fields = [pa.field(name, array.type, nullable=(name != "id")) for name, array in columns.items()]
    if index == 1:
        columns["extra"] = pa.array([i % 1000 for i in n], pa.int16())
        fields.append(pa.field("extra", pa.int16()))
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=pa.schema(fields))


def expected_row(record, index):
    """A row as DuckDB gives it through read.py (after the sink's flattening and widening)."""
    data = record.pop("data")
    record["symbol"] = None if data is None else data["symbol"]
    record["venue_mic"] = None if data is None or data["venue"] is None else data["venue"]["mic"]
    record.setdefault("extra", None)
    record["at_ns"] = record["at_ns"].replace(tzinfo=UTC)  # DuckDB gives TIMESTAMP_NS as naive datetime (µs)
    return {k: normalise(v) for k, v in record.items()}


def main():
    out = sys.argv[1]
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    os.makedirs(out, exist_ok=True)
    written = [batch(i, rows) for i in range(batches)]
    for i, b in enumerate(written):
        with pa.OSFile(os.path.join(out, f"message-{i:03d}.arrows"), "wb") as f:
            with pa.ipc.new_stream(f, b.schema) as writer:
                writer.write_batch(b)
    # One schema for a whole dump: qty as int64 and extra present everywhere (null outside batch 1).
    unified = pa.unify_schemas([b.schema for b in written], promote_options="permissive")
    dump = [pa.Table.from_batches([b]).cast(pa.schema([f for f in unified if f.name in b.schema.names]))
            for b in written]
    dump = [t.append_column(unified.field("extra"), pa.nulls(len(t), pa.int16())) if "extra" not in t.column_names
            else t for t in dump]
    dump = [t.select(unified.names).to_batches()[0] for t in dump]
    with pa.OSFile(os.path.join(out, "dump.arrow"), "wb") as f:
        with pa.ipc.new_file(f, unified) as writer:
            for b in dump:
                writer.write_batch(b)
    offsets = []
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, unified) as writer:
        for b in dump:
            offsets.append(sink.tell())
            writer.write_batch(b)
    with open(os.path.join(out, "dump.arrows"), "wb") as f:
        f.write(sink.getvalue().to_pybytes())
    for codec in ("zstd", "lz4"):
        options = pa.ipc.IpcWriteOptions(compression=codec)
        with pa.OSFile(os.path.join(out, f"dump-{codec}.arrows"), "wb") as f:
            with pa.ipc.new_stream(f, unified, options=options) as writer:
                for b in dump:
                    writer.write_batch(b)
    records = []
    at_ns = {}
    for i, b in enumerate(written):
        for record in b.to_pylist():
            at_ns[str(record["id"])] = b.column("at_ns")[len(at_ns) - i * rows].value
            records.append(expected_row(record, i))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"rows": records, "at_ns": at_ns, "stream_offsets": offsets, "count": len(records)}, f)


if __name__ == "__main__":
    main()
