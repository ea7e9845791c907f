/** The server side of a handshake on an accepted socket. */
import type * as net from "node:net";
import type * as tls from "node:tls";
import type { TlsMaterial } from "./material.js";

export interface TlsServerSettings {
  readonly material: TlsMaterial;
  /** Require a client certificate verified by the material's CA (--client-cert-auth, --peer-client-cert-auth). */
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

/**
 * Runs the server handshake on `socket` with the material's current context.
 * `onSecure` gets the TLS socket once the handshake and every identity check
 * passed; otherwise the socket is destroyed and `onRefused` hears why.
 */
export function acceptTls(socket: net.Socket, settings: TlsServerSettings, onSecure: (socket: tls.TLSSocket) => void, onRefused?: (refusal: TlsRefusal) => void): void {
  void socket;
  void settings;
  void onSecure;
  void onRefused;
  throw new Error("src/tls: not built yet");
}
