/**
 * etcdserverpb.Maintenance over gRPC. Methods not in this map are answered
 * with gRPC's UNIMPLEMENTED by grpc-js until they exist.
 * @module
 */
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentRequest,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  HashRequest,
  HashResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  StatusRequest,
  StatusResponse,
} from "../gen/etcdserverpb/rpc.js";
import type { HeaderSource, MaintenanceApi } from "../server/api.js";
import { checkLeaderRequirement } from "./interceptors.js";
import { unary } from "./grpc-adapter.js";

export function maintenanceHandlers(api: MaintenanceApi, header: HeaderSource) {
  return {
    moveLeader: unary<MoveLeaderRequest, MoveLeaderResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.moveLeader(req, ctx.signal);
    }),
    alarm: unary<AlarmRequest, AlarmResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.alarm(req, ctx.signal);
    }),
    defragment: unary<DefragmentRequest, DefragmentResponse>(async (_req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.defragment();
    }),
    status: unary<StatusRequest, StatusResponse>(async (_req, ctx) => {
      checkLeaderRequirement(ctx, header, true);
      return api.status();
    }),
    hash: unary<HashRequest, HashResponse>(async (_req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.hash();
    }),
    hashKv: unary<HashKVRequest, HashKVResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.hashKV(req);
    }),
  };
}
