/**
 * Channel credentials for the member's own gRPC clients (the gateway to its
 * own port, the leader client): plain text, or TLS presenting the member's
 * client certificate (src/tls) and verifying the server unless told not to.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { createSecureContext } from "node:tls";
import { clientConnectOptions, type TlsClientSettings } from "../tls/index.js";

/** Credentials for dialing over TLS with `settings`, or plain text without. */
export function channelCredentials(settings: TlsClientSettings | undefined): grpc.ChannelCredentials {
  if (settings === undefined) return grpc.credentials.createInsecure();
  const options = clientConnectOptions(settings, ["h2"]);
  const verify: grpc.VerifyOptions = {};
  if (options.rejectUnauthorized !== undefined) verify.rejectUnauthorized = options.rejectUnauthorized;
  if (options.checkServerIdentity !== undefined) verify.checkServerIdentity = options.checkServerIdentity;
  return grpc.credentials.createFromSecureContext(options.secureContext ?? createSecureContext(options), verify);
}
