/**
 * The `file` source plugin, in one file: replays NDJSON, a MessagePack stream or Arrow IPC from files, a glob or
 * stdin (`-`), so `kcat -C ... | fs-data-sink --source-type file` and replays of dumps work. Each file is one stream,
 * named after the file (stdin gets the run's start time, so two piped runs never overwrite each other's files);
 * positions are line numbers (NDJSON) or item/batch indexes. Re-running over the same files rewrites the same file
 * names, so a replay is idempotent.
 *
 * NDJSON lines are split here without decoding (each line's bytes go to the codec untouched); MessagePack streams
 * and Arrow IPC dumps are read through `src/codec/`, which owns those libraries.
 * @module
 */
import { z } from "zod";
import { splitArrowIpcBatches } from "../codec/arrow_ipc.ts";
import { decodeMsgpackStream } from "../codec/msgpack.ts";
import { type CheckContext, type CheckResult, withTimeout } from "../core/check.ts";
import type { Peek, PeekContext } from "../core/peek.ts";
import { commonSourceFields, type SourcePlugin, type ValueFormat } from "../core/plugin.ts";
import type {
  MetadataColumn,
  ReadOptions,
  ReadResult,
  Source,
  SourceContext,
  SourceMessage,
  SourceProgress,
} from "../core/source.ts";
import { fnv1a } from "../partition/escape.ts";

const TYPE = "file";
const STDIN = "-";
/** Bytes read from the start of an input to tell its format under `value_format: auto`. */
const HEAD_BYTES = 8;
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
  create: (config: FileSourceConfig, context: SourceContext) => Promise.resolve(new FileSource(config, context)),
  check: checkFileSource,
  peek: peekFileSource,
};

/** `check`: the path matches files, and each can be opened for reading (stdin is taken as it comes). */
export async function checkFileSource(config: FileSourceConfig, context: CheckContext): Promise<CheckResult[]> {
  const name = `file "${config.path}"`;
  if (config.path === STDIN) return [{ kind: "ok", name: "file stdin", detail: "read from standard input" }];
  try {
    const paths = await withTimeout(expandPath(config.path), context.timeoutMs, `Cannot list "${config.path}"`);
    if (paths.length === 0) {
      return [{
        kind: "misconfigured",
        name,
        cause: `no file matches "${config.path}"`,
        hint: "check source.path (FILE_SOURCE_PATH); a glob may use *, ** and ?",
      }];
    }
    let bytes = 0;
    for (const path of paths) {
      const info = await Deno.stat(path);
      if (!info.isFile) return [{ kind: "misconfigured", name, cause: `"${path}" is not a file` }];
      (await Deno.open(path, { read: true })).close();
      bytes += info.size;
    }
    return [{ kind: "ok", name, detail: `${paths.length} file${paths.length === 1 ? "" : "s"}, ${bytes} bytes` }];
  } catch (error) {
    const cause = (error as Error).message;
    if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotFound) {
      return [{ kind: "misconfigured", name, cause, hint: "check source.path and the files' permissions" }];
    }
    return [{ kind: "failed", name, cause }];
  }
}

/** `preview`: the first records of the files, read as a run reads them (reading files changes nothing). */
export async function peekFileSource(config: FileSourceConfig, context: PeekContext): Promise<Peek> {
  const source = new FileSource(config, { untilCaughtUp: true, log: context.log });
  const messages: SourceMessage[] = [];
  try {
    await source.connect();
    const signal = AbortSignal.timeout(context.timeoutMs);
    while (messages.length < context.maxMessages && !signal.aborted) {
      const read = await source.read({ maxMessages: context.maxMessages - messages.length, maxWaitMs: 1000, signal });
      if (read.kind === "end") break;
      if (read.kind === "messages") messages.push(...read.messages);
    }
  } finally {
    await source.close();
  }
  return {
    metadataColumns: source.metadataColumns,
    messages,
    notes: [`file "${config.path}": from the start (a run reads every matching file whole)`],
    describe: (message) => source.describe(message),
  };
}

type FileKind = "ndjson" | "msgpack" | "arrow";
interface Input {
  readonly path: string;
  readonly stream: string;
  readonly dataset: string;
  /** Size at start, bytes; undefined for stdin. */
  readonly size?: number;
  /** Records handed out and bytes read so far, for `progress()`. */
  readonly read: { records: number; bytes: number };
}

