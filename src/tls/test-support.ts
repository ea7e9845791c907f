/**
 * The unit tests' PKI, made in-process (@peculiar/x509 on Node's webcrypto)
 * into a temp dir as PEM files: a CA, a server and a client certificate it
 * signs, a client of another CA, a revoked client with the CA's CRL.
 *
 * Keys are ECDSA P-256 in PKCS#8 PEM. Certificates carry what Go's crypto/tls
 * and OpenSSL check: key usage, extended key usage by role, basic
 * constraints (CA:true on the CAs), subject and authority key identifiers,
 * and the SANs asked for. Everything a CA needs to sign again is on disk
 * (`<ca>.pem`, `<ca>.key`), so issuing needs only the dir and the CA's name.
 *
 * Files are replaced by writing a sibling temp file and renaming it over the
 * old one: a server re-reading them per handshake (rotation) never sees a
 * half-written file.
 * @module
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeCertificate } from "node:crypto";
import { promises as fsp } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { CLIENT_TLS_FLAGS, type TlsFiles } from "./types.js";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  type JsonGeneralName,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  X509CrlGenerator,
  X509CrlReason,
} from "./x509.js";

/** A certificate and its key on disk. */
export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly server: CertPair;
  readonly client: CertPair;
  /** Signed by the CA, then revoked in `crl`. */
  readonly revokedClient: CertPair;
  /** Signed by a CA the server does not trust ("other-ca" in `dir`). */
  readonly strangerClient: CertPair;
  readonly crl: string;
  /** A CRL of the same CA revoking nothing. */
  readonly emptyCrl: string;
}

/**
 * What a certificate is for, which sets its extended key usages: a server
 * (serverAuth), a client (clientAuth), or a peer, which is both (as etcd's
 * guides make member and server certificates).
 */
export type CertRole = "server" | "client" | "peer";

export interface IssueOptions {
  /** Subject common name. */
  readonly cn: string;
  /** Name of the signing CA in the same dir (`<ca>.pem`, `<ca>.key`, from `makeCa`). */
  readonly ca: string;
  /** Subject alternative names as OpenSSL writes them: "IP:127.0.0.1,DNS:localhost". */
  readonly san?: string;
  /** Default "peer". */
  readonly role?: CertRole;
  /** Default: a fresh serial per certificate. */
  readonly serial?: number;
  /** Sign the key already in `<name>.key` instead of making a new one: rotation without a key change. */
  readonly reuseKey?: boolean;
}

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
const LOCAL_SAN = "IP:127.0.0.1,DNS:localhost";
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Serials of certificates issued without an explicit one. */
let nextSerial = 0x2000;

/** Writes a self-signed CA, `<name>.pem` / `<name>.key` in `dir`, valid for a year. */
export async function makeCa(dir: string, name: string, commonName: string): Promise<CertPair> {
  const keys = await newKeys();
  const certificate = await X509CertificateGenerator.createSelfSigned({
    ...validity(nextSerial++, 365),
    name: `CN=${commonName}`,
    keys,
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      await AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return writePair(dir, name, certificate, keys.privateKey);
}

/**
 * Issues `<name>.pem` / `<name>.key` in `dir`, signed by CA `options.ca`
 * and valid for 30 days. Replaces existing files atomically.
 */
export async function issue(dir: string, name: string, options: IssueOptions): Promise<CertPair> {
  const keyFile = join(dir, `${name}.key`);
  const keys = options.reuseKey === true ? await readKeys(keyFile) : await newKeys();
  const authority = await readAuthority(dir, options.ca);
  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
    new ExtendedKeyUsageExtension(extendedUsages(options.role ?? "peer")),
    await SubjectKeyIdentifierExtension.create(keys.publicKey),
    await AuthorityKeyIdentifierExtension.create(authority.keys.publicKey),
  ];
  if (options.san !== undefined && options.san !== "") extensions.push(new SubjectAlternativeNameExtension(generalNames(options.san)));
  const certificate = await X509CertificateGenerator.create({
    ...validity(options.serial ?? nextSerial++, 30),
    subject: `CN=${options.cn}`,
    issuer: authority.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    extensions,
  });
  return writePair(dir, name, certificate, options.reuseKey === true ? undefined : keys.privateKey);
}

/**
 * Writes `<name>.pem` in `dir` (atomically): a CRL of CA `ca` revoking the
 * certificates in the files `revoked`. Returns its path.
 */
export async function makeCrl(dir: string, ca: string, name: string, revoked: readonly string[]): Promise<string> {
  const authority = await readAuthority(dir, ca);
  const serials = await Promise.all(revoked.map(async (file) => new NodeCertificate(await fsp.readFile(file)).serialNumber));
  const now = Date.now();
  const crl = await X509CrlGenerator.create({
    issuer: authority.certificate.subject,
    thisUpdate: new Date(now - HOUR_MS),
    nextUpdate: new Date(now + 30 * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    signingKey: authority.keys.privateKey,
    extensions: [await AuthorityKeyIdentifierExtension.create(authority.keys.publicKey)],
    entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: new Date(now - 60_000), reason: X509CrlReason.keyCompromise })),
  });
  const file = join(dir, `${name}.pem`);
  // Go's x509.ParseCRL (and OpenSSL) look for the "X509 CRL" label; the library writes "CRL".
  await writeAtomically(file, PemConverter.encode(crl.rawData, "X509 CRL") + "\n");
  return file;
}

