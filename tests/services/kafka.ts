/**
 * Apache Kafka in KRaft mode, single node, from its jars on Maven Central.
 *
 * @module
 */
import {
  cacheDir,
  envPort,
  exists,
  javaBinary,
  logFileOf,
  mavenCopyDependencies,
  pidFileOf,
  run,
  type Service,
  serviceDir,
  spawnDetached,
  tcpExchange,
} from "./_common.ts";

/**
 * Kafka release the kit runs: the current 4.x by default; `FSDS_KAFKA_VERSION=3.9.2` runs the last 3.x instead (the
 * CI runs the Kafka tests against both). Each version has its own install and data folder.
 */
export const KAFKA_VERSION = Deno.env.get("FSDS_KAFKA_VERSION") || "4.4.0";

/** Kafka 4 logs through log4j2 and dropped the Metadata v0 request the 3.x probe used. */
const KAFKA_4 = Number(KAFKA_VERSION.split(".")[0]) >= 4;

/** Loopback port of the client listener. */
export function kafkaPort(): number {
  return envPort("FSDS_KAFKA_PORT", 19092);
}

/** Loopback port of the KRaft controller listener. */
export function kafkaControllerPort(): number {
  return envPort("FSDS_KAFKA_CONTROLLER_PORT", 19093);
}

/** Loopback port of the SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): the client port + 2. */
export function kafkaSaslPort(): number {
  return kafkaPort() + 2;
}

/** Loopback port of the TLS (SSL) listener: the client port + 3. Its certificate is {@linkcode kafkaTlsCaFile}. */
export function kafkaTlsPort(): number {
  return kafkaPort() + 3;
}

/** The users of the SASL listener: one for PLAIN, one with SCRAM-SHA-256 and SCRAM-SHA-512 credentials. */
export const KAFKA_SASL_USERS = {
  plain: { username: "fsds-plain", password: "plain-secret-1" },
  scram: { username: "fsds-scram", password: "scram-secret-2" },
} as const;

/** The PEM certificate of the TLS listener (self-signed, for 127.0.0.1 and localhost); trust it as the CA. */
export function kafkaTlsCaFile(): string {
  return `${serviceDir("kafka")}/tls/ca.pem`;
}

const KEYSTORE_PASSWORD = "fsds-kit-keystore";

function installDir(): string {
  return `${cacheDir()}/kafka-${KAFKA_VERSION}`;
}

function serverProperties(dataDir: string, keystore: string): string {
  const port = kafkaPort();
  const controller = kafkaControllerPort();
  const sasl = kafkaSaslPort();
  const tls = kafkaTlsPort();
  const { plain } = KAFKA_SASL_USERS;
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller},SASL_PLAINTEXT://127.0.0.1:${sasl},SSL://127.0.0.1:${tls}
advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${sasl},SSL://127.0.0.1:${tls}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=${keystore}
ssl.keystore.password=${KEYSTORE_PASSWORD}
ssl.key.password=${KEYSTORE_PASSWORD}
log.dirs=${dataDir}
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
`;
}

/** log4j 1 (reload4j) settings of Kafka 3.x. */
const LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
`;

/** log4j2 settings of Kafka 4.x: the same levels. */
const LOG4J2 = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = info
`;

function logConfigFile(): string {
  return `${serviceDir("kafka")}/${KAFKA_4 ? "log4j2.properties" : "log4j.properties"}`;
}

function classpath(): string {
  return `${installDir()}/libs/*`;
}

function jvmArgs(): string[] {
  return [
    "-Xmx512m",
    "-Xms128m",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    KAFKA_4 ? `-Dlog4j2.configurationFile=file:${logConfigFile()}` : `-Dlog4j.configuration=file:${logConfigFile()}`,
    `-Dkafka.logs.dir=${serviceDir("kafka")}/logs`,
    "-cp",
    classpath(),
  ];
}

/** `--add-scram` arguments of the storage format: the SCRAM user with both mechanisms. */
function scramUsers(): string[] {
  const { username, password } = KAFKA_SASL_USERS.scram;
  return ["SCRAM-SHA-256", "SCRAM-SHA-512"].map((mechanism) =>
    `--add-scram=${mechanism}=[name="${username}",password="${password}"]`
  );
}

/**
 * A PKCS12 keystore with a self-signed certificate for 127.0.0.1 and localhost (made with the JDK's `keytool`, once)
 * and its certificate as PEM next to it (`ca.pem`, what clients trust). Returns the keystore's path.
 */
