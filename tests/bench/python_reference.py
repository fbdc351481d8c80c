"""The program a data engineer would script instead of fs-data-sink, for `deno task bench kafka --python`.

Drains a Kafka topic from the start with librdkafka (confluent-kafka) into local Parquet files with Polars: one file
per batch of records, the rows shaped as fs-data-sink shapes them by default (the `data` object lifted to the top
level, other nested objects flattened as `parent_child`, the Kafka topic, partition, offset, timestamp and key as
columns), offsets committed after each batch's file is written. It stops at the end of every partition and prints
`{"count": N, "seconds": S}` (S from the first message). The bench reports neither S nor its own clock inside the
program: it times the whole process from start to exit, as it times the CLI, interpreter start and imports included.

It does less than fs-data-sink: no fsync, no journal (a crash between a file and its commit writes the batch twice), no
schema inference beyond what Polars infers per batch, no dead letters (a bad payload stops it).

Usage: python python_reference.py --brokers HOST:PORT --topic T --group G --out DIR --format json|msgpack
       [--batch-size N] [--compression snappy]
"""

import argparse
import json
import os
import sys
import time

import msgpack
import polars as pl
from confluent_kafka import Consumer, KafkaError, TopicPartition


def frame(values, fmt):
    """A DataFrame of one batch's payloads, `data` lifted and other objects flattened."""
    if fmt == "json":
        df = pl.read_ndjson(b"\n".join(values))
    else:
        df = pl.from_dicts([msgpack.unpackb(v) for v in values])
    columns = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, pl.Struct):
            prefix = "" if name == "data" else f"{name}_"
            columns.extend(pl.col(name).struct.field(f.name).alias(prefix + f.name) for f in dtype.fields)
        else:
            columns.append(pl.col(name))
    return df.select(columns)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--format", choices=["json", "msgpack"], default="json")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--compression", default="snappy")
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    partitions = len(consumer.list_topics(args.topic, timeout=30).topics[args.topic].partitions)
    consumer.subscribe([args.topic])
    os.makedirs(args.out, exist_ok=True)

    at_end = set()
    count = 0
    files = 0
    first_at = None
    pending = {"values": [], "partition": [], "offset": [], "timestamp": [], "key": []}

    def flush():
        nonlocal files
        values = pending["values"]
        if not values:
            return
        df = frame(values, args.format).with_columns(
            pl.lit(args.topic).alias("kafka_topic"),
            pl.Series("kafka_partition", pending["partition"], dtype=pl.Int32),
            pl.Series("kafka_offset", pending["offset"], dtype=pl.Int64),
            pl.Series("kafka_timestamp", pending["timestamp"], dtype=pl.Int64).cast(pl.Datetime("ms", "UTC")),
            pl.Series("kafka_key", pending["key"], dtype=pl.Utf8),
        )
        df.write_parquet(f"{args.out}/batch-{files:06d}.parquet", compression=args.compression)
        files += 1
        last = {}
        for partition, offset in zip(pending["partition"], pending["offset"]):
            last[partition] = max(last.get(partition, -1), offset)
        consumer.commit(
            offsets=[TopicPartition(args.topic, p, o + 1) for p, o in last.items()], asynchronous=False
        )
        for column in pending.values():
            column.clear()

    while len(at_end) < partitions:
        for message in consumer.consume(num_messages=args.batch_size - len(pending["values"]), timeout=1.0):
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    continue
                raise RuntimeError(f"{message.topic()}[{message.partition()}]: {error}")
            if first_at is None:
                first_at = time.perf_counter()
            pending["values"].append(message.value())
            pending["partition"].append(message.partition())
            pending["offset"].append(message.offset())
            pending["timestamp"].append(message.timestamp()[1])
            key = message.key()
            pending["key"].append(None if key is None else key.decode("utf-8", "replace"))
            count += 1
        if len(pending["values"]) >= args.batch_size:
            flush()
    flush()
    seconds = time.perf_counter() - (first_at or time.perf_counter())
    consumer.close()
    print(json.dumps({"count": count, "seconds": seconds, "files": files}))


if __name__ == "__main__":
    sys.exit(main())
