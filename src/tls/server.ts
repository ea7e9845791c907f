/** The server side of a handshake on an accepted socket. */
import * as dns from "node:dns";
import type * as net from "node:net";
import * as tls from "node:tls";
import type { TlsMaterial } from "./material.js";
import { presentedChain } from "./identity.js";
import { canonicalIp, parseSubjectAltName, sanMatchesHost, type SubjectAltNames } from "./san.js";

export interface TlsServerSettings {
  readonly material: TlsMaterial;
  /**
   * Require a client certificate verified by the material's CA (--client-cert-auth, --peer-client-cert-auth).
   * As in etcd, a material with a trusted CA requires one even when this is false.
   */
  readonly clientCertAuth: boolean;
  /** When non-empty, the client certificate's CN must be one of these (--peer-cert-allowed-cn). */
  readonly allowedCommonNames: readonly string[];
  /** When non-empty, one of the client certificate's SAN host names must be one of these (--client-cert-allowed-hostname, --peer-cert-allowed-hostname). */
  readonly allowedHostnames: readonly string[];
  /** Peers: the client certificate's SANs must match the connection's remote address (off with --peer-skip-client-san-verification). */
  readonly verifyClientSan: boolean;
  /** A handshake not finished by then is dropped. */
  readonly handshakeTimeoutMs: number;
  /** ALPN protocols offered, in preference order, e.g. ["h2", "http/1.1"]. */
  readonly alpnProtocols: readonly string[];
}

export interface TlsRefusal {
  readonly remoteAddress: string;
  readonly reason: string;
}

/** Node's TLS handle: a server-side TLSSocket built outside a tls.Server has no public way to ask whether the client's chain verified. */
interface VerifyingHandle {
  verifyError(): Error | null;
}

/**
 * Runs the server handshake on `socket` with the material's current context.
 * `onSecure` gets the TLS socket once the handshake and every identity check
 * passed (its `authorized` set as a tls.Server would); from then on the
 * caller owns its 'error' events. Otherwise the socket is destroyed and
 * `onRefused` hears why. The deadline covers the identity checks too (they
 * may wait on DNS).
 */
