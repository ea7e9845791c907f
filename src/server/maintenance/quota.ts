/**
 * The backend space quota (--quota-backend-bytes). A write is admitted only
 * if the database plus an estimate of what the write adds stays under the
 * quota; otherwise the server raises the NOSPACE alarm, and while it is
 * raised every member refuses writes that would add data (etcd's "capped"
 * applier). Reads, deletes, compaction, defragmentation and disarming keep
 * working, so an operator can recover.
 * @module
 */
import { AlarmRequest_AlarmAction, AlarmType, type PutRequest, type RequestOp, type TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import type { Logger } from "../../pkg/logger.js";
import type { RaftRequestBody } from "../proposals/codec.js";

/** Estimated bytes per stored key besides key and value (etcd's kvOverhead). */
export const KV_OVERHEAD = 256;
/** Estimated bytes per lease (etcd's leaseOverhead). */
export const LEASE_OVERHEAD = 64;

export function costOfPut(r: PutRequest): number {
  return KV_OVERHEAD + r.key.length + r.value.length;
}

function costOfOp(op: RequestOp): number {
  return op.request?.$case === "requestPut" ? costOfPut(op.request.value) : 0;
}

/** A txn costs its more expensive branch; only top-level puts count, as in etcd. */
export function costOfTxn(r: TxnRequest): number {
  let success = 0;
  for (const op of r.success) success += costOfOp(op);
  let failure = 0;
  for (const op of r.failure) failure += costOfOp(op);
  return Math.max(success, failure);
}

export class Quota {
  readonly #maxBytes: number;
  readonly #size: () => number;

  /** `maxBytes` < 0 disables the quota. */
  constructor(maxBytes: number, currentSize: () => number) {
    this.#maxBytes = maxBytes;
    this.#size = currentSize;
  }

  /** A request that adds nothing always passes; otherwise the database plus its cost must stay under the quota. */
  available(cost: number): boolean {
    if (cost === 0 || this.#maxBytes < 0) return true;
    return this.#size() + cost < this.#maxBytes;
  }
}

/**
 * Raises the NOSPACE alarm for `memberId` through the log (what a write
 * refused by the quota does). A failure is only logged: the client gets
 * "database space exceeded" either way, and the next such write retries.
 */
export async function raiseNoSpaceAlarm(propose: (body: RaftRequestBody) => Promise<unknown>, memberId: bigint, logger: Logger): Promise<void> {
  try {
    await propose({ alarm: { action: AlarmRequest_AlarmAction.ACTIVATE, memberID: memberId, alarm: AlarmType.NOSPACE } });
  } catch (err) {
    logger.warn({ error: String(err) }, "failed to raise the NOSPACE alarm");
  }
}
