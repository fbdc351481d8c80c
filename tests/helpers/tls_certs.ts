/**
 * Throwaway certificates for TLS tests, made with `openssl` in a temporary folder: a CA, a server certificate it
 * signs for `localhost` and `127.0.0.1`, a client certificate it signs (for mutual TLS), and a second, unrelated CA
 * that trusts nothing of the above.
 * @module
 */
import { join } from "node:path";

/** Paths (PEM files) of the test certificates; `remove()` deletes the folder. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signs the server and client certificates. */
  readonly caCert: string;
  /** A CA that signed nothing here: trusting it alone must fail. */
  readonly otherCaCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Common name of the client certificate. */
  readonly clientName: string;
  remove(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(Deno.env.get("FSDS_OPENSSL") ?? "openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output().catch((cause) => {
    throw new Error(`Cannot run openssl (set FSDS_OPENSSL to its path): ${String(cause)}`, { cause });
  });
  if (!output.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

async function makeSigned(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  ]);
  await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

/** Makes the certificates in a new temporary folder. */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "fsds-tls-" });
  try {
    await makeCa(dir, "ca");
    await makeCa(dir, "other-ca");
    await makeSigned(
      dir,
      "server",
      "/CN=localhost",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    );
    await makeSigned(dir, "client", "/CN=fsds-test-client", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  return {
    dir,
    caCert: join(dir, "ca.pem"),
    otherCaCert: join(dir, "other-ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
    clientName: "fsds-test-client",
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
