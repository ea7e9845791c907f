/** Who is on the other end of a verified TLS connection. */
import { X509Certificate } from "node:crypto";
import type * as tls from "node:tls";
import { parseSubjectAltName } from "./san.js";

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
  if (!socket.authorized) return undefined;
  const leaf = socket.getPeerCertificate(true);
  if (leaf.raw === undefined) return undefined;
  const verifiedChain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let cert: tls.DetailedPeerCertificate | undefined = leaf; cert?.raw !== undefined && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    verifiedChain.push(new X509Certificate(cert.raw));
  }
  const cn = leaf.subject?.CN;
  const san = parseSubjectAltName(leaf.subjectaltname);
  return {
    commonName: (Array.isArray(cn) ? cn[0] : cn) ?? "",
    dnsNames: san.dnsNames,
    ipAddresses: san.ipAddresses,
    verifiedChain,
  };
}
