/** Self-signed certificates for --auto-tls and --peer-auto-tls, as etcd makes them. */
import * as crypto from "node:crypto";
import { promises as fsp } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { Logger } from "../pkg/logger.js";
import { canonicalIp } from "./san.js";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
  type JsonGeneralName,
} from "./x509.js";

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
/** etcd's key: ECDSA on P-521, signing with SHA-512 (Go picks it for that curve). */
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-521" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-512" } as const;

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
  const keys = await crypto.webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const certificate = await selfSign(keys, options.hosts, now, options.validityYears);
  await fsp.writeFile(certFile, certificate, { mode: 0o644 });
  options.logger?.info({ path: certFile }, "created cert file");
  // WebCrypto exports PKCS#8 only; etcd writes SEC1 ("EC PRIVATE KEY"), which Node's KeyObject can.
  await fsp.writeFile(keyFile, crypto.KeyObject.from(keys.privateKey).export({ type: "sec1", format: "pem" }), { mode: 0o600 });
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

/** The certificate, PEM-encoded, signed by its own key. */
async function selfSign(keys: crypto.webcrypto.CryptoKeyPair, hosts: readonly string[], now: number, validityYears: number): Promise<string> {
  // Whole seconds: a certificate's times have no fraction, and NotBefore must not lie after now.
  const notBefore = new Date(Math.floor(now / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + validityYears * 365 * DAY_MS);
  const extensions: Extension[] = [
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
    new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth], false),
    // Go's BasicConstraintsValid without IsCA: a critical, empty basicConstraints (CA false).
    new BasicConstraintsExtension(false, undefined, true),
  ];
  const altNames = hosts.map(hostOf).filter((host) => host !== "").map(generalName);
  if (altNames.length > 0) extensions.push(new SubjectAlternativeNameExtension(altNames, false));
  // The serial is left to the generator: 16 random bytes, as etcd's random number below 2^128.
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: "O=etcd",
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return certificate.toString("pem") + "\n";
}

/** The host of "host:port", "[v6]:port", or a bare host or IPv6 address. */
function hostOf(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d*)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  if (isIP(entry) === 6) return entry;
  const colon = entry.lastIndexOf(":");
  return colon >= 0 ? entry.slice(0, colon) : entry;
}

/**
 * An IP SAN for an address, else a DNS SAN. The IP goes in canonical form
 * (zone dropped, IPv4-mapped as IPv4, IPv6 as eight groups), which is what
 * the library's address parser reads reliably.
 */
function generalName(host: string): JsonGeneralName {
  const ip = canonicalIp(host);
  return ip === undefined ? { type: "dns", value: host } : { type: "ip", value: ip };
}
