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
  const chain = presentedChain(socket);
  const leaf = chain[0];
  if (leaf === undefined) return undefined;
  const verifiedChain = chain.map((cert) => new X509Certificate(cert.raw));
  const cn = leaf.subject?.CN;
  const san = parseSubjectAltName(leaf.subjectaltname);
  return {
    commonName: (Array.isArray(cn) ? cn[0] : cn) ?? "",
    dnsNames: san.dnsNames,
    ipAddresses: san.ipAddresses,
    verifiedChain,
  };
}

/**
 * The certificates of a TLS connection's other side, leaf first, then the
 * issuers its chain was verified against (a self-signed root is its own
 * issuer: it ends the walk). Empty when it presented none.
 */
export function presentedChain(socket: tls.TLSSocket): tls.DetailedPeerCertificate[] {
  const chain: tls.DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); cert?.raw !== undefined && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    chain.push(cert);
  }
  return chain;
}
