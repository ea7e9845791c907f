/** v3lockpb.Lock over gRPC. @module */
import type { LockRequest, LockResponse, UnlockRequest, UnlockResponse } from "../gen/v3lockpb/v3lock.js";
import type { HeaderSource, LockApi } from "../server/api.js";
import { checkLeaderRequirement } from "./interceptors.js";
import { unary } from "./grpc-adapter.js";

export function lockHandlers(api: LockApi, header: HeaderSource) {
  return {
    lock: unary<LockRequest, LockResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.lock(req, ctx.signal);
    }),
    unlock: unary<UnlockRequest, UnlockResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.unlock(req, ctx.signal);
    }),
  };
}
