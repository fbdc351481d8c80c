/**
 * HDFS: a NameNode and a DataNode of Apache Hadoop (jars from Maven Central) in one JVM, run by a small launcher
 * compiled with javac at install time. WebHDFS is served on the NameNode HTTP port; the DataNode registers as
 * 127.0.0.1 so that the CREATE redirect points at loopback. Permissions are on: the superuser is the account that
 * runs the kit, the test user `fsds` owns `/user/fsds` and `/tmp` is world-writable.
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
  pidFileOf,
  run,
  type Service,
  serviceDir,
  spawnDetached,
} from "./_common.ts";

/** Hadoop release the kit runs. */
export const HADOOP_VERSION = "3.4.1";

/** The user the tests act as over WebHDFS. */
export const HDFS_TEST_USER = "fsds";

/** Home folder of the test user, owned by it. */
export const HDFS_TEST_HOME = `/user/${HDFS_TEST_USER}`;

/** NameNode HTTP port (WebHDFS). */
export function hdfsHttpPort(): number {
  return envPort("FSDS_HDFS_HTTP_PORT", 19870);
}

/** NameNode RPC port. */
export function hdfsRpcPort(): number {
  return envPort("FSDS_HDFS_RPC_PORT", 19820);
}

function dataNodePorts(): { http: number; data: number; ipc: number } {
  return {
    http: envPort("FSDS_HDFS_DATANODE_HTTP_PORT", 19864),
    data: envPort("FSDS_HDFS_DATANODE_PORT", 19866),
    ipc: envPort("FSDS_HDFS_DATANODE_IPC_PORT", 19867),
  };
}

let superuserName: string | undefined;

/** The superuser of the NameNode: the account that starts it. */
async function superuser(): Promise<string> {
  superuserName ??= (await run("id", ["-un"])).trim();
  return superuserName;
}

function installDir(): string {
  return `${cacheDir()}/hadoop-${HADOOP_VERSION}`;
}

const LAUNCHER_SOURCE = new URL("./hdfs_launcher.java", import.meta.url);

async function launcherDir(): Promise<string> {
  const source = await Deno.readFile(LAUNCHER_SOURCE);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", source));
  const hex = Array.from(digest.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${installDir()}/launcher-${hex}`;
}

function xmlConfig(properties: Record<string, string | number | boolean>): string {
  const body = Object.entries(properties)
    .map(([name, value]) => `  <property><name>${name}</name><value>${value}</value></property>`)
    .join("\n");
  return `<?xml version="1.0"?>\n<configuration>\n${body}\n</configuration>\n`;
}

async function writeConfig(dir: string): Promise<void> {
  const dn = dataNodePorts();
  await Deno.mkdir(`${dir}/conf`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/conf/core-site.xml`,
    xmlConfig({
      "fs.defaultFS": `hdfs://127.0.0.1:${hdfsRpcPort()}`,
      "hadoop.tmp.dir": `${dir}/tmp`,
      "hadoop.security.authentication": "simple",
      "hadoop.http.staticuser.user": HDFS_TEST_USER,
    }),
  );
  await Deno.writeTextFile(
    `${dir}/conf/hdfs-site.xml`,
    xmlConfig({
      "dfs.namenode.name.dir": `file://${dir}/name`,
      "dfs.datanode.data.dir": `file://${dir}/data`,
      "dfs.replication": 1,
      "dfs.blocksize": 16 * 1024 * 1024,
      "dfs.namenode.rpc-address": `127.0.0.1:${hdfsRpcPort()}`,
      "dfs.namenode.rpc-bind-host": "127.0.0.1",
      "dfs.namenode.http-address": `127.0.0.1:${hdfsHttpPort()}`,
      "dfs.namenode.http-bind-host": "127.0.0.1",
      "dfs.namenode.secondary.http-address": "127.0.0.1:0",
      "dfs.namenode.backup.http-address": "127.0.0.1:0",
      "dfs.datanode.address": `127.0.0.1:${dn.data}`,
      "dfs.datanode.http.address": `127.0.0.1:${dn.http}`,
      "dfs.datanode.ipc.address": `127.0.0.1:${dn.ipc}`,
      "dfs.datanode.hostname": "127.0.0.1",
      "dfs.datanode.use.datanode.hostname": true,
      "dfs.client.use.datanode.hostname": true,
      "dfs.namenode.datanode.registration.ip-hostname-check": false,
      "dfs.webhdfs.enabled": true,
      "dfs.permissions.enabled": true,
      "dfs.permissions.superusergroup": "supergroup",
      // Leave safe mode only once every block is reported: the default 0.999 rounds down to "none" when there
      // are few blocks, and reads right after a restart then fail with "No active nodes contain this block".
      "dfs.namenode.safemode.threshold-pct": 1.0,
      "dfs.namenode.safemode.extension": 0,
      "dfs.namenode.safemode.min.datanodes": 0,
      "dfs.heartbeat.interval": 1,
      "dfs.namenode.heartbeat.recheck-interval": 10_000,
      "dfs.datanode.du.reserved": 0,
      "dfs.namenode.resource.du.reserved": 1024 * 1024,
      "dfs.namenode.handler.count": 4,
      "dfs.datanode.handler.count": 4,
      "dfs.namenode.fs-limits.min-block-size": 1024,
    }),
  );
  await Deno.writeTextFile(
    `${dir}/conf/log4j.properties`,
    `log4j.rootLogger=WARN, console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.err
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
log4j.logger.org.apache.hadoop.hdfs.server.namenode.NameNode=INFO
`,
  );
}

