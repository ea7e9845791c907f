/**
 * A small PKI made at test time (ECDSA P-256, @peculiar/x509 on Node's
 * webcrypto) into a temp dir as PEM files, for the TLS tests of both servers.
 * Every certificate carries what Go's crypto/tls (real etcd, etcdctl) wants:
 * key usage digitalSignature + keyEncipherment, the extended key usages of its
 * role, subject and authority key identifiers, and CA:true on the CAs.
 *
 * Files are replaced by writing a sibling temp file and renaming it over the
 * old one, so a server re-reading them per handshake (rotation) never sees a
 * half-written file.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./paths.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its key on disk, and the serial a server or CRL knows it by. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  /** Lower-case hex, as `tls.TLSSocket#getPeerCertificate().serialNumber` gives it (upper-cased there). */
  readonly serial: string;
}

/** What a certificate is for: the extended key usages it gets. */
export type CertRole = "server" | "client" | "peer";

export interface IssueOptions {
  /** Subject CN; defaults by role: etcd-server, root, or the file name for peers. */
  commonName?: string;
  /** DNS names in the SAN. Default: ["localhost"] for server and peer certs, none for client certs. */
  dnsNames?: string[];
  /** IP addresses in the SAN. Default: ["127.0.0.1"] for server and peer certs, none for client certs. */
  ipAddresses?: string[];
  /** Validity window; default: from an hour ago for a year. */
  notBefore?: Date;
  notAfter?: Date;
  /** Keep the key of this certificate (issued by this PKI) instead of making a new one: rotation without a key change. */
  reuseKeyOf?: CertFiles;
}