async function ensureKeystore(dir: string): Promise<string> {
  const keystore = `${dir}/broker.p12`;
  if (await exists(`${dir}/ca.pem`)) return keystore;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(keystore).catch(() => {});
  const keytool = Deno.env.get("FSDS_KEYTOOL") ?? "keytool";
  const common = ["-keystore", keystore, "-storetype", "PKCS12", "-storepass", KEYSTORE_PASSWORD];
  await run(keytool, [
    "-genkeypair",
    "-alias",
    "broker",
    "-keyalg",
    "RSA",
    "-keysize",
    "2048",
    "-validity",
    "3650",
    "-dname",
    "CN=127.0.0.1",
    "-ext",
    "SAN=ip:127.0.0.1,dns:localhost",
    "-keypass",
    KEYSTORE_PASSWORD,
    ...common,
  ], { logFile: logFileOf("kafka") });
  await run(keytool, ["-exportcert", "-rfc", "-alias", "broker", "-file", `${dir}/ca.pem`, ...common], {
    logFile: logFileOf("kafka"),
  });
  return keystore;
}

/** A random Kafka cluster id: 16 bytes in URL-safe base64 without padding. */
function randomClusterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * A Metadata v4 request for no topic (every Kafka since 1.0 and through 4.x answers v4); the broker answers with its
 * broker list once it serves clients.
 */
function metadataRequest(): Uint8Array {
  const clientId = new TextEncoder().encode("fsds-kit");
  const body = new Uint8Array(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  const view = new DataView(body.buffer);
  view.setInt16(0, 3); // api key: Metadata
  view.setInt16(2, 4); // api version 4
  view.setInt32(4, 7); // correlation id
  view.setInt16(8, clientId.length);
  body.set(clientId, 10);
  view.setInt32(10 + clientId.length, 0); // an empty topic list: brokers only
  view.setInt8(14 + clientId.length, 0); // allow_auto_topic_creation: false
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setInt32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** The Kafka service of the kit. */
export const kafka: Service = {
  name: "kafka",
  startTimeoutMs: 180_000,
  ports: () => [kafkaPort(), kafkaControllerPort(), kafkaSaslPort(), kafkaTlsPort()],

  async isInstalled() {
    return await exists(`${installDir()}/.installed`);
  },

  async install() {
    const dir = installDir();
    await mavenCopyDependencies(`${dir}/build`, [
      { group: "org.apache.kafka", artifact: "kafka_2.13", version: KAFKA_VERSION },
      KAFKA_4
        ? { group: "org.apache.logging.log4j", artifact: "log4j-slf4j-impl", version: "2.25.5" }
        : { group: "org.slf4j", artifact: "slf4j-reload4j", version: "1.7.36" },
    ], `${dir}/libs`);
    await Deno.writeTextFile(`${dir}/.installed`, new Date().toISOString());
  },

  async spawn() {
    const dir = serviceDir("kafka");
    // A version's own storage format; "-scram" since the SCRAM users are written when the storage is formatted.
    const dataDir = `${dir}/data-${KAFKA_VERSION}-scram`;
    await Deno.mkdir(`${dir}/logs`, { recursive: true });
    const keystore = await ensureKeystore(`${dir}/tls`);
    await Deno.writeTextFile(`${dir}/server.properties`, serverProperties(dataDir, keystore));
    await Deno.writeTextFile(logConfigFile(), KAFKA_4 ? LOG4J2 : LOG4J);
    if (!await exists(`${dataDir}/meta.properties`)) {
      await Deno.mkdir(dataDir, { recursive: true });
      await run(javaBinary(), [
        ...jvmArgs(),
        "kafka.tools.StorageTool",
        "format",
        "--ignore-formatted",
        `--cluster-id=${randomClusterId()}`,
        `--config=${dir}/server.properties`,
        ...scramUsers(),
      ], { logFile: logFileOf("kafka") });
    }
    await spawnDetached(javaBinary(), [...jvmArgs(), "kafka.Kafka", `${dir}/server.properties`], {
      cwd: dir,
      logFile: logFileOf("kafka"),
      pidFile: pidFileOf("kafka"),
    });
  },

  async probe() {
    try {
      const response = await tcpExchange(kafkaPort(), metadataRequest(), (bytes) => {
        return bytes.length >= 4 && bytes.length >= 4 + new DataView(bytes.buffer).getInt32(0);
      });
      if (response.length < 16) return "no Metadata response";
      const view = new DataView(response.buffer);
      const brokers = view.getInt32(12); // after size, correlation id and throttle time
      return brokers >= 1 ? null : "Metadata lists no broker yet";
    } catch (error) {
      return `Metadata request failed: ${(error as Error).message}`;
    }
  },
};
