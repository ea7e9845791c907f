/**
 * etcdserverpb.KV over gRPC: validate as etcd's API layer does, then hand the
 * request to the server. Validation happens here, before anything is
 * proposed, so a bad request changes nothing anywhere.
 * @module
 */
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from "../gen/etcdserverpb/rpc.js";
import type { ApiLimits, HeaderSource, KvApi } from "../server/api.js";
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from "../server/txn/validate.js";
import { checkLeaderRequirement } from "./interceptors.js";
import { unary } from "./grpc-adapter.js";

export function kvHandlers(api: KvApi, header: HeaderSource, limits: ApiLimits) {
  return {
    range: unary<RangeRequest, RangeResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header, req.serializable);
      checkRangeRequest(req);
      return api.range(req);
    }),
    put: unary<PutRequest, PutResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      checkPutRequest(req);
      return api.put(req);
    }),
    deleteRange: unary<DeleteRangeRequest, DeleteRangeResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      checkDeleteRequest(req);
      return api.deleteRange(req);
    }),
    txn: unary<TxnRequest, TxnResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      checkTxnRequest(req, limits.maxTxnOps);
      return api.txn(req);
    }),
    compact: unary<CompactionRequest, CompactionResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.compact(req);
    }),
  };
}
