/**
 * The call context's {@link Peer} from the connection a call came on: its
 * address, and on TLS the verified client certificate's identity (src/tls).
 * @module
 */
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { peerIdentity } from "../tls/index.js";
import type { Peer } from "./rpc/contract.js";

/** The peer of a connection; computed once per connection, shared by its calls. */
export function peerOf(socket: Socket): Peer {
  const address = `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`;
  const identity = socket instanceof TLSSocket ? peerIdentity(socket) : undefined;
  const [leaf, ...issuers] = identity?.verifiedChain ?? [];
  if (identity === undefined || leaf === undefined) return { address, certificate: undefined, commonName: undefined, verifiedChain: [] };
  return { address, certificate: leaf, commonName: identity.commonName, verifiedChain: [leaf, ...issuers] };
}
