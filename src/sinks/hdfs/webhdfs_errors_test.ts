import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { errorFromResponse, parseRemoteException, unreachableError } from "./webhdfs_errors.ts";

function remote(exception: string, javaClassName: string, message: string): string {
  return JSON.stringify({ RemoteException: { exception, javaClassName, message } });
}

Deno.test("parseRemoteException() reads the exception, class and message", () => {
  const body = remote("FileNotFoundException", "java.io.FileNotFoundException", "File does not exist: /a/b");
  assertEquals(parseRemoteException(body), {
    exception: "FileNotFoundException",
    javaClassName: "java.io.FileNotFoundException",
    message: "File does not exist: /a/b",
  });
});

Deno.test("parseRemoteException() falls back to the class name and ignores other bodies", () => {
  const body = JSON.stringify({ RemoteException: { javaClassName: "org.apache.hadoop.ipc.StandbyException" } });
  assertEquals(parseRemoteException(body)?.exception, "StandbyException");
  assertEquals(parseRemoteException("<html>502 Bad Gateway</html>"), undefined);
  assertEquals(parseRemoteException(JSON.stringify({ boolean: false })), undefined);
});

Deno.test("errorFromResponse() names user, access and path on AccessControlException", () => {
  const body = remote(
    "AccessControlException",
    "org.apache.hadoop.security.AccessControlException",
    'Permission denied: user=fsds, access=WRITE, inode="/locked":root:supergroup:drwx------',
  );
  const error = errorFromResponse(403, body, { op: "CREATE", path: "/locked/x.parquet", user: "fsds" });
  assertEquals(error.kind, "permission");
  assertEquals(error.retriable, false);
  assert.match(error.message, /permission denied: user fsds cannot write \/locked\/x\.parquet/);
  // The user comes from the server message when the client does not know it (delegation token).
  const fromMessage = errorFromResponse(403, body, { op: "MKDIRS", path: "/locked/d" });
  assert.match(fromMessage.message, /user fsds cannot write \/locked\/d/);
});

Deno.test("errorFromResponse() classifies standby, safe mode, missing files and server errors", () => {
  const ctx = { op: "GETFILESTATUS", path: "/p", endpoint: "http://nn1:9870" };
  const standby = errorFromResponse(
    403,
    remote(
      "StandbyException",
      "org.apache.hadoop.ipc.StandbyException",
      "Operation category READ is not supported in state standby",
    ),
    ctx,
  );
  assertEquals([standby.kind, standby.retriable], ["standby", true]);
  const safe = errorFromResponse(
    403,
    remote("RetriableException", "org.apache.hadoop.ipc.RetriableException", "NameNode is in safe mode."),
    ctx,
  );
  assertEquals([safe.kind, safe.retriable], ["retriable", true]);
  const noDataNode = errorFromResponse(
    403,
    remote(
      "IOException",
      "java.io.IOException",
      "Failed to find datanode, suggest to check cluster health. excludeDatanodes=null",
    ),
    { op: "CREATE", path: "/p" },
  );
  assertEquals([noDataNode.kind, noDataNode.retriable], ["retriable", true]);
  const missing = errorFromResponse(
    404,
    remote("FileNotFoundException", "java.io.FileNotFoundException", "File does not exist: /p"),
    ctx,
  );
  assertEquals([missing.kind, missing.retriable], ["not_found", false]);
  assert.match(missing.message, /^Cannot GETFILESTATUS "\/p": no such file or folder \(http:\/\/nn1:9870\)/);
  const bad = errorFromResponse(502, "<html><body>Bad Gateway</body></html>", ctx);
  assertEquals([bad.kind, bad.retriable, bad.status], ["server", true, 502]);
  assert.match(bad.message, /HTTP 502 Bad Gateway/);
  const invalid = errorFromResponse(
    400,
    remote("IllegalArgumentException", "java.lang.IllegalArgumentException", "Invalid value for webhdfs parameter"),
    ctx,
  );
  assertEquals([invalid.kind, invalid.retriable], ["invalid", false]);
});

Deno.test("unreachableError() is retriable and says which endpoint did not answer", () => {
  const error = unreachableError(new TypeError("Connection refused (os error 111)"), {
    op: "MKDIRS",
    path: "/data",
    endpoint: "http://127.0.0.1:19870",
  });
  assertEquals([error.kind, error.retriable], ["unreachable", true]);
  assert.match(error.message, /Cannot MKDIRS "\/data": http:\/\/127\.0\.0\.1:19870 is unreachable: .*refused/);
});
