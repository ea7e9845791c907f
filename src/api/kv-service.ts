/**
 * etcdserverpb.KV: validate as etcd's API layer does, then hand the request
 * to the server with the call's cancellation and credentials. Validation happens here,
 * before anything is proposed, so a bad request changes nothing anywhere.
 * @module
 */
import type { KVService } from "../gen/etcdserverpb/rpc.js";
import type { ApiLimits, KvApi } from "../server/api.js";
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from "../server/txn/validate.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import type { ServiceHandlers } from "./rpc/contract.js";

export function kvHandlers(api: KvApi, limits: ApiLimits, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof KVService> {
  return {
    range: async (req, ctx) => {
      checkRangeRequest(req);
      return api.range(req, ctx.cancellation, credentials(ctx));
    },
    put: async (req, ctx) => {
      checkPutRequest(req);
      return api.put(req, ctx.cancellation, credentials(ctx));
    },
    deleteRange: async (req, ctx) => {
      checkDeleteRequest(req);
      return api.deleteRange(req, ctx.cancellation, credentials(ctx));
    },
    txn: async (req, ctx) => {
      checkTxnRequest(req, limits.maxTxnOps);
      return api.txn(req, ctx.cancellation, credentials(ctx));
    },
    compact: async (req, ctx) => api.compact(req, ctx.cancellation, credentials(ctx)),
  };
}
