/**
 * Routes one replicated request to the code that applies it and captures the
 * outcome. An EtcdError from applying is the request's answer (every member
 * reaches the same one); any other exception is a bug and stops the server.
 * @module
 */
import type { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import { isEtcdError } from "../../pkg/errors.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { MembershipStore } from "../membership/membership-store.js";
import * as ops from "../txn/index.js";
import type { ApplyResult } from "./apply-result.js";

export interface DispatchContext {
  kv: KVStore;
  leases: ops.LeaseLookup;
  membership: MembershipStore;
}

function attempt(fn: () => unknown): ApplyResult {
  try {
    const response = fn();
    return { ok: true, response };
  } catch (err) {
    if (isEtcdError(err)) return { ok: false, error: err };
    throw err;
  }
}

export function dispatch(ctx: DispatchContext, req: InternalRaftRequest): ApplyResult {
  if (req.put) {
    const r = req.put;
    return attempt(() => ops.put(ctx.kv, r, ctx.leases));
  }
  if (req.deleteRange) {
    const r = req.deleteRange;
    return attempt(() => ops.deleteRange(ctx.kv, r));
  }
  if (req.txn) {
    const r = req.txn;
    return attempt(() => ops.txn(ctx.kv, r, ctx.leases));
  }
  if (req.range) {
    const r = req.range;
    return attempt(() => ops.range(ctx.kv, r));
  }
  if (req.compaction) {
    const r = req.compaction;
    try {
      const { response, physical } = ops.compaction(ctx.kv, r);
      return { ok: true, response, physical };
    } catch (err) {
      if (isEtcdError(err)) return { ok: false, error: err };
      throw err;
    }
  }
  if (req.clusterMemberAttrSet) {
    const { memberID, memberAttributes } = req.clusterMemberAttrSet;
    ctx.membership.setAttributes(memberID, memberAttributes?.name ?? "", memberAttributes?.clientUrls ?? []);
    return { ok: true, response: {} };
  }
  if (req.clusterVersionSet) {
    ctx.membership.setClusterVersion(req.clusterVersionSet.ver);
    return { ok: true, response: {} };
  }
  // A request type this member does not know yet (a newer member proposed it):
  // applying nothing keeps every member of this version in step.
  return { ok: true, response: {} };
}