/** Reads files one after another; ends after the last. */
export class FileSource implements Source {
  readonly metadataColumns: readonly MetadataColumn[];
  readonly durableAcks = false;
  readonly acksThroughLast = true;
  readonly #config: FileSourceConfig;
  readonly #context: SourceContext;
  #inputs: Input[] = [];
  /** The format of each input, once its first bytes are read. */
  readonly #kinds = new Map<string, FileKind>();
  /** Byte offsets of MessagePack or Arrow IPC bytes that hold no record, by stream and position, for `describe`. */
  readonly #failures = new Map<string, number>();
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
      this.#inputs = [{ path: STDIN, stream: `stdin-${started}`, dataset: "stdin", read: { records: 0, bytes: 0 } }];
    } else {
      const paths = await expandPath(path);
      if (paths.length === 0) throw new Error(`Cannot read file source: no file matches "${path}"`);
      const sizes: number[] = [];
      for (const p of paths) {
        const info = await Deno.stat(p).catch((error) => {
          throw new Error(`Cannot read file source "${p}": ${(error as Error).message}`, { cause: error });
        });
        if (!info.isFile) throw new Error(`Cannot read file source "${p}": not a file`);
        sizes.push(info.size);
      }
      const names = paths.map(baseName);
      this.#inputs = paths.map((p, i) => {
        const name = names[i]!;
        const unique = names.indexOf(name) === names.lastIndexOf(name);
        const stream = unique ? name : `${name}~${fnv1a(p).slice(0, 8)}`;
        return { path: p, stream, dataset: stripExtension(name), size: sizes[i], read: { records: 0, bytes: 0 } };
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
    this.#count(messages);
    if (messages.length > 0) return { kind: "messages", messages };
    return this.#ended ? { kind: "end" } : { kind: "idle" };
  }

  /** Adds handed-out messages to their files' counts (files are read one after another: runs of one stream). */
  #count(messages: readonly SourceMessage[]): void {
    let input: Input | undefined;
    for (const message of messages) {
      if (input?.stream !== message.stream) input = this.#inputs.find((i) => i.stream === message.stream);
      if (input) input.read.records++;
    }
  }

  /** Per file (its stream name): records handed out, and the bytes read of its size (percent and ETA go by bytes). */
  progress(): SourceProgress[] {
    return this.#inputs.map((input) => ({
      label: "file",
      name: input.stream,
      done: input.read.records,
      total: null,
      lag: null,
      bytes: input.size === undefined ? undefined : { done: input.read.bytes, total: input.size },
    }));
  }

  ack(): Promise<void> {
    return Promise.resolve(); // Files keep no read position; replays are idempotent through file naming.
  }

  describe(message: SourceMessage): string {
    const input = this.#inputs.find((i) => i.stream === message.stream);
    const kind = this.#kinds.get(message.stream);
    const unit = kind === "ndjson" ? "line" : "item";
    const where = `file "${input?.path ?? message.stream}" ${unit} ${Number(message.position)}`;
    const failure = this.#failures.get(`${message.stream}\n${message.position}`);
    return failure === undefined ? where : `${where} at byte ${failure}`;
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

  async *#messages(): AsyncGenerator<SourceMessage> {
    for (const input of this.#inputs) {
      const file = input.path === STDIN ? undefined : await Deno.open(input.path, { read: true });
      // Bytes are counted for the progress display of files (stdin has no size to measure them against).
      let stream: ReadableStream<Uint8Array> = file ? countBytes(file.readable, input.read) : Deno.stdin.readable;
      let head: Uint8Array | undefined;
      if (this.#config.value_format === "auto") {
        if (file) head = await readHead(input.path);
        else ({ head, stream } = await peek(stream, HEAD_BYTES)); // stdin cannot be read twice
      }
      const kind = this.#kindOf(input.path, head);
      this.#kinds.set(input.stream, kind);
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
          for await (const item of decodeMsgpackStream(stream)) {
            const position = pad(++n);
            if (item.kind === "value") {
              const fields = isPlainObject(item.value) ? item.value as Record<string, unknown> : { value: item.value };
              yield { ...base, position, value: null, fields, metadata: meta(n) };
              continue;
            }
            // Bytes that hold no record: the pipeline applies the error policy with the decoder's reason (a dead letter
            // keeps the bytes); `describe` adds the byte offset.
            this.#failures.set(`${input.stream}\n${position}`, item.offset);
            yield { ...base, position, value: item.bytes, metadata: meta(n), error: item.reason };
          }
        } else {
          let n = 0;
          for await (const item of splitArrowIpcBatches(stream)) {
            const position = pad(++n);
            if (item.kind === "batch") {
              yield { ...base, position, value: item.bytes, metadata: meta(n) };
              continue;
            }
            // Malformed IPC bytes (truncated, corrupt): as for MessagePack, one failed item with the rest of the bytes.
            this.#failures.set(`${input.stream}\n${position}`, item.offset);
            yield {
              ...base,
              position,
              value: item.bytes,
              metadata: meta(n),
              error: `invalid Arrow IPC: ${item.reason}`,
            };
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

/** `stream` with every chunk's length added to `into.bytes` as it is read. */
function countBytes(stream: ReadableStream<Uint8Array>, into: { bytes: number }): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        into.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
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
    const buffer = new Uint8Array(HEAD_BYTES);
    const n = await file.read(buffer);
    return buffer.subarray(0, n ?? 0);
  } finally {
    file.close();
  }
}

/**
 * Reads the first `size` bytes of a stream (fewer if it ends first) for sniffing, and gives a stream that still
 * yields every byte, those first ones included: stdin cannot be opened a second time as a file can.
 */
async function peek(
  stream: ReadableStream<Uint8Array>,
  size: number,
): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const read = await reader.read();
    if (read.done) {
      done = true;
      break;
    }
    chunks.push(read.value);
    length += read.value.length;
  }
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (done) controller.close();
    },
    async pull(controller) {
      const read = await reader.read();
      if (read.done) controller.close();
      else controller.enqueue(read.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const head = new Uint8Array(Math.min(length, size));
  let at = 0;
  for (const chunk of chunks) {
    if (at >= head.length) break;
    const part = chunk.subarray(0, head.length - at);
    head.set(part, at);
    at += part.length;
  }
  return { head, stream: rest };
}

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Lines: a byte stream split into lines without decoding it, so each line's bytes go to the codec untouched (and
// invalid UTF-8 is reported by the codec, not hidden here). Handles `\n` and `\r\n`; blank lines are reported with
// their number so positions stay line numbers.

/** One line of a file: its 1-based number and its bytes without the line ending. */
export interface Line {
  readonly number: number;
  readonly bytes: Uint8Array;
}

/** Yields the lines of a byte stream. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  let carry: Uint8Array = new Uint8Array(0);
  let number = 0;
  for await (const chunk of stream) {
    let data = chunk;
    if (carry.length > 0) {
      data = new Uint8Array(carry.length + chunk.length);
      data.set(carry);
      data.set(chunk, carry.length);
    }
    let start = 0;
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
      const end = i > start && data[i - 1] === 13 ? i - 1 : i;
      yield { number: ++number, bytes: data.slice(start, end) };
      start = i + 1;
    }
    carry = data.slice(start);
  }
  if (carry.length > 0) {
    const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield { number: ++number, bytes: carry.slice(0, end) };
  }
}

// Paths: the `path` key expanded to files: a file, a glob (`*`, `?`, `**`, `[abc]`) or `-` for stdin.

/** True when `path` contains glob characters. */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/** Converts a glob to a regular expression over `/`-separated paths. `**` matches any number of folders. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        const slash = glob[i + 2] === "/";
        out += slash ? "(?:[^/]*/)*" : ".*";
        i += slash ? 2 : 1;
      } else out += "[^/]*";
    } else if (char === "?") out += "[^/]";
    else if (char === "[") {
      const end = glob.indexOf("]", i);
      if (end < 0) out += "\\[";
      else {
        out += "[" + glob.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else out += /[.+^${}()|\\]/.test(char) ? "\\" + char : char;
  }
  return new RegExp(`^${out}$`);
}

/** Expands `path` to the sorted list of matching files; a plain path is returned as is (checked later). */
export async function expandPath(path: string): Promise<string[]> {
  if (!isGlob(path)) return [path];
  const parts = path.split("/");
  const firstGlob = parts.findIndex(isGlob);
  const base = parts.slice(0, firstGlob).join("/") || (path.startsWith("/") ? "/" : ".");
  const regex = globToRegExp(path.startsWith("./") ? path.slice(2) : path);
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for await (const entry of Deno.readDir(folder)) {
      const full = folder === "." ? entry.name : folder === "/" ? `/${entry.name}` : `${folder}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile && regex.test(full)) found.push(full);
    }
  };
  try {
    await walk(base.startsWith("./") ? base.slice(2) || "." : base);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}
