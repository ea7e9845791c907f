/** etcdserverpb.Cluster over gRPC. @module */
import type {
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
} from "../gen/etcdserverpb/rpc.js";
import type { ClusterApi, HeaderSource } from "../server/api.js";
import { checkLeaderRequirement } from "./interceptors.js";
import { unary } from "./grpc-adapter.js";

export function clusterHandlers(api: ClusterApi, header: HeaderSource) {
  return {
    memberAdd: unary<MemberAddRequest, MemberAddResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.memberAdd(req, ctx.signal);
    }),
    memberRemove: unary<MemberRemoveRequest, MemberRemoveResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.memberRemove(req, ctx.signal);
    }),
    memberUpdate: unary<MemberUpdateRequest, MemberUpdateResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.memberUpdate(req, ctx.signal);
    }),
    memberList: unary<MemberListRequest, MemberListResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.memberList(req, ctx.signal);
    }),
    memberPromote: unary<MemberPromoteRequest, MemberPromoteResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.memberPromote(req, ctx.signal);
    }),
  };
}
