/** Options for dialing a TLS server (peers, the leader's client port, the member's own client port). */
import type * as tls from "node:tls";
import type { TlsMaterial } from "./material.js";

export interface TlsClientSettings {
  /** Its certificate and key are presented (when it has them); its CA verifies the server (Node's roots when it has none). */
  readonly material: TlsMaterial;
  /** Do not verify the server's certificate (only for the member dialing its own port). */
  readonly insecureSkipVerify?: boolean;
}

/**
 * Options for tls.connect / http2.connect / https.request, with the
 * material's current context (the files are re-read when they changed). The
 * server's name is checked as Node does (an IP host against the IP SANs).
 */
export function clientConnectOptions(settings: TlsClientSettings, alpnProtocols: readonly string[]): tls.ConnectionOptions {
  return {
    secureContext: settings.material.context(),
    ALPNProtocols: [...alpnProtocols],
    rejectUnauthorized: settings.insecureSkipVerify !== true,
  };
}
