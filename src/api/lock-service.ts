/** v3lockpb.Lock. @module */
import type { LockService } from "../gen/v3lockpb/v3lock.js";
import type { LockApi } from "../server/api.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import type { ServiceHandlers } from "./rpc/contract.js";
import { toWireError } from "./status.js";

/**
 * etcd's lock and election services call the server through an in-process
 * clientv3, which turns every error into a plain error value; gRPC then
 * sends it as Unknown with the text ("etcdserver: requested lease not
 * found" arrives as code 2, not NotFound). Only the hasleader check, made
 * before the service runs, keeps its own code.
 */
export async function asServiceError<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (err) {
    throw new Error(toWireError(err).message, { cause: err });
  }
}

/** Lock acts as its caller: the keys it writes and watches are checked with the call's credentials. */
export function lockHandlers(api: LockApi, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof LockService> {
  return {
    lock: async (req, ctx) => asServiceError(api.lock(req, ctx.signal, credentials(ctx))),
    unlock: async (req, ctx) => asServiceError(api.unlock(req, ctx.signal, credentials(ctx))),
  };
}
