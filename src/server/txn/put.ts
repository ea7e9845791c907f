/**
 * Put and DeleteRange as etcd applies them (etcd `applierV3backend.Put` /
 * `DeleteRange`), standalone (own write txn) or inside a Txn.
 * @module
 */

import type { DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse } from "../../gen/etcdserverpb/rpc.js";
import type { KeyValue } from "../../gen/mvccpb/kv.js";
import { EtcdError } from "../../pkg/errors.js";
import type { TxnWrite } from "../../storage/mvcc/types.js";
import { header } from "./header.js";
import type { KV } from "./kv.js";
import type { LeaseLookup } from "./leases.js";

/**
 * A standalone Put: an unknown lease fails with `LeaseNotFound` before
 * anything is written; then as {@link putInTxn}.
 */
export function put(kv: KV, req: PutRequest, leases: LeaseLookup): PutResponse {
  if (req.lease !== 0n && !leases.exists(req.lease)) throw new EtcdError("LeaseNotFound");
  const txn = kv.write();
  try {
    return putInTxn(txn, req);
  } finally {
    txn.end();
  }
}

/**
 * Put inside a write txn (the lease was checked by the caller).
 * ignore_value / ignore_lease take the current value / lease and need the
 * key to exist (`KeyNotFound` otherwise, before any write); prev_kv returns
 * the previous key-value when there is one. Header revision: the txn's new
 * revision.
 */
export function putInTxn(txn: TxnWrite, req: PutRequest): PutResponse {
  let value = req.value;
  let lease = req.lease;
  let prev: KeyValue | undefined;
  if (req.ignoreValue || req.ignoreLease || req.prevKv) prev = txn.range(req.key, undefined).kvs[0];
  if ((req.ignoreValue || req.ignoreLease) && prev === undefined) throw new EtcdError("KeyNotFound");
  if (req.ignoreValue) value = prev!.value;
  if (req.ignoreLease) lease = prev!.lease;
  const rev = txn.put(req.key, value, lease);
  return { header: header(rev), prevKv: req.prevKv ? prev : undefined };
}

export function deleteRange(kv: KV, req: DeleteRangeRequest): DeleteRangeResponse {
  const txn = kv.write();
  try {
    return deleteRangeInTxn(txn, req);
  } finally {
    txn.end();
  }
}

/**
 * DeleteRange inside a write txn: prev_kv returns the deleted key-values.
 * Header revision: the txn's new revision when this txn changed anything,
 * else the current one.
 */
export function deleteRangeInTxn(txn: TxnWrite, req: DeleteRangeRequest): DeleteRangeResponse {
  const prevKvs = req.prevKv ? txn.range(req.key, req.rangeEnd).kvs : [];
  const { deleted, rev } = txn.deleteRange(req.key, req.rangeEnd);
  return { header: header(rev), deleted: BigInt(deleted), prevKvs };
}
