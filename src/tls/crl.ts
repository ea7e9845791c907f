/**
 * A certificate revocation list reduced to what etcd checks: the serial
 * numbers it revokes. Like etcd (pkg/transport checkCRL), neither the CRL's
 * signature nor its next-update time is checked; a certificate is refused
 * when its serial is listed.
 */
import { PemConverter, X509Crl } from "./x509.js";

const PEM_LABEL = "X509 CRL";
/** The tag a DER CertificateList starts with. */
const DER_SEQUENCE = 0x30;

export class RevocationList {
  readonly #serials: ReadonlySet<string>;

  private constructor(serials: ReadonlySet<string>) {
    this.#serials = serials;
  }

  /** Parses a PEM ("X509 CRL") or DER CRL; throws with the reason when it is not one. */
  static parse(content: Buffer): RevocationList {
    const crl = new X509Crl(crlDer(content));
    return new RevocationList(new Set(crl.entries.map((entry) => normalizeSerial(entry.serialNumber))));
  }

  /** True when the serial (hex, any case, leading zeros or not) is revoked. */
  revokes(serialHex: string): boolean {
    return this.#serials.has(normalizeSerial(serialHex));
  }

  get size(): number {
    return this.#serials.size;
  }
}

/**
 * The DER of the first "X509 CRL" PEM block, or the content itself when it
 * is DER (a SEQUENCE). Anything else is refused here, as Go does, instead of
 * letting the library guess hex or base64; a PEM file without a CRL block (a
 * certificate given as --crl-file) is refused rather than parsed as a CRL.
 */
function crlDer(content: Buffer): ArrayBuffer | Buffer {
  const text = content.toString("latin1");
  if (!PemConverter.isPem(text)) {
    if (content[0] !== DER_SEQUENCE) throw new Error("asn1: not a PEM or DER CRL");
    return content;
  }
  const block = PemConverter.decodeWithHeaders(text).find((pem) => pem.type === PEM_LABEL);
  if (block === undefined) throw new Error(`pem: no ${PEM_LABEL} block`);
  return block.rawData;
}

/** Serials compared as numbers (Go compares big.Int bytes): lower-case hex without leading zeros. */
function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, "");
}
