/**
 * The signing methods etcd's JWT provider accepts and the keys each takes,
 * read from PEM files the way golang-jwt reads them: only the first PEM
 * block counts; an RSA private key is PKCS#1 or PKCS#8, an EC private key
 * SEC1 or PKCS#8; a public key is PKIX, or a certificate whose key is used;
 * an HMAC secret is the private key file's bytes as they are.
 * @module
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";

export type JwtFamily = "RSA" | "RSA-PSS" | "ECDSA" | "HMAC";
export type JwtHash = "sha256" | "sha384" | "sha512";

export interface JwtMethod {
  readonly alg: string;
  readonly family: JwtFamily;
  readonly hash: JwtHash;
  /** ECDSA: the curve the method signs with, and the byte length of each of R and S. */
  readonly curve?: { readonly name: string; readonly bytes: number };
}

const P256 = { name: "prime256v1", bytes: 32 };
const P384 = { name: "secp384r1", bytes: 48 };
const P521 = { name: "secp521r1", bytes: 66 };

export const JWT_METHODS: ReadonlyMap<string, JwtMethod> = new Map(
  (
    [
      { alg: "RS256", family: "RSA", hash: "sha256" },
      { alg: "RS384", family: "RSA", hash: "sha384" },
      { alg: "RS512", family: "RSA", hash: "sha512" },
      { alg: "PS256", family: "RSA-PSS", hash: "sha256" },
      { alg: "PS384", family: "RSA-PSS", hash: "sha384" },
      { alg: "PS512", family: "RSA-PSS", hash: "sha512" },
      { alg: "ES256", family: "ECDSA", hash: "sha256", curve: P256 },
      { alg: "ES384", family: "ECDSA", hash: "sha384", curve: P384 },
      { alg: "ES512", family: "ECDSA", hash: "sha512", curve: P521 },
      { alg: "HS256", family: "HMAC", hash: "sha256" },
      { alg: "HS384", family: "HMAC", hash: "sha384" },
      { alg: "HS512", family: "HMAC", hash: "sha512" },
    ] as const
  ).map((m) => [m.alg, m]),
);

/** golang-jwt's error texts, which etcd prints when a key file is refused. */
export const KEY_NOT_PEM = "invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key";
const NOT_RSA_PRIVATE = "key is not a valid RSA private key";
const NOT_RSA_PUBLIC = "key is not a valid RSA public key";
const NOT_EC_PRIVATE = "key is not a valid ECDSA private key";
const NOT_EC_PUBLIC = "key is not a valid ECDSA public key";

/** A key file that cannot serve: the message says why (golang-jwt's text where it has one). */
export class KeyFileError extends Error {
  override readonly name = "KeyFileError";
}

/** The DER bytes of the first PEM block in `file` (Go's pem.Decode skips text before it). */
function firstPemBlock(file: Buffer): Buffer {
  const match = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/.exec(file.toString("latin1"));
  if (match === null) throw new KeyFileError(KEY_NOT_PEM);
  // RFC 1421 headers ("Proc-Type: …") sit before a blank line; the base64 body follows.
  const body = match[2]!.includes(":") ? match[2]!.slice(match[2]!.search(/\r?\n\r?\n/) + 1) : match[2]!;
  return Buffer.from(body.replace(/\s+/g, ""), "base64");
}

/** The first of `parsers` that reads `der`; the last failure's message otherwise. */
function firstThatParses(der: Buffer, parsers: readonly ((der: Buffer) => KeyObject)[]): KeyObject {
  let last: unknown;
  for (const parse of parsers) {
    try {
      return parse(der);
    } catch (err) {
      last = err;
    }
  }
  throw new KeyFileError(`x509: failed to parse key: ${last instanceof Error ? last.message : String(last)}`);
}

const pkcs1Private = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: "der", type: "pkcs1" });
const sec1Private = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: "der", type: "sec1" });
const pkcs8Private = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: "der", type: "pkcs8" });
const pkixPublic = (der: Buffer): KeyObject => createPublicKey({ key: der, format: "der", type: "spki" });
const certificatePublic = (der: Buffer): KeyObject => new X509Certificate(der).publicKey;

export function readPrivateKey(file: Buffer, family: "RSA" | "ECDSA"): KeyObject {
  const der = firstPemBlock(file);
  const key = firstThatParses(der, family === "RSA" ? [pkcs1Private, pkcs8Private] : [sec1Private, pkcs8Private]);
  if (key.asymmetricKeyType !== (family === "RSA" ? "rsa" : "ec")) throw new KeyFileError(family === "RSA" ? NOT_RSA_PRIVATE : NOT_EC_PRIVATE);
  return key;
}

export function readPublicKey(file: Buffer, family: "RSA" | "ECDSA"): KeyObject {
  const der = firstPemBlock(file);
  const key = firstThatParses(der, [pkixPublic, certificatePublic]);
  if (key.asymmetricKeyType !== (family === "RSA" ? "rsa" : "ec")) throw new KeyFileError(family === "RSA" ? NOT_RSA_PUBLIC : NOT_EC_PUBLIC);
  return key;
}

/** True when `pub` is the public half of `priv`. */
export function isPublicHalfOf(pub: KeyObject, priv: KeyObject): boolean {
  const der = (k: KeyObject): Buffer => k.export({ format: "der", type: "spki" });
  return der(pub).equals(der(createPublicKey(priv)));
}
