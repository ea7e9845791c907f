/** Self-signed certificates for --auto-tls and --peer-auto-tls, as etcd makes them. */
import * as crypto from "node:crypto";
import { promises as fsp } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { Logger } from "../pkg/logger.js";
import {
  bitString,
  booleanTrue,
  encode,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  TAG,
  time,
  unsignedInteger,
  utf8String,
} from "./der.js";

export interface SelfSignedOptions {
  /** Where cert.pem and key.pem are written (etcd: <data-dir>/fixtures/client or /peer); reused when present and valid. */
  readonly dir: string;
  /** Host names and IPs for the SAN (from the listen URLs), each bare or as host:port. */
  readonly hosts: readonly string[];
  /** --self-signed-cert-validity. */
  readonly validityYears: number;
  /** Hears which files were made or why a present pair was replaced. */
  readonly logger?: Logger;
  /** Milliseconds now (injectable for tests); default Date.now. */
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;
const OID = {
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  organization: "2.5.4.10",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/**
 * Makes (or reuses) a self-signed certificate and key; resolves with their
 * file paths. As etcd's SelfCert: an ECDSA P-521 key (SEC1 "EC PRIVATE KEY",
 * mode 0600), a random 128-bit serial, subject O=etcd, digital signature and
 * key encipherment for server auth, validity `validityYears` × 365 days, the
 * hosts' names and IPs as SANs. Beyond etcd: client auth is allowed too (the
 * same pair is presented when dialing peers), and a present pair is reused
 * only while it loads, matches and has not expired; otherwise it is replaced.
 */
export async function selfSignedCertificate(options: SelfSignedOptions): Promise<{ certFile: string; keyFile: string }> {
  // etcd's SelfCert refuses it too (validated at start by src/cli/etcd; checked here for other callers).
  if (!(options.validityYears > 0)) throw new Error("selfSignedCertValidity is invalid,it should be greater than 0");
  const now = (options.now ?? Date.now)();
  await fsp.mkdir(options.dir, { recursive: true, mode: 0o700 });
  const certFile = join(options.dir, "cert.pem");
  const keyFile = join(options.dir, "key.pem");
  const problem = await reusableProblem(certFile, keyFile, now);
  if (problem === undefined) return { certFile, keyFile };
  if (problem !== "absent") options.logger?.warn({ dir: options.dir, reason: problem }, "replacing the self-signed certificate");
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-521" });
  const certificate = selfSign(privateKey, publicKey, options.hosts, now, options.validityYears);
  await fsp.writeFile(certFile, toPem("CERTIFICATE", certificate), { mode: 0o644 });
  options.logger?.info({ path: certFile }, "created cert file");
  await fsp.writeFile(keyFile, privateKey.export({ type: "sec1", format: "pem" }), { mode: 0o600 });
  await fsp.chmod(keyFile, 0o600);
  options.logger?.info({ path: keyFile }, "created key file");
  return { certFile, keyFile };
}

/** undefined when the pair can be reused, "absent" when there is none, else why it cannot. */
async function reusableProblem(certFile: string, keyFile: string, now: number): Promise<string | undefined> {
  let certPem: Buffer;
  let keyPem: Buffer;
  try {
    [certPem, keyPem] = await Promise.all([fsp.readFile(certFile), fsp.readFile(keyFile)]);
  } catch {
    return "absent";
  }
  try {
    const cert = new crypto.X509Certificate(certPem);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) return "the key does not match the certificate";
    if (now > Date.parse(cert.validTo)) return `the certificate expired at ${cert.validTo}`;
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function selfSign(privateKey: crypto.KeyObject, publicKey: crypto.KeyObject, hosts: readonly string[], now: number, validityYears: number): Buffer {
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha512));
  const name = sequence(set(sequence(objectIdentifier(OID.organization), utf8String("etcd"))));
  // Whole seconds: a certificate's times have no fraction, and NotBefore must not lie after now.
  const notBefore = new Date(Math.floor(now / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + validityYears * 365 * DAY_MS);
  const extensions = [
    extension(OID.keyUsage, true, keyUsageDigitalSignatureKeyEncipherment()),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))),
    extension(OID.basicConstraints, true, sequence()),
  ];
  const altNames = hosts.map(hostOf).filter((host) => host !== "").map(generalName);
  if (altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...altNames)));
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(crypto.randomBytes(16)),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...extensions)),
  );
  const signature = crypto.sign("sha512", tbs, privateKey);
  return sequence(tbs, algorithm, bitString(signature));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [booleanTrue()] : []), octetString(value));
}

/** KeyUsage bits 0 (digitalSignature) and 2 (keyEncipherment): one byte 1010 0000, its last five bits unused. */
function keyUsageDigitalSignatureKeyEncipherment(): Buffer {
  return encode(TAG.bitString, Buffer.from([5, 0xa0]));
}

/** The host of "host:port", "[v6]:port", or a bare host or IPv6 address. */
function hostOf(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d*)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  if (isIP(entry) === 6) return entry;
  const colon = entry.lastIndexOf(":");
  return colon >= 0 ? entry.slice(0, colon) : entry;
}

/** dNSName [2] or iPAddress [7] (4 bytes for IPv4, 16 for IPv6). */
function generalName(host: string): Buffer {
  const family = isIP(host);
  if (family === 4) return implicitPrimitive(7, Buffer.from(host.split(".").map(Number)));
  if (family === 6) return implicitPrimitive(7, ipv6Bytes(host));
  return implicitPrimitive(2, Buffer.from(host, "ascii"));
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.replace(/%.*$/, "").split("::") as [string, string | undefined];
  const groups = (part: string | undefined): number[] => (part ? part.split(":").flatMap(expandGroup) : []);
  const front = groups(head);
  const back = groups(tail);
  const all = tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const out = Buffer.alloc(16);
  all.forEach((group, i) => out.writeUInt16BE(group, i * 2));
  return out;
}

/** A hex group, or a trailing dotted IPv4 as its two groups. */
function expandGroup(group: string): number[] {
  if (!group.includes(".")) return [parseInt(group, 16)];
  const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
  return [a * 256 + b, c * 256 + d];
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