export function acceptTls(socket: net.Socket, settings: TlsServerSettings, onSecure: (socket: tls.TLSSocket) => void, onRefused?: (refusal: TlsRefusal) => void): void {
  const remoteAddress = socket.remoteAddress ?? "";
  const refuseEarly = (reason: string): void => {
    socket.destroy();
    onRefused?.({ remoteAddress, reason });
  };
  let secureContext: tls.SecureContext;
  try {
    secureContext = settings.material.context();
  } catch (err) {
    refuseEarly(`tls: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const requireClientCert = settings.clientCertAuth || settings.material.hasTrustedCa;
  const tlsSocket = new tls.TLSSocket(socket, {
    isServer: true,
    secureContext,
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
    ALPNProtocols: [...settings.alpnProtocols],
  });
  let settled = false;
  const settle = (): void => {
    settled = true;
    clearTimeout(deadline);
    tlsSocket.off("error", onError);
    tlsSocket.off("close", onClose);
    tlsSocket.off("secure", onHandshake);
  };
  const refuse = (reason: string): void => {
    if (settled) return;
    settle();
    // A destroyed socket may still report a late error; nobody else listens to it.
    tlsSocket.on("error", ignore);
    tlsSocket.destroy();
    socket.destroy();
    onRefused?.({ remoteAddress, reason });
  };
  const onError = (err: Error & { reason?: string }): void => refuse(`tls: ${err.reason ?? err.message}`);
  const onClose = (): void => refuse("tls: connection closed before the handshake finished");
  const onHandshake = (): void => {
    if (requireClientCert) {
      const handle = (tlsSocket as unknown as { _handle: VerifyingHandle | null })._handle;
      // Fail closed: without the handle nothing says the chain verified.
      const verifyError = handle === null ? new Error("connection closed during the handshake") : handle.verifyError();
      if (verifyError !== null) {
        tlsSocket.authorizationError = verifyError;
        refuse(`tls: failed to verify client certificate: ${verifyError.message}`);
        return;
      }
      tlsSocket.authorized = true;
    }
    checkIdentity(tlsSocket, settings, requireClientCert, remoteAddress).then(
      (problem) => {
        if (settled) return;
        if (problem !== undefined) {
          refuse(problem);
          return;
        }
        settle();
        // tls.Server clears this once its handshake is done; a socket made outside one keeps it, and
        // Node's HTTP/2 would then wait forever for a 'secureConnect' a server socket never emits.
        (tlsSocket as unknown as { secureConnecting: boolean }).secureConnecting = false;
        onSecure(tlsSocket);
      },
      (err: unknown) => refuse(`tls: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  const deadline = setTimeout(() => refuse(`tls: handshake not finished within ${settings.handshakeTimeoutMs} ms`), boundedDelay(settings.handshakeTimeoutMs));
  tlsSocket.on("error", onError);
  tlsSocket.once("close", onClose);
  tlsSocket.once("secure", onHandshake);
}

function ignore(): void {}

/** Node fires a timer of more than 2^31-1 ms (or NaN) at once; keep such a deadline at its longest instead. */
function boundedDelay(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 2 ** 31 - 1) : 2 ** 31 - 1;
}

/**
 * etcd's checks after the handshake, in its order: allowed CN / host name
 * (its VerifyPeerCertificate, which Go runs only when it asked for a client
 * certificate), then SAN against the remote address, then the CRL.
 */
async function checkIdentity(socket: tls.TLSSocket, settings: TlsServerSettings, certRequested: boolean, remoteAddress: string): Promise<string | undefined> {
  const leaf = socket.getPeerX509Certificate();
  if (certRequested && (settings.allowedCommonNames.length > 0 || settings.allowedHostnames.length > 0)) {
    if (leaf === undefined || !socket.authorized || !allowed(socket, leaf.subjectAltName, settings)) return "client certificate authentication failed";
  }
  if (leaf === undefined) return undefined;
  if (settings.verifyClientSan && remoteAddress !== "") {
    const problem = await checkSanAgainstAddress(parseSubjectAltName(leaf.subjectAltName), remoteAddress);
    if (problem !== undefined) return problem;
  }
  // etcd checks the serial of every certificate the client's chain holds.
  for (const { serialNumber } of presentedChain(socket)) {
    if (settings.material.revokes(serialNumber)) return `transport: certificate serial ${serialNumber.toLowerCase()} revoked`;
  }
  return undefined;
}

function allowed(socket: tls.TLSSocket, subjectAltName: string | undefined, settings: TlsServerSettings): boolean {
  const cn = socket.getPeerCertificate().subject?.CN;
  const commonNames = cn === undefined ? [] : Array.isArray(cn) ? cn : [cn];
  if (settings.allowedCommonNames.some((name) => commonNames.includes(name))) return true;
  const san = parseSubjectAltName(subjectAltName);
  return settings.allowedHostnames.some((host) => sanMatchesHost(san, host));
}

/**
 * etcd's checkCertSAN: with IP SANs, the remote IP must be one of them; with
 * DNS SANs, the remote IP's reverse names or a DNS SAN's forward addresses
 * must meet. A certificate without SANs passes.
 */
async function checkSanAgainstAddress(san: SubjectAltNames, remoteAddress: string): Promise<string | undefined> {
  if (san.ipAddresses.length === 0 && san.dnsNames.length === 0) return undefined;
  const host = canonicalIp(remoteAddress) ?? remoteAddress;
  if (san.ipAddresses.includes(host)) return undefined;
  if (san.dnsNames.length === 0) return `x509: certificate is valid for ${san.ipAddresses.join(", ")}, not ${host}`;
  const lookupProblems: string[] = [];
  try {
    const { hostname } = await dns.promises.lookupService(host, 0);
    if (san.dnsNames.some((pattern) => sanMatchesHost({ dnsNames: [pattern], ipAddresses: [] }, hostname))) return undefined;
  } catch (err) {
    lookupProblems.push(err instanceof Error ? err.message : String(err));
  }
  for (const name of san.dnsNames.filter((n) => !n.startsWith("*."))) {
    try {
      const addresses = await dns.promises.lookup(name, { all: true });
      if (addresses.some((a) => canonicalIp(a.address) === host)) return undefined;
    } catch (err) {
      lookupProblems.push(err instanceof Error ? err.message : String(err));
    }
  }
  const detail = lookupProblems.length > 0 ? ` (${lookupProblems.at(-1)})` : "";
  return `tls: ${JSON.stringify(host)} does not match any of DNSNames ${JSON.stringify(san.dnsNames)}${detail}`;
}
