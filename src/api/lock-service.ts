/** v3lockpb.Lock over gRPC. @module */
import type { LockRequest, LockResponse, UnlockRequest, UnlockResponse } from "../gen/v3lockpb/v3lock.js";
import type { HeaderSource, LockApi } from "../server/api.js";
import { checkLeaderRequirement } from "./interceptors.js";
import { unary } from "./grpc-adapter.js";
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

export function lockHandlers(api: LockApi, header: HeaderSource) {
  return {
    lock: unary<LockRequest, LockResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return asServiceError(api.lock(req, ctx.signal));
    }),
    unlock: unary<UnlockRequest, UnlockResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return asServiceError(api.unlock(req, ctx.signal));
    }),
  };
}
