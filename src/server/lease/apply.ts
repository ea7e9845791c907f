/**
 * Applying the replicated lease requests (LeaseGrant, LeaseRevoke,
 * LeaseCheckpoint) to the lessor. Responses carry the store revision right
 * after the change in their header; the request path fills in the rest.
 * @module
 */
import type { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import type { LeaseCheckpointResponse, LeaseGrantResponse, LeaseRevokeResponse, ResponseHeader } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError } from "../../pkg/errors.js";
import type { Lessor } from "../../lease/index.js";
import type { ApplyResult } from "../apply/apply-result.js";

export interface LeaseApplyContext {
  lessor: Lessor;
  /** The store's current revision. */
  revision(): bigint;
}

function header(revision: bigint): ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0n };
}

/** True when `req` is one of the requests {@link applyLease} handles. */
export function isLeaseRequest(req: Partial<Pick<InternalRaftRequest, "leaseGrant" | "leaseRevoke" | "leaseCheckpoint">>): boolean {
  return req.leaseGrant !== undefined || req.leaseRevoke !== undefined || req.leaseCheckpoint !== undefined;
}

export function applyLease(ctx: LeaseApplyContext, req: Partial<Pick<InternalRaftRequest, "leaseGrant" | "leaseRevoke" | "leaseCheckpoint">>): ApplyResult {
  try {
    if (req.leaseGrant !== undefined) {
      const lease = ctx.lessor.grant(req.leaseGrant.ID, req.leaseGrant.TTL);
      const response: LeaseGrantResponse = { header: header(ctx.revision()), ID: lease.id, TTL: BigInt(lease.ttl), error: "" };
      return { ok: true, response };
    }
    if (req.leaseRevoke !== undefined) {
      ctx.lessor.revoke(req.leaseRevoke.ID);
      const response: LeaseRevokeResponse = { header: header(ctx.revision()) };
      return { ok: true, response };
    }
    if (req.leaseCheckpoint !== undefined) {
      for (const c of req.leaseCheckpoint.checkpoints) ctx.lessor.checkpoint(c.ID, c.remainingTTL);
      const response: LeaseCheckpointResponse = { header: header(ctx.revision()) };
      return { ok: true, response };
    }
  } catch (err) {
    if (isEtcdError(err)) return { ok: false, error: err };
    throw err;
  }
  throw new Error("applyLease: not a lease request");
}
