/**
 * Turns WebHDFS failures into clear errors. The NameNode and DataNodes answer failures with a `RemoteException`
 * JSON body (`{"RemoteException": {"exception", "javaClassName", "message"}}`); this module classifies it so the
 * client knows whether to try another NameNode, retry later, or give up with a message a person can act on.
 * @module
 */

/**
 * What went wrong, as far as the caller needs to know.
 * - `not_found`: the path does not exist (FileNotFoundException).
 * - `permission`: the user may not do this (AccessControlException).
 * - `standby`: this NameNode is a standby of an HA pair: try the next one (StandbyException).
 * - `retriable`: the NameNode asks to retry later (SafeModeException, RetriableException).
 * - `exists`: the target already exists (FileAlreadyExistsException).
 * - `invalid`: the request itself is wrong (IllegalArgumentException, unknown op, bad parameter).
 * - `server`: a 5xx answer without a more precise cause; worth a retry.
 * - `unreachable`: no answer at all (connection refused, reset, timeout); worth another NameNode or a retry.
 * - `other`: anything else; not retried.
 */
export type WebHdfsErrorKind =
  | "not_found"
  | "permission"
  | "standby"
  | "retriable"
  | "exists"
  | "invalid"
  | "server"
  | "unreachable"
  | "other";

/** The `RemoteException` object of a WebHDFS error body. */
export interface RemoteException {
  /** Simple class name, e.g. `FileNotFoundException`. */
  readonly exception: string;
  /** Full class name, e.g. `java.io.FileNotFoundException`. */
  readonly javaClassName?: string;
  /** The server's message. */
  readonly message: string;
}

/** Options of {@linkcode WebHdfsError}. */
export interface WebHdfsErrorOptions {
  /** The WebHDFS operation, e.g. `CREATE`. */
  readonly op: string;
  /** The HDFS path the operation was about. */
  readonly path: string;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** The parsed exception, when the body held one. */
  readonly remote?: RemoteException;
  /** The underlying error (a network error, for `unreachable`). */
  readonly cause?: unknown;
}

/** A failed WebHDFS call. Its message is final and readable; `kind` tells whether a retry can help. */
export class WebHdfsError extends Error {
  /** Classification, see {@linkcode WebHdfsErrorKind}. */
  readonly kind: WebHdfsErrorKind;
  /** The WebHDFS operation, e.g. `RENAME`. */
  readonly op: string;
  /** The HDFS path the operation was about. */
  readonly path: string;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** The parsed exception, when the body held one. */
  readonly remote?: RemoteException;

  constructor(kind: WebHdfsErrorKind, message: string, options: WebHdfsErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "WebHdfsError";
    this.kind = kind;
    this.op = options.op;
    this.path = options.path;
    this.status = options.status;
    this.remote = options.remote;
  }

  /** True when retrying the same call later may succeed. */
  get retriable(): boolean {
    return this.kind === "retriable" || this.kind === "server" || this.kind === "unreachable" ||
      this.kind === "standby";
  }
}

/** Reads the `RemoteException` out of an error body; undefined when the body is not one. */
export function parseRemoteException(body: string): RemoteException | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const remote = (parsed as Record<string, unknown>).RemoteException;
  if (typeof remote !== "object" || remote === null) return undefined;
  const r = remote as Record<string, unknown>;
  const javaClassName = typeof r.javaClassName === "string" ? r.javaClassName : undefined;
  const exception = typeof r.exception === "string" ? r.exception : javaClassName?.split(".").pop() ?? "Exception";
  const message = typeof r.message === "string" ? r.message : "";
  return { exception, javaClassName, message };
}

/** Context for {@linkcode errorFromResponse}: what was attempted, by whom. */
export interface ErrorContext {
  /** The WebHDFS operation. */
  readonly op: string;
  /** The HDFS path. */
  readonly path: string;
  /** The user the request ran as (for permission messages), when known. */
  readonly user?: string;
  /** Where the request went (NameNode or DataNode base URL, never with a token). */
  readonly endpoint?: string;
}

const ACCESS_BY_OP: Record<string, string> = {
  CREATE: "write",
  MKDIRS: "write",
  RENAME: "write",
  DELETE: "write",
  SETTIMES: "write",
  OPEN: "read",
  LISTSTATUS: "list",
  LISTSTATUS_BATCH: "list",
  GETFILESTATUS: "read",
};

/** Builds the error for a non-success HTTP answer from its status and body text. */
export function errorFromResponse(status: number, body: string, context: ErrorContext): WebHdfsError {
  const remote = parseRemoteException(body);
  const kind = classify(status, remote);
  const where = context.endpoint ? ` (${context.endpoint})` : "";
  const detail = remote ? `${remote.exception}: ${firstLine(remote.message)}` : `HTTP ${status} ${snippet(body)}`;
  let message: string;
  if (kind === "permission") {
    const user = context.user ?? permissionUser(remote?.message) ?? "(unknown user)";
    const access = ACCESS_BY_OP[context.op] ?? "access";
    message = `Cannot ${context.op} "${context.path}": permission denied: user ${user} cannot ${access} ` +
      `${context.path}${where}: ${detail}`;
  } else if (kind === "not_found") {
    message = `Cannot ${context.op} "${context.path}": no such file or folder${where}: ${detail}`;
  } else {
    message = `Cannot ${context.op} "${context.path}"${where}: ${detail}`;
  }
  return new WebHdfsError(kind, message, { op: context.op, path: context.path, status, remote });
}

/** Builds the error for a request that got no answer (refused, reset, DNS failure, timeout). */
export function unreachableError(error: unknown, context: ErrorContext): WebHdfsError {
  const reason = error instanceof Error ? error.message : String(error);
  const where = context.endpoint ?? "WebHDFS";
  return new WebHdfsError(
    "unreachable",
    `Cannot ${context.op} "${context.path}": ${where} is unreachable: ${firstLine(reason)}`,
    { op: context.op, path: context.path, cause: error },
  );
}

function classify(status: number, remote: RemoteException | undefined): WebHdfsErrorKind {
  const name = remote?.exception ?? "";
  const message = remote?.message ?? "";
  if (name === "StandbyException" || /operation category \w+ is not supported in state standby/i.test(message)) {
    return "standby";
  }
  if (name === "SafeModeException" || name === "RetriableException" || /safe mode/i.test(message)) {
    return "retriable";
  }
  // No live DataNode for now (a DataNode restarting, or not registered yet after a NameNode restart).
  if (/failed to find datanode|could only be (written|replicated) to 0 nodes/i.test(message)) return "retriable";
  if (name === "AccessControlException" || name === "SecurityException" || /permission denied/i.test(message)) {
    return "permission";
  }
  if (name === "FileNotFoundException" || (status === 404 && !remote)) return "not_found";
  if (name === "FileAlreadyExistsException" || name === "ParentNotDirectoryException") return "exists";
  if (name === "IllegalArgumentException" || name === "UnsupportedOperationException") return "invalid";
  if (status >= 500) return "server";
  if (status === 401) return "permission";
  return "other";
}

/** The user named in an HDFS permission message, e.g. `Permission denied: user=fsds, access=WRITE, ...`. */
function permissionUser(message: string | undefined): string | undefined {
  return message?.match(/user=([^,\s]+)/)?.[1];
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

function snippet(body: string): string {
  const text = body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
