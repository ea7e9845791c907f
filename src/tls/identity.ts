/** Who is on the other end of a verified TLS connection. */
import type { X509Certificate } from "node:crypto";
import type * as tls from "node:tls";

export interface TlsPeerIdentity {
  /** The subject's CN of the leaf certificate ('' when it has none). */
  readonly commonName: string;
  /** DNS names and IP addresses of its subjectAltName. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** The leaf certificate first, then its issuers as verified. */
  readonly verifiedChain: readonly X509Certificate[];
}

/** The identity of a socket whose client certificate was verified; undefined when it presented none or it did not verify. */
export function peerIdentity(socket: tls.TLSSocket): TlsPeerIdentity | undefined {
  void socket;
  throw new Error("src/tls: not built yet");
}
