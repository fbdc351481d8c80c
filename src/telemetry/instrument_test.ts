import { deepEqual as assertEquals } from "node:assert/strict";
import { INVALID_SPAN_CONTEXT, trace } from "@opentelemetry/api";
import type { ReadResult, Source, SourceMessage } from "../core/source.ts";
import { instrumentSource } from "./instrument.ts";
import type { Telemetry } from "./mod.ts";

/** A source keeping its state in #private fields, as the plugins do. */
class PrivateSource implements Source {
  readonly metadataColumns = [{ name: "offset", type: "int64" as const }];
  readonly durableAcks = false;
  #acked: string[] = [];
  #listener = "none";
  connect(): Promise<void> {
    return Promise.resolve();
  }
  read(): Promise<ReadResult> {
    const message: SourceMessage = { stream: "s", position: "1", value: null, metadata: [1] };
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

/** A telemetry double recording the span names withSpan was asked for. */
function recordingTelemetry(names: string[]): Telemetry {
  return {
    tracing: true,
    tracer: trace.getTracer("test"),
    withSpan: (name: string, _attrs: unknown, fn: (span: unknown) => unknown) => {
      names.push(name);
      return fn(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    },
  } as unknown as Telemetry;
}

Deno.test("instrumentSource() traces calls and keeps the plugin's private state and other members working", async () => {
  const names: string[] = [];
  const inner = new PrivateSource();
  const source = instrumentSource(inner, recordingTelemetry(names));
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
  assertEquals(names, ["source.connect", "source.ack", "source.close"]);
});

Deno.test("instrumentSource() returns the source itself when tracing is off", () => {
  const inner = new PrivateSource();
  const telemetry = { tracing: false } as unknown as Telemetry;
  assertEquals(instrumentSource(inner, telemetry) === inner, true);
});