/**
 * A member's certificate as the peer tests use it: server and client auth,
 * SAN 127.0.0.1 and localhost, signed by CA `ca` (default "ca") of `dir`.
 */
export function peerCertificate(dir: string, name: string, commonName: string, options: { ca?: string; reuseKey?: boolean } = {}): Promise<CertPair> {
  return issue(dir, name, { cn: commonName, san: LOCAL_SAN, ca: options.ca ?? "ca", role: "peer", reuseKey: options.reuseKey });
}

export async function makeTestPki(dir: string): Promise<TestPki> {
  const ca = await makeCa(dir, "ca", "test-ca");
  await makeCa(dir, "other-ca", "other-ca");
  const server = await issue(dir, "server", { cn: "server", san: LOCAL_SAN, ca: "ca", role: "peer", serial: 0x1001 });
  const client = await issue(dir, "client", { cn: "client", san: LOCAL_SAN, ca: "ca", role: "client", serial: 0x1002 });
  const revokedClient = await issue(dir, "revoked", { cn: "revoked", san: "IP:127.0.0.1", ca: "ca", role: "client", serial: 0xabcdef });
  const strangerClient = await issue(dir, "stranger", { cn: "client", san: "IP:127.0.0.1", ca: "other-ca", role: "client", serial: 0x1003 });
  const crl = await makeCrl(dir, "ca", "crl", [revokedClient.cert]);
  const emptyCrl = await makeCrl(dir, "ca", "empty-crl", []);
  return { dir, caCert: ca.cert, server, client, revokedClient, strangerClient, crl, emptyCrl };
}

export function files(parts: Partial<Omit<TlsFiles, "flags">>): TlsFiles {
  return { certFile: "", keyFile: "", trustedCaFile: "", crlFile: "", ...parts, flags: CLIENT_TLS_FLAGS };
}

interface Authority {
  readonly certificate: X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

/** Serial, validity from an hour ago (clock skew) for `days`, and signature algorithm. */
function validity(serial: number, days: number) {
  const notBefore = new Date(Date.now() - HOUR_MS);
  return { serialNumber: serialHex(serial), notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS), signingAlgorithm: SIGNING_ALGORITHM };
}

function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

/** Writes the certificate, and the key unless it is already on disk (`privateKey` undefined). */
async function writePair(dir: string, name: string, certificate: X509Certificate, privateKey: webcrypto.CryptoKey | undefined): Promise<CertPair> {
  const pair = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  // Key first: a reader never pairs the new certificate with an old key.
  if (privateKey !== undefined) await writeAtomically(pair.key, await privateKeyPem(privateKey));
  await writeAtomically(pair.cert, certificate.toString("pem") + "\n");
  return pair;
}

async function readAuthority(dir: string, name: string): Promise<Authority> {
  const certificate = new X509Certificate(await fsp.readFile(join(dir, `${name}.pem`), "latin1"));
  return { certificate, keys: await readKeys(join(dir, `${name}.key`)) };
}

/** The key pair of a PKCS#8 PEM private key (its public half derived by Node). */
async function readKeys(keyFile: string): Promise<webcrypto.CryptoKeyPair> {
  const privateKey = createPrivateKey(await fsp.readFile(keyFile));
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  return {
    privateKey: await webcrypto.subtle.importKey("pkcs8", pkcs8, KEY_ALGORITHM, true, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("spki", spki, KEY_ALGORITHM, true, ["verify"]),
  };
}

function extendedUsages(role: CertRole): ExtendedKeyUsage[] {
  switch (role) {
    case "server":
      return [ExtendedKeyUsage.serverAuth];
    case "client":
      return [ExtendedKeyUsage.clientAuth];
    case "peer":
      return [ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth];
  }
}

/** "IP:127.0.0.1,DNS:localhost" as the library's general names. */
function generalNames(san: string): JsonGeneralName[] {
  return san.split(",").map((entry) => {
    const [kind, value = ""] = entry.trim().split(/:(.*)/s, 2);
    if (kind === "IP" && isIP(value) !== 0) return { type: "ip", value };
    if (kind === "DNS") return { type: "dns", value };
    throw new Error(`test PKI: unsupported SAN entry ${JSON.stringify(entry)}`);
  });
}

/** A positive DER integer's hex: an even number of digits, a leading 00 when the high bit is set. */
function serialHex(serial: number): string {
  const hex = serial.toString(16);
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return Number.parseInt(even.slice(0, 1), 16) >= 8 ? `00${even}` : even;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY") + "\n";
}

async function writeAtomically(file: string, contents: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await fsp.writeFile(temp, contents, { mode: 0o600 });
  await fsp.rename(temp, file);
}
