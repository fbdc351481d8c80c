/**
 * File source: replays NDJSON, a MessagePack stream or Arrow IPC from files, a glob or stdin (`-`), so
 * `kcat -C ... | fs-data-sink --source-type file` and replays of dumps work. Each file is one stream, named after
 * the file (stdin gets the run's start time, so two piped runs never overwrite each other's files); positions are
 * line numbers (NDJSON) or item/batch indexes. Re-running over the same files rewrites the same file names, so a
 * replay is idempotent.
 * @module
 */
import { decodeMultiStream } from "@msgpack/msgpack";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { z } from "zod";
import { commonSourceFields, type SourcePlugin, type ValueFormat } from "../core/plugin.ts";
import type { MetadataColumn, ReadOptions, ReadResult, Source, SourceContext, SourceMessage } from "../core/source.ts";
import { fnv1a } from "../partition/escape.ts";
import { expandPath } from "./file_glob.ts";
import { readLines } from "./file_lines.ts";

const TYPE = "file";
const STDIN = "-";
/** Metadata column with the file a row came from, when `metadata: true`. */
export const SOURCE_FILE_COLUMN = "source_file";
/** Metadata column with the line (NDJSON) or item index a row came from, when `metadata: true`. */
export const SOURCE_LINE_COLUMN = "source_line";

/** Schema of `source` when `type: file`. */
export const fileSourceSchema = z.object({
  type: z.literal(TYPE),
  ...commonSourceFields,
  path: z.string().min(1).describe("A file, a glob (*, **, ?) or - for stdin"),
  metadata: z.boolean().default(false).describe("Add source_file and source_line columns"),
}).strict();

/** The validated file source section. */
export type FileSourceConfig = z.infer<typeof fileSourceSchema>;

/** The `file` source plugin. */
export const fileSourcePlugin: SourcePlugin<FileSourceConfig> = {
  type: TYPE,
  summary: "NDJSON, MessagePack stream or Arrow IPC from files, a glob or stdin (-)",
  schema: fileSourceSchema,
  env: [{ env: "FILE_SOURCE_PATH", key: "path", kind: "string" }],
  secrets: [],
  create: (config: FileSourceConfig, context: SourceContext) => new FileSource(config, context),
};

type FileKind = "ndjson" | "msgpack" | "arrow";
interface Input {
  readonly path: string;
  readonly stream: string;
  readonly dataset: string;
}

/** Reads files one after another; ends after the last. */
export class FileSource implements Source {
  readonly metadataColumns: readonly MetadataColumn[];
  readonly durableAcks = false;
  readonly #config: FileSourceConfig;
  readonly #context: SourceContext;
  #inputs: Input[] = [];
  #iterator?: AsyncGenerator<SourceMessage>;
  #pending?: Promise<IteratorResult<SourceMessage>>;
  #ended = false;

  constructor(config: FileSourceConfig, context: SourceContext) {
    this.#config = config;
    this.#context = context;
    this.metadataColumns = config.metadata
      ? [{ name: SOURCE_FILE_COLUMN, type: "utf8" }, { name: SOURCE_LINE_COLUMN, type: "int64" }]
      : [];
  }

