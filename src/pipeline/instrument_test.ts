import { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { INVALID_SPAN_CONTEXT, trace } from "@opentelemetry/api";
import type { ReadResult, Source, SourceMessage } from "../core/source.ts";
import type { Sink } from "../core/sink.ts";
import { instrumentSink, instrumentSource } from "./instrument.ts";
import type { Telemetry } from "../telemetry/mod.ts";

/** A source keeping its state in #private fields, as the plugins do. */
class PrivateSource implements Source {
  readonly metadataColumns = [{ name: "offset", type: "int64" as const }];
  readonly durableAcks = false;
  #acked: string[] = [];
  #listener = "none";
  #failReads: boolean;
  constructor(failReads = false) {
    this.#failReads = failReads;
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  read(): Promise<ReadResult> {
    const message: SourceMessage = { stream: "s", position: "1", value: null, metadata: [1] };
    if (this.#failReads) return Promise.reject(new Error("broker down"));
    return Promise.resolve({ kind: "messages", messages: [message] });
  }
  ack(_stream: string, positions: readonly string[]): Promise<void> {
    this.#acked.push(...positions);
    return Promise.resolve();
  }
  setAssignmentListener(): void {
    this.#listener = "set";
  }
  comparePositions(a: string, b: string): number {
    return Number(a) - Number(b);
  }
  describe(message: SourceMessage): string {
    return `${message.stream}@${message.position} (${this.#acked.length} acked, listener ${this.#listener})`;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Recorded {
  readonly spans: string[];
  readonly started: { name: string; attributes?: Record<string, unknown> }[];
  readonly errors: [string, unknown][];
}

/** A telemetry double recording span names, spans started directly and counted errors. */
function recordingTelemetry(recorded: Recorded = { spans: [], started: [], errors: [] }): Telemetry {
  const noopSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  return {
    enabled: true,
    tracing: true,
    tracer: {
      startSpan: (name: string, options?: { attributes?: Record<string, unknown> }) => {
        recorded.started.push({ name, attributes: options?.attributes });
        return noopSpan;
      },
    },
    metrics: { error: (kind: string, attrs: unknown) => recorded.errors.push([kind, attrs]) },
    withSpan: (name: string, _attrs: unknown, fn: (span: unknown) => unknown) => {
      recorded.spans.push(name);
      return fn(noopSpan);
    },
  } as unknown as Telemetry;
}

Deno.test("instrumentSource() traces calls and keeps the plugin's private state and other members working", async () => {
  const recorded: Recorded = { spans: [], started: [], errors: [] };
  const inner = new PrivateSource();
  const source = instrumentSource(inner, recordingTelemetry(recorded));
  await source.connect();
  const result = await source.read({ maxMessages: 1, maxWaitMs: 1, signal: new AbortController().signal });
  await source.ack("s", ["1", "2"]);
  source.setAssignmentListener?.({ revoked: () => Promise.resolve() });
  const compare = source.comparePositions!.bind(source);
  assertEquals(compare("10", "9") > 0, true);
  assertEquals(source.metadataColumns, inner.metadataColumns);
  assertEquals(source.durableAcks, false);
  assertEquals(result.kind === "messages" && source.describe(result.messages[0]!), "s@1 (2 acked, listener set)");
  await source.close();
  assertEquals(recorded.spans, ["source.connect", "source.ack", "source.close"]);
  assertEquals(recorded.started, [{
    name: "source.read_batch",
    attributes: {
      "fs_data_sink.record_count": 1,
      "fs_data_sink.stream": "s",
      "fs_data_sink.position.first": "1",
      "fs_data_sink.position.last": "1",
    },
  }]);
});

Deno.test("instrumentSource() returns the source itself when telemetry is off", () => {
  const inner = new PrivateSource();
  const telemetry = { enabled: false, tracing: false } as unknown as Telemetry;
  assertEquals(instrumentSource(inner, telemetry) === inner, true);
});

Deno.test("instrumentSource() names the Kafka topic and partition of a read and counts failed reads", async () => {
  const recorded: Recorded = { spans: [], started: [], errors: [] };
  const kafka = {
    metadataColumns: [{ name: "kafka_topic", type: "utf8" }, { name: "kafka_partition", type: "int32" }],
    read: () =>
      Promise.resolve({
        kind: "messages",
        messages: [
          { stream: "orders/3", position: "00000000000000000007", value: null, metadata: ["orders", 3] },
          { stream: "orders/3", position: "00000000000000000008", value: null, metadata: ["orders", 3] },
        ],
      }),
  } as unknown as Source;
  const signal = new AbortController().signal;
  await instrumentSource(kafka, recordingTelemetry(recorded)).read({ maxMessages: 2, maxWaitMs: 1, signal });
  assertEquals(recorded.started[0]?.attributes?.["messaging.destination.name"], "orders");
  assertEquals(recorded.started[0]?.attributes?.["messaging.destination.partition.id"], "3");
  assertEquals(recorded.started[0]?.attributes?.["fs_data_sink.position.last"], "00000000000000000008");

  const failing = instrumentSource(new PrivateSource(true), recordingTelemetry(recorded));
  await rejects(failing.read({ maxMessages: 1, maxWaitMs: 1, signal }), /broker down/);
  assertEquals(recorded.errors, [["source", { "fs_data_sink.operation": "read" }]]);
});

Deno.test("instrumentSink() traces each file write and counts failed tries as sink errors", async () => {
  const recorded: Recorded = { spans: [], started: [], errors: [] };
  const written: string[] = [];
  let fail = true;
  const inner = {
    write: (path: string) => {
      if (fail) return Promise.reject(new Error("503 Slow Down"));
      written.push(path);
      return Promise.resolve();
    },
  } as unknown as Sink;
  const sink = instrumentSink(inner, recordingTelemetry(recorded));
  await rejects(sink.write("a/b.parquet", new Uint8Array(3)), /Slow Down/);
  fail = false;
  await sink.write("a/b.parquet", new Uint8Array(3));
  assertEquals(written, ["a/b.parquet"]);
  assertEquals(recorded.spans, ["sink.write_batch", "sink.write_batch"]);
  assertEquals(recorded.errors, [["sink", { "fs_data_sink.operation": "write" }]]);
});