async function webhdfs(method: string, path: string, query: string, user?: string): Promise<Response> {
  user ??= await superuser();
  const url = `http://127.0.0.1:${hdfsHttpPort()}/webhdfs/v1${path}?${query}&user.name=${user}`;
  return await fetchWithTimeout(url, { method }, 10_000);
}

async function expectOk(response: Response, action: string): Promise<void> {
  const text = await response.text();
  if (!response.ok) throw new Error(`Cannot ${action} over WebHDFS: ${response.status} ${text}`);
}

/** The HDFS service of the kit. */
export const hdfs: Service = {
  name: "hdfs",
  startTimeoutMs: 240_000,
  ports: () => {
    const dn = dataNodePorts();
    return [hdfsHttpPort(), hdfsRpcPort(), dn.http, dn.data, dn.ipc];
  },

  async isInstalled() {
    return await exists(`${installDir()}/.installed`) && await exists(`${await launcherDir()}/FsdsHdfsLauncher.class`);
  },

  async install() {
    const dir = installDir();
    if (!await exists(`${dir}/.installed`)) {
      await mavenCopyDependencies(`${dir}/build`, [
        { group: "org.apache.hadoop", artifact: "hadoop-hdfs", version: HADOOP_VERSION },
        { group: "org.apache.hadoop", artifact: "hadoop-hdfs-client", version: HADOOP_VERSION },
        { group: "org.apache.hadoop", artifact: "hadoop-common", version: HADOOP_VERSION },
      ], `${dir}/libs`);
      await Deno.writeTextFile(`${dir}/.installed`, new Date().toISOString());
    }
    const out = await launcherDir();
    await Deno.mkdir(out, { recursive: true });
    await run("javac", ["-nowarn", "-d", out, "-cp", `${dir}/libs/*`, LAUNCHER_SOURCE.pathname]);
    // The HTTP servers look up their web app folders on the classpath; the Maven jars do not ship them, and
    // WebHDFS (registered in code) needs only the folders to exist.
    for (const app of ["hdfs", "datanode", "secondary", "journal", "static"]) {
      await Deno.mkdir(`${out}/webapps/${app}`, { recursive: true });
    }
  },

  async spawn() {
    const dir = serviceDir("hdfs");
    await writeConfig(dir);
    const jvm = [
      "-Xmx768m",
      "-Xms128m",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      "-Djava.net.preferIPv4Stack=true",
      `-Dhadoop.log.dir=${dir}/logs`,
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "-cp",
      `${dir}/conf:${await launcherDir()}:${installDir()}/libs/*`,
      "FsdsHdfsLauncher",
    ];
    // Format only a NameNode that never was: a restart must keep the data.
    if (!await exists(`${dir}/name/current/VERSION`)) {
      await run(javaBinary(), [...jvm, "format"], { cwd: dir, logFile: logFileOf("hdfs") });
    }
    await spawnDetached(javaBinary(), [...jvm, "run"], {
      cwd: dir,
      logFile: logFileOf("hdfs"),
      pidFile: pidFileOf("hdfs"),
    });
  },

  async probe() {
    try {
      const list = await webhdfs("GET", "/", "op=LISTSTATUS", HDFS_TEST_USER);
      await list.body?.cancel();
      if (!list.ok) return `LISTSTATUS answered ${list.status}`;
      const jmx = await fetchWithTimeout(
        `http://127.0.0.1:${hdfsHttpPort()}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState`,
        {},
        5000,
      );
      const bean = (await jmx.json()).beans?.[0] ?? {};
      if ((bean.NumLiveDataNodes ?? 0) < 1) return "no live DataNode yet";
      if (bean.FSState !== "Operational") return `NameNode is in state "${bean.FSState}"`;
      return null;
    } catch (error) {
      return `WebHDFS check failed: ${(error as Error).message}`;
    }
  },

  async afterStart() {
    await expectOk(await webhdfs("PUT", "/tmp", "op=MKDIRS&permission=1777"), `create "/tmp"`);
    await expectOk(await webhdfs("PUT", "/tmp", "op=SETPERMISSION&permission=1777"), `open up "/tmp"`);
    await expectOk(await webhdfs("PUT", HDFS_TEST_HOME, "op=MKDIRS&permission=755"), `create "${HDFS_TEST_HOME}"`);
    await expectOk(
      await webhdfs("PUT", HDFS_TEST_HOME, `op=SETOWNER&owner=${HDFS_TEST_USER}&group=${HDFS_TEST_USER}`),
      `give "${HDFS_TEST_HOME}" to "${HDFS_TEST_USER}"`,
    );
  },
};
