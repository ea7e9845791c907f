/** etcdserverpb.Cluster. A promotion a follower forwards to the leader carries the caller's credentials. @module */
import type { ClusterService } from "../gen/etcdserverpb/rpc.js";
import type { ClusterApi } from "../server/api.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import type { ServiceHandlers } from "./rpc/contract.js";

export function clusterHandlers(api: ClusterApi, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof ClusterService> {
  return {
    memberAdd: async (req, ctx) => api.memberAdd(req, ctx.signal),
    memberRemove: async (req, ctx) => api.memberRemove(req, ctx.signal),
    memberUpdate: async (req, ctx) => api.memberUpdate(req, ctx.signal),
    memberList: async (req, ctx) => api.memberList(req, ctx.signal),
    memberPromote: async (req, ctx) => api.memberPromote(req, ctx.signal, credentials(ctx)),
  };
}
