/**
 * Routes one replicated request to the code that applies it and captures the
 * outcome. An EtcdError from applying is the request's answer (every member
 * reaches the same one); any other exception is a bug and stops the server.
 * @module
 */
import { applyDowngradeInfoSet, type DowngradeInfoStore } from "../maintenance/downgrade.js";
import type { LocalRequest } from "../proposals/codec.js";
import { AlarmRequest_AlarmAction, AlarmType, type AlarmRequest, type AlarmResponse } from "../../gen/etcdserverpb/rpc.js";
import { EtcdError, isEtcdError } from "../../pkg/errors.js";
import type { AlarmStore } from "../maintenance/alarms.js";
import { costOfTxn } from "../maintenance/quota.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { MembershipStore } from "../membership/membership-store.js";
import * as ops from "../txn/index.js";
import type { Lessor } from "../../lease/index.js";
import { applyLease, isLeaseRequest } from "../lease/apply.js";
import type { ApplyResult } from "./apply-result.js";
import { applyAuthRequest, isAuthRequest, refusedByAuth, type AuthApplyContext } from "../auth/apply.js";

export interface DispatchContext {
  kv: KVStore;
  /** Applies lease requests and tells puts which leases exist. */
  lessor: Lessor;
  membership: MembershipStore;
  alarms: AlarmStore;
  /** The auth store and tokens: writes are checked against the entry's caller, Auth requests applied. */
  auth: AuthApplyContext;
  /** Where an enabled or cancelled downgrade job is kept. */
  downgrade: DowngradeInfoStore;
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

/** Applies `req`, the entry at raft index `index` (a simple token issued by it is named after it). */
export function dispatch(ctx: DispatchContext, req: LocalRequest, index: bigint): ApplyResult {
  const refused = refusedByAlarm(ctx.alarms, req);
  if (refused !== undefined) return { ok: false, error: new EtcdError(refused) };
  const denied = refusedByAuth(ctx.auth, req);
  if (denied !== undefined) return { ok: false, error: denied };
  // The KV kinds first: they are nearly every entry, and each test below is a
  // property load on request objects of many shapes (megamorphic in V8).
  if (req.put) {
    const r = req.put;
    return attempt(() => ops.put(ctx.kv, r, ctx.lessor));
  }
  if (req.deleteRange) {
    const r = req.deleteRange;
    return attempt(() => ops.deleteRange(ctx.kv, r));
  }
  if (req.txn) {
    const r = req.txn;
    return attempt(() => ops.txn(ctx.kv, r, ctx.lessor));
  }
  if (req.range) {
    const r = req.range;
    return attempt(() => ops.range(ctx.kv, r));
  }
  if (isLeaseRequest(req)) return applyLease({ lessor: ctx.lessor, revision: () => ctx.kv.rev }, req);
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
  if (isAuthRequest(req)) return applyAuthRequest(ctx.auth, req, index);
  if (req.alarm) {
    return { ok: true, response: applyAlarm(ctx.alarms, req.alarm) };
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
  if (req.downgradeInfoSet) return applyDowngradeInfoSet(ctx.downgrade, req.downgradeInfoSet);
  // A request type this member does not know yet (a newer member proposed it):
  // applying nothing keeps every member of this version in step.
  return { ok: true, response: {} };
}

/**
 * While CORRUPT is raised the store answers nothing; while NOSPACE is raised
 * it refuses what would add data (puts, txns with puts, lease grants) —
 * etcd's corrupt and capped appliers.
 */
function refusedByAlarm(alarms: AlarmStore, req: LocalRequest): "Corrupt" | "NoSpace" | undefined {
  if (alarms.isRaised(AlarmType.CORRUPT)) {
    if (req.put || req.range || req.deleteRange || req.txn || req.compaction || req.leaseGrant || req.leaseRevoke) return "Corrupt";
  }
  if (alarms.isRaised(AlarmType.NOSPACE)) {
    if (req.put || req.leaseGrant) return "NoSpace";
    if (req.txn && costOfTxn(req.txn) > 0) return "NoSpace";
  }
  return undefined;
}

function applyAlarm(alarms: AlarmStore, r: AlarmRequest): AlarmResponse {
  const resp: AlarmResponse = { header: undefined, alarms: [] };
  switch (r.action) {
    case AlarmRequest_AlarmAction.GET:
      resp.alarms = alarms.get(r.alarm);
      break;
    case AlarmRequest_AlarmAction.ACTIVATE: {
      if (r.alarm === AlarmType.NONE) break;
      const m = alarms.activate(r.memberID, r.alarm);
      if (m !== undefined) resp.alarms.push(m);
      break;
    }
    case AlarmRequest_AlarmAction.DEACTIVATE: {
      const m = alarms.deactivate(r.memberID, r.alarm);
      if (m !== undefined) resp.alarms.push(m);
      break;
    }
  }
  return resp;
}
