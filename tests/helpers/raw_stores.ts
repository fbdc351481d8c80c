/**
 * The kit's S3 (MinIO) and HDFS read without the sinks' code: an AWS SDK client of its own and plain WebHDFS requests
 * over `fetch`, so tests look at what a sink wrote the way another tool would.
 * @module
 */
import assert from "node:assert/strict";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { endpoints } from "../services/endpoints.ts";

/** An SDK client of its own for the kit's MinIO (path-style, the kit's keys). */
export function rawS3Client(): S3Client {
  const s3 = endpoints().s3;
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** Every object key below `<prefix>/` in the kit's bucket, sorted. */
export async function s3KeysUnder(client: S3Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: endpoints().s3.bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) keys.push(item.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** One plain WebHDFS request as the test user; redirects to the DataNode are followed. */
export async function webhdfs(path: string, op: string, method = "GET"): Promise<Response> {
  const { url, user } = endpoints().hdfs;
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return await fetch(`${url}/webhdfs/v1${encoded}?op=${op}&user.name=${encodeURIComponent(user)}`, {
    method,
    signal: AbortSignal.timeout(30_000),
  });
}

/** Every file below `folder` on HDFS (absolute paths, hidden ones included), sorted; none for a missing folder. */
export async function hdfsTree(folder: string): Promise<string[]> {
  const response = await webhdfs(folder, "LISTSTATUS");
  if (response.status === 404) {
    await response.body?.cancel();
    return [];
  }
  assert(response.ok, `LISTSTATUS ${folder}: ${response.status} ${await response.clone().text()}`);
  const entries = (await response.json()).FileStatuses.FileStatus as { pathSuffix: string; type: string }[];
  const out: string[] = [];
  for (const entry of entries) {
    const full = `${folder}/${entry.pathSuffix}`;
    if (entry.type === "DIRECTORY") out.push(...await hdfsTree(full));
    else out.push(full);
  }
  return out.sort();
}
