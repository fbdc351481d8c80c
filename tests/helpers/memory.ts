/**
 * Small in-memory doubles of a source and a sink, for unit tests of the pipeline's pure logic (ordering of journal,
 * writes and acks; cut rules; recovery). Integration tests use the real servers of the service kit instead.
 * @module
 */
import type { Sink, SinkEntry } from "../../src/core/sink.ts";
import type {
  AssignmentListener,
  MetadataColumn,
  ReadOptions,
  ReadResult,
  Source,
  SourceMessage,
} from "../../src/core/source.ts";

/**
 * A sink keeping files in a Map; `failWrites` / `failReads` make the next N writes / reads throw; `events` logs
 * writes in order.
 */
export class MemorySink implements Sink {
  readonly files = new Map<string, Uint8Array>();
  readonly events: string[];
  failWrites = 0;
  failReads = 0;
  constructor(events: string[] = []) {
    this.events = events;
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  write(path: string, data: Uint8Array): Promise<void> {
    if (this.failWrites > 0) {
      this.failWrites--;
      return Promise.reject(new Error(`injected failure writing ${path}`));
    }
    this.files.set(path, data.slice());
    this.events.push(`write ${path}`);
    return Promise.resolve();
  }
  read(path: string): Promise<Uint8Array | null> {
    if (this.failReads > 0) {
      this.failReads--;
      return Promise.reject(new Error(`injected failure reading ${path}`));
    }
    return Promise.resolve(this.files.get(path) ?? null);
  }
  list(prefix: string): Promise<SinkEntry[]> {
    const out = [...this.files].filter(([p]) => p.startsWith(prefix)).map(([path, d]) => ({ path, size: d.length }));
    return Promise.resolve(out.sort((a, b) => a.path.localeCompare(b.path)));
  }
  delete(path: string): Promise<void> {
    this.files.delete(path);
    this.events.push(`delete ${path}`);
    return Promise.resolve();
  }
  describe(path: string): string {
    return `memory://${path}`;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A source replaying given messages; acknowledged positions are recorded per stream. */
export class MemorySource implements Source {
  readonly metadataColumns: readonly MetadataColumn[];
  readonly acked = new Map<string, string[]>();
  readonly events: string[];
  listener?: AssignmentListener;
  #queue: SourceMessage[];

  readonly #readSize: number;

  /** `readSize`: messages per read at most (default: as many as the pipeline asks for). */
  constructor(
    messages: SourceMessage[],
    options: { metadataColumns?: MetadataColumn[]; events?: string[]; readSize?: number } = {},
  ) {
    this.#queue = [...messages];
    this.#readSize = options.readSize ?? Infinity;
    this.metadataColumns = options.metadataColumns ?? [];
    this.events = options.events ?? [];
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  read(options: ReadOptions): Promise<ReadResult> {
    if (this.#queue.length === 0) return Promise.resolve({ kind: "end" });
    const messages = this.#queue.splice(0, Math.min(options.maxMessages, this.#readSize));
    return Promise.resolve({ kind: "messages", messages });
  }
  ack(stream: string, positions: readonly string[]): Promise<void> {
    const list = this.acked.get(stream) ?? [];
    list.push(...positions);
    this.acked.set(stream, list);
    this.events.push(`ack ${stream} ${positions[0]}..${positions[positions.length - 1]}`);
    return Promise.resolve();
  }
  setAssignmentListener(listener: AssignmentListener): void {
    this.listener = listener;
  }
  describe(message: SourceMessage): string {
    return `stream "${message.stream}" position ${message.position}`;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A JSON message for a memory source. */
export function jsonMessage(stream: string, position: number, value: unknown, timestampMs?: number): SourceMessage {
  return {
    stream,
    position: String(position).padStart(6, "0"),
    value: new TextEncoder().encode(JSON.stringify(value)),
    metadata: [],
    timestampMs,
  };
}
