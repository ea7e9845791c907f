/** etcdserverpb.Cluster over gRPC. @module */
import type { MemberListRequest, MemberListResponse } from "../gen/etcdserverpb/rpc.js";
import type { ClusterApi, HeaderSource } from "../server/api.js";
import { checkLeaderRequirement } from "./interceptors.js";
import { unary } from "./grpc-adapter.js";

export function clusterHandlers(api: ClusterApi, header: HeaderSource) {
  return {
    memberList: unary<MemberListRequest, MemberListResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.memberList(req, ctx.signal);
    }),
  };
}
