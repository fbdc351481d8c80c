/**
 * Iceberg REST catalog: Apache Iceberg's own REST catalog server (`RESTCatalogServer` of the `iceberg-open-api`
 * test fixtures, jars from Maven Central), backed by a JDBC catalog in a SQLite file so that tables outlive a restart.
 * Its FileIO resolves by scheme: `file://` and `hdfs://` through Hadoop, `s3://` through the AWS SDK pointed at the
 * kit's MinIO, so the catalog can write the metadata of tables on all three sinks.
 *
 * @module
 */
import {
  cacheDir,
  envPort,
  exists,
  fetchWithTimeout,
  javaBinary,
  logFileOf,
  mavenCopyDependencies,
  type MavenDependency,
  pidFileOf,
  type Service,
  serviceDir,
  spawnDetached,
} from "./_common.ts";
import { S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, s3Port } from "./s3.ts";

/** Iceberg release of the catalog server. */
export const ICEBERG_VERSION = "1.10.0";
const JETTY_VERSION = "11.0.25";
const HADOOP_VERSION = "3.4.1";

/** Port of the REST catalog. */
export function icebergRestPort(): number {
  return envPort("FSDS_ICEBERG_REST_PORT", 18181);
}

// The install folder is named after the dependency list, so a change to it installs afresh beside the old one.
function installDir(): string {
  let hash = 0x811c9dc5;
  for (const char of JSON.stringify(DEPENDENCIES)) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return `${cacheDir()}/iceberg-rest-${ICEBERG_VERSION}-${hash.toString(16).padStart(8, "0")}`;
}

// Hadoop's own Jetty 9, servlet API and logging bindings clash with the server's Jetty 11 and slf4j 2.
const HADOOP_EXCLUSIONS = ["org.eclipse.jetty", "org.slf4j", "ch.qos.reload4j", "com.sun.jersey", "javax.servlet"];

const DEPENDENCIES: MavenDependency[] = [
  { group: "org.apache.iceberg", artifact: "iceberg-open-api", version: ICEBERG_VERSION, classifier: "test-fixtures" },
  { group: "org.apache.iceberg", artifact: "iceberg-core", version: ICEBERG_VERSION },
  // RESTCatalogServlet and RESTCatalogAdapter live in iceberg-core's test jar.
  { group: "org.apache.iceberg", artifact: "iceberg-core", version: ICEBERG_VERSION, classifier: "tests" },
  { group: "org.apache.iceberg", artifact: "iceberg-aws", version: ICEBERG_VERSION },
  // S3FileIO's AWS SDK, shaded in one jar with every module its client factories name (KMS, STS, Glue...).
  { group: "org.apache.iceberg", artifact: "iceberg-aws-bundle", version: ICEBERG_VERSION },
  { group: "org.eclipse.jetty", artifact: "jetty-server", version: JETTY_VERSION },
  { group: "org.eclipse.jetty", artifact: "jetty-servlet", version: JETTY_VERSION },
  { group: "org.apache.hadoop", artifact: "hadoop-common", version: HADOOP_VERSION, exclusions: HADOOP_EXCLUSIONS },
  {
    group: "org.apache.hadoop",
    artifact: "hadoop-hdfs-client",
    version: HADOOP_VERSION,
    exclusions: HADOOP_EXCLUSIONS,
  },
  { group: "org.xerial", artifact: "sqlite-jdbc", version: "3.50.3.0" },
  { group: "org.slf4j", artifact: "slf4j-simple", version: "2.0.17" },
];

/** The catalog server's settings, as the fixture reads them (`CATALOG_` variables: `__` is `-`, `_` is `.`). */
function catalogEnv(dir: string): Record<string, string> {
  return {
    CATALOG_REST_PORT: String(icebergRestPort()),
    // WAL and a busy timeout: concurrent commits of two writers wait for SQLite's lock instead of failing with 500.
    CATALOG_URI: `jdbc:sqlite:${dir}/catalog.db?journal_mode=WAL&busy_timeout=30000`,
    // One JDBC connection (the pool holds two by default). With two, a connection whose transaction read before the
    // other one wrote fails its write with SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out, and stays failing:
    // a fresh-clone rehearsal saw every namespace creation answered 500 for minutes after the concurrent-writer
    // tests. SQLite takes one writer at a time anyway; requests now queue for the connection.
    CATALOG_CLIENTS: "1",
    CATALOG_JDBC_SCHEMA__VERSION: "V1",
    CATALOG_WAREHOUSE: `file://${dir}/warehouse`,
    CATALOG_IO__IMPL: "org.apache.iceberg.io.ResolvingFileIO",
    CATALOG_S3_ENDPOINT: `http://127.0.0.1:${s3Port()}`,
    CATALOG_S3_PATH__STYLE__ACCESS: "true",
    CATALOG_S3_ACCESS__KEY__ID: S3_ACCESS_KEY,
    CATALOG_S3_SECRET__ACCESS__KEY: S3_SECRET_KEY,
    CATALOG_CLIENT_REGION: S3_REGION,
    AWS_REGION: S3_REGION,
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY,
  };
}

/** The Iceberg REST catalog service of the kit. */
export const iceberg: Service = {
  name: "iceberg",
  startTimeoutMs: 90_000,
  ports: () => [icebergRestPort()],

  async isInstalled() {
    return await exists(`${installDir()}/.installed`);
  },

  async install() {
    const dir = installDir();
    await mavenCopyDependencies(`${dir}/build`, DEPENDENCIES, `${dir}/libs`);
    await Deno.writeTextFile(`${dir}/.installed`, new Date().toISOString());
  },

  async spawn() {
    const dir = serviceDir("iceberg");
    await Deno.mkdir(`${dir}/warehouse`, { recursive: true });
    const env = catalogEnv(dir);
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    await spawnDetached("env", [
      ...assignments,
      javaBinary(),
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-Djava.net.preferIPv4Stack=true",
      // Names the state folder, so that `down` finds the process by its command line.
      `-Dfsds.state=${dir}`,
      "-cp",
      `${installDir()}/libs/*`,
      "org.apache.iceberg.rest.RESTCatalogServer",
    ], { cwd: dir, logFile: logFileOf("iceberg"), pidFile: pidFileOf("iceberg") });
  },

  async probe() {
    try {
      const response = await fetchWithTimeout(`http://127.0.0.1:${icebergRestPort()}/v1/config`, {}, 5000);
      const body = await response.text();
      return response.ok ? null : `GET /v1/config answered ${response.status}: ${body.slice(0, 200)}`;
    } catch (error) {
      return `the REST catalog does not answer: ${(error as Error).message}`;
    }
  },
};