  async connect(): Promise<void> {
    const path = this.#config.path;
    if (path === STDIN) {
      const started = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
      this.#inputs = [{ path: STDIN, stream: `stdin-${started}`, dataset: "stdin" }];
    } else {
      const paths = await expandPath(path);
      if (paths.length === 0) throw new Error(`Cannot read file source: no file matches "${path}"`);
      for (const p of paths) {
        const info = await Deno.stat(p).catch((error) => {
          throw new Error(`Cannot read file source "${p}": ${(error as Error).message}`, { cause: error });
        });
        if (!info.isFile) throw new Error(`Cannot read file source "${p}": not a file`);
      }
      const names = paths.map(baseName);
      this.#inputs = paths.map((p, i) => {
        const name = names[i]!;
        const unique = names.indexOf(name) === names.lastIndexOf(name);
        return { path: p, stream: unique ? name : `${name}~${fnv1a(p).slice(0, 8)}`, dataset: stripExtension(name) };
      });
    }
    this.#iterator = this.#messages();
    this.#context.log.info({ files: this.#inputs.length, path }, "File source ready");
  }

  async read(options: ReadOptions): Promise<ReadResult> {
    if (this.#ended || !this.#iterator) return { kind: "end" };
    const messages: SourceMessage[] = [];
    const deadline = Date.now() + options.maxWaitMs;
    while (messages.length < options.maxMessages && !options.signal.aborted) {
      this.#pending ??= this.#iterator.next();
      const wait = Math.max(0, deadline - Date.now());
      const next = messages.length === 0 || wait > 0 ? await raceTimeout(this.#pending, wait) : undefined;
      if (next === undefined) break;
      this.#pending = undefined;
      if (next.done) {
        this.#ended = true;
        break;
      }
      messages.push(next.value);
    }
    if (messages.length > 0) return { kind: "messages", messages };
    return this.#ended ? { kind: "end" } : { kind: "idle" };
  }

  ack(): Promise<void> {
    return Promise.resolve(); // Files keep no read position; replays are idempotent through file naming.
  }

  describe(message: SourceMessage): string {
    const input = this.#inputs.find((i) => i.stream === message.stream);
    return `file "${input?.path ?? message.stream}" ${this.#unitName(input)} ${Number(message.position)}`;
  }

  async close(): Promise<void> {
    if (this.#pending) {
      // A read is still waiting (stdin with nothing more to say): return() would queue behind it forever. Leave it;
      // open files are closed by the generator once its read finishes, and the process is about to exit.
      this.#iterator?.return(undefined).catch(() => {});
      return;
    }
    await this.#iterator?.return(undefined);
  }

  #unitName(input: Input | undefined): string {
    return input && this.#kindOf(input.path, undefined) === "ndjson" ? "line" : "item";
  }

  async *#messages(): AsyncGenerator<SourceMessage> {
    for (const input of this.#inputs) {
      const file = input.path === STDIN ? undefined : await Deno.open(input.path, { read: true });
      const stream = file?.readable ?? Deno.stdin.readable;
      const head = input.path === STDIN ? undefined : await readHead(input.path);
      const kind = this.#kindOf(input.path, head);
      const meta = (n: number) => this.#config.metadata ? [input.path, BigInt(n)] : [];
      const base = { stream: input.stream, dataset: input.dataset };
      try {
        if (kind === "ndjson") {
          for await (const line of readLines(stream)) {
            if (isBlank(line.bytes)) continue;
            yield { ...base, position: pad(line.number), value: line.bytes, metadata: meta(line.number) };
          }
        } else if (kind === "msgpack") {
          let n = 0;
          for await (const item of decodeMultiStream<undefined>(stream, { useBigInt64: true })) {
            n++;
            const fields = isPlainObject(item) ? item as Record<string, unknown> : { value: item };
            yield { ...base, position: pad(n), value: null, fields, metadata: meta(n) };
          }
        } else {
          const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
          const table = tableFromIPC(bytes);
          let n = 0;
          for (const batch of table.batches) {
            n++;
            yield { ...base, position: pad(n), value: tableToIPC(new Table(batch), "stream"), metadata: meta(n) };
          }
        }
      } finally {
        try {
          file?.close();
        } catch { /* already closed by the stream */ }
      }
    }
  }

  #kindOf(path: string, head: Uint8Array | undefined): FileKind {
    const format: ValueFormat = this.#config.value_format;
    if (format === "json") return "ndjson";
    if (format === "msgpack") return "msgpack";
    if (format === "arrow_ipc") return "arrow";
    const lower = path.toLowerCase();
    if (/\.(ndjson|jsonl|json|txt)$/.test(lower)) return "ndjson";
    if (/\.(msgpack|mpk|msgp)$/.test(lower)) return "msgpack";
    if (/\.(arrow|arrows|ipc|feather)$/.test(lower)) return "arrow";
    if (head && (startsWith(head, "ARROW1") || (head[0] === 0xff && head[1] === 0xff))) return "arrow";
    if (head && head.length > 0 && head[0] !== 0x7b && head[0] !== 0x5b && head[0] !== 0x20) return "msgpack";
    return "ndjson";
  }
}

function pad(n: number): string {
  return String(n).padStart(12, "0");
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function stripExtension(name: string): string {
  const dot = name.indexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  return text.split("").every((c, i) => bytes[i] === c.charCodeAt(0));
}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(8);
    const n = await file.read(buffer);
    return buffer.subarray(0, n ?? 0);
  } finally {
    file.close();
  }
}

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
