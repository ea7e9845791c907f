/**
 * A certificate revocation list reduced to what etcd checks: the serial
 * numbers it revokes. Like etcd (pkg/transport checkCRL), neither the CRL's
 * signature nor its next-update time is checked; a certificate is refused
 * when its serial is listed.
 */
import { TAG, childrenOf, expectNode } from "./der.js";

export class RevocationList {
  readonly #serials: ReadonlySet<string>;

  private constructor(serials: ReadonlySet<string>) {
    this.#serials = serials;
  }

  /** Parses a PEM ("X509 CRL") or DER CRL; throws with the reason when it is not one. */
  static parse(content: Buffer): RevocationList {
    const der = pemBody(content, "X509 CRL") ?? content;
    const list = expectNode(der, 0, TAG.sequence);
    if (list.end !== der.length) throw new Error("asn1: trailing data after the CRL");
    const tbs = expectNode(der, list.start, TAG.sequence, list.end);
    const fields = childrenOf(der, tbs);
    // version INTEGER OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL, revokedCertificates OPTIONAL, [0] extensions OPTIONAL
    let index = fields[0]?.tag === TAG.integer ? 1 : 0;
    const expect = (tag: number, what: string): void => {
      if (fields[index]?.tag !== tag) throw new Error(`x509: malformed crl: missing ${what}`);
      index++;
    };
    expect(TAG.sequence, "signature algorithm");
    expect(TAG.sequence, "issuer");
    if (fields[index]?.tag !== TAG.utcTime && fields[index]?.tag !== TAG.generalizedTime) throw new Error("x509: malformed crl: missing this update");
    index++;
    if (fields[index]?.tag === TAG.utcTime || fields[index]?.tag === TAG.generalizedTime) index++;
    const serials = new Set<string>();
    const revoked = fields[index];
    if (revoked?.tag === TAG.sequence) {
      for (const entry of childrenOf(der, revoked)) {
        const serial = expectNode(der, entry.start, TAG.integer, entry.end);
        serials.add(normalizeSerial(Buffer.from(der.subarray(serial.start, serial.end)).toString("hex")));
      }
    }
    return new RevocationList(serials);
  }

  /** True when the serial (hex, any case, leading zeros or not) is revoked. */
  revokes(serialHex: string): boolean {
    return this.#serials.has(normalizeSerial(serialHex));
  }

  get size(): number {
    return this.#serials.size;
  }
}

/** Serials compared as numbers (Go compares big.Int bytes): lower-case hex without leading zeros. */
function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, "");
}

/** The DER inside the first PEM block of `label`, or undefined when the input has none. */
export function pemBody(content: Buffer, label: string): Buffer | undefined {
  const text = content.toString("latin1");
  const begin = text.indexOf(`-----BEGIN ${label}-----`);
  if (begin < 0) return undefined;
  const bodyStart = begin + `-----BEGIN ${label}-----`.length;
  const end = text.indexOf(`-----END ${label}-----`, bodyStart);
  if (end < 0) throw new Error(`pem: unterminated ${label} block`);
  return Buffer.from(text.slice(bodyStart, end).replace(/\s+/g, ""), "base64");
}
