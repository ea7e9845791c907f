/**
 * The caller's credentials as a call carries them (etcd's AuthInfoFromCtx
 * and AuthInfoFromTLS read the same things): the `token` metadata, else
 * `authorization`; and, with --client-cert-auth, the verified client
 * certificate's common name — except on calls our own gateway makes, since
 * it dials with the member's certificate, not the HTTP client's. Read once
 * per call, on the hot path: nothing is allocated when the call carries
 * nothing.
 * @module
 */
import { NO_CREDENTIALS, type Credentials } from "../server/auth/credentials.js";
import type { CallContext } from "./rpc/contract.js";

/** The metadata key clients put their token under (clientv3, etcdctl, the etcd3 package). */
export const TOKEN_METADATA = "token";
/** The key etcd also reads a token from (what grpc-gateway makes of an `Authorization` header). */
export const AUTHORIZATION_METADATA = "authorization";
/**
 * The key by which etcd knows a call from its gRPC gateway (grpc-gateway
 * sets it from the HTTP Accept header); our gateway sets it on every call.
 * A call with it is not credited with the connection's certificate.
 */
export const GATEWAY_METADATA = "grpcgateway-accept";

export interface CredentialsOptions {
  /** --client-cert-auth: a verified client certificate's common name names the user when no token came. */
  readonly clientCertAuth: boolean;
}

/** Reads a call's credentials; one per server, shared by every service. */
export type CredentialsReader = (ctx: CallContext) => Credentials;

export function credentialsOf(ctx: CallContext, options: CredentialsOptions): Credentials {
  const token = ctx.metadata(TOKEN_METADATA) ?? ctx.metadata(AUTHORIZATION_METADATA);
  const commonName = options.clientCertAuth ? certificateUser(ctx) : undefined;
  if (token === undefined && commonName === undefined) return NO_CREDENTIALS;
  return { token, commonName };
}

export function credentialsReader(options: CredentialsOptions): CredentialsReader {
  return (ctx) => credentialsOf(ctx, options);
}

/** The certificate's CN, unless the call came through the gateway; an empty CN names nobody (etcd: "user name is empty"). */
function certificateUser(ctx: CallContext): string | undefined {
  const cn = ctx.peer.commonName;
  if (cn === undefined || cn === "") return undefined;
  return ctx.metadata(GATEWAY_METADATA) === undefined ? cn : undefined;
}

/** Credentials for tests and for servers built without a reader: every call carries only its token. */
export const TOKEN_ONLY: CredentialsReader = credentialsReader({ clientCertAuth: false });