interface Authority {
  readonly certFile: string;
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

/**
 * The PKI of one test file: a CA and everything it issued, plus an unrelated
 * second CA. Call `remove()` in the test's `after`.
 */
export interface TestPki {
  readonly dir: string;
  /** The trusted CA's certificate file (--trusted-ca-file, --cacert). */
  readonly caFile: string;
  /** A second CA nobody trusts, and a client certificate it issued. */
  readonly otherCaFile: string;
  readonly otherClient: CertFiles;
  /** Server cert: CN etcd-server, SAN 127.0.0.1 and localhost, serverAuth and clientAuth (as etcd's guides make it). */
  readonly server: CertFiles;
  /** Client cert: CN root, clientAuth. */
  readonly client: CertFiles;
  /** A client cert whose validity ended yesterday. */
  readonly expiredClient: CertFiles;
  /** A client cert listed in `crlFile`. */
  readonly revokedClient: CertFiles;
  /** A CRL signed by the CA listing `revokedClient`. */
  readonly crlFile: string;
  /** A client cert with CN "intruder" and SAN DNS wrong.example / IP 10.255.255.1. */
  readonly wrongNameClient: CertFiles;
  /** Issues a certificate of a role into `<name>.crt` / `<name>.key` (replacing existing files atomically). */
  issue(name: string, role: CertRole, options?: IssueOptions): Promise<CertFiles>;
  /** A member's peer certificate (server and client auth, SAN 127.0.0.1 and localhost, CN = name). */
  peer(name: string): Promise<CertFiles>;
  /** A client certificate with the given CN (e.g. an etcd user name). */
  clientFor(commonName: string): Promise<CertFiles>;
  /**
   * Re-issues the server certificate over `server`'s files with a new serial,
   * keeping its key (so only the cert file changes, in one rename). Returns the new serial.
   */
  rotateServer(): Promise<string>;
  /** Writes a new CRL over `crlFile` listing exactly these certificates. */
  writeCrl(revoked: readonly CertFiles[]): Promise<void>;
  remove(): void;
}

export async function createPki(): Promise<TestPki> {
  const dir = tempDir("etcd-pki");
  const ca = await createAuthority(dir.path, "ca", "etcd-test-ca");
  const otherCa = await createAuthority(dir.path, "other-ca", "unrelated-ca");
  /** Key pairs by key file, to re-issue a certificate for the same key. */
  const keysByFile = new Map<string, webcrypto.CryptoKeyPair>();

  const issue = async (name: string, role: CertRole, options: IssueOptions = {}, by: Authority = ca): Promise<CertFiles> => {
    const keys = (options.reuseKeyOf !== undefined ? keysByFile.get(options.reuseKeyOf.key) : undefined) ?? (await generateKeys());
    const isClient = role === "client";
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: newSerial(),
      subject: `CN=${options.commonName ?? defaultCommonName(name, role)}`,
      issuer: by.certificate.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - 60 * 60 * 1000),
      notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: by.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(extendedUsages(role)),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(by.keys.publicKey),
        ...sanExtension(options.dnsNames ?? (isClient ? [] : ["localhost"]), options.ipAddresses ?? (isClient ? [] : ["127.0.0.1"])),
      ],
    });
    const files = { cert: join(dir.path, `${name}.crt`), key: join(dir.path, `${name}.key`) };
    if (keysByFile.get(files.key) !== keys) writeAtomically(files.key, await privateKeyPem(keys.privateKey));
    keysByFile.set(files.key, keys);
    writeAtomically(files.cert, certificate.toString("pem") + "\n");
    return { ...files, serial: certificate.serialNumber.toLowerCase() };
  };

  const crlFile = join(dir.path, "ca.crl");
  const writeCrl = async (revoked: readonly CertFiles[]): Promise<void> => {
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.certificate.subject,
      thisUpdate: new Date(Date.now() - 60 * 60 * 1000),
      nextUpdate: new Date(Date.now() + 30 * DAY_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      signingKey: ca.keys.privateKey,
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey)],
      entries: revoked.map((c) => ({ serialNumber: c.serial, revocationDate: new Date(Date.now() - 60 * 1000), reason: x509.X509CrlReason.keyCompromise })),
    });
    // Go's x509.ParseCRL takes PEM only under the "X509 CRL" label (the library writes "CRL").
    writeAtomically(crlFile, x509.PemConverter.encode(crl.rawData, "X509 CRL") + "\n");
  };

  let server = await issue("server", "server");
  const revokedClient = await issue("revoked-client", "client", { commonName: "revoked" });
  await writeCrl([revokedClient]);
  return {
    dir: dir.path,
    caFile: ca.certFile,
    otherCaFile: otherCa.certFile,
    otherClient: await issue("other-ca-client", "client", { commonName: "root" }, otherCa),
    get server() {
      return server;
    },
    client: await issue("client", "client", { commonName: "root" }),
    expiredClient: await issue("expired-client", "client", {
      commonName: "root",
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    }),
    revokedClient,
    crlFile,
    wrongNameClient: await issue("wrong-name-client", "client", { commonName: "intruder", dnsNames: ["wrong.example"], ipAddresses: ["10.255.255.1"] }),
    issue: (name, role, options) => issue(name, role, options),
    peer: (name) => issue(`peer-${name}`, "peer", { commonName: name }),
    clientFor: (commonName) => issue(`client-${commonName}`, "client", { commonName }),
    async rotateServer() {
      server = await issue("server", "server", { reuseKeyOf: server });
      return server.serial;
    },
    writeCrl,
    remove: () => dir.remove(),
  };
}

async function createAuthority(dir: string, name: string, commonName: string): Promise<Authority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 5 * 365 * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certFile = join(dir, `${name}.crt`);
  writeAtomically(certFile, certificate.toString("pem") + "\n");
  return { certFile, certificate, keys };
}

function extendedUsages(role: CertRole): x509.ExtendedKeyUsage[] {
  switch (role) {
    case "client":
      return [x509.ExtendedKeyUsage.clientAuth];
    // etcd's own gateway dials its gRPC port presenting the server certificate (real etcd refuses
    // itself with a server-only one under --client-cert-auth), and peers dial each other with theirs.
    case "server":
    case "peer":
      return [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  }
}

function defaultCommonName(name: string, role: CertRole): string {
  if (role === "server") return "etcd-server";
  if (role === "client") return "root";
  return name;
}

function sanExtension(dnsNames: string[], ipAddresses: string[]): x509.Extension[] {
  const names = [...dnsNames.map((value) => ({ type: "dns" as const, value })), ...ipAddresses.map((value) => ({ type: "ip" as const, value }))];
  return names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)];
}

/**
 * A serial of 16 random bytes whose first byte is 0x10–0x7f: positive (DER
 * integers are signed) and without a leading zero digit, so every tool prints
 * the same hex for it.
 */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x10 + (bytes[0]! % 0x70);
  return bytes.toString("hex");
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]) as Promise<webcrypto.CryptoKeyPair>;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

function writeAtomically(path: string, content: string): void {
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, path);
}
