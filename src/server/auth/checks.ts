/**
 * etcd's permission rules for writes and txns, shared by the gate (before
 * proposing or serving) and the apply check (on every member, against the
 * user and auth revision in the entry's header). They follow newer etcd's
 * checkPutAuth and checkTxnPermission: a put needs write on its key, read
 * too with prev_kv, and — unless the caller is an admin — write on every
 * key already attached to its lease; a delete needs write on its range,
 * read too with prev_kv; a txn needs read on every compare and all of the
 * above for every operation of both branches, nested txns included.
 * @module
 */
import type { AuthInfo, AuthStore } from "../../auth/index.js";
import type { DeleteRangeRequest, PutRequest, RequestOp, TxnRequest } from "../../gen/etcdserverpb/rpc.js";

const NO_RANGE_END = new Uint8Array(0);

/** What the rules read: the auth store and the keys attached to a lease. */
export interface PermissionSource {
  readonly store: AuthStore;
  /** The keys attached to a lease, or undefined when it does not exist. */
  leaseKeys(id: bigint): readonly Uint8Array[] | undefined;
}

export function checkPut(src: PermissionSource, info: AuthInfo | undefined, put: PutRequest): void {
  src.store.checkPut(info, put.key);
  if (put.lease !== 0n) checkLeaseWrite(src, info, put.lease);
  if (put.prevKv) src.store.checkRange(info, put.key, NO_RANGE_END);
}

export function checkDeleteRange(src: PermissionSource, info: AuthInfo | undefined, del: DeleteRangeRequest): void {
  if (del.prevKv) src.store.checkRange(info, del.key, del.rangeEnd);
  src.store.checkDeleteRange(info, del.key, del.rangeEnd);
}

export function checkTxn(src: PermissionSource, info: AuthInfo | undefined, txn: TxnRequest): void {
  for (const c of txn.compare) src.store.checkRange(info, c.key, c.rangeEnd);
  checkOps(src, info, txn.success);
  checkOps(src, info, txn.failure);
}

function checkOps(src: PermissionSource, info: AuthInfo | undefined, ops: readonly RequestOp[]): void {
  for (const { request } of ops) {
    switch (request?.$case) {
      case "requestRange":
        src.store.checkRange(info, request.value.key, request.value.rangeEnd);
        break;
      case "requestPut":
        checkPut(src, info, request.value);
        break;
      case "requestDeleteRange":
        checkDeleteRange(src, info, request.value);
        break;
      case "requestTxn":
        checkTxn(src, info, request.value);
        break;
      case undefined:
        break;
    }
  }
}

/**
 * Write permission on every key attached to lease `id` (revoking it, or
 * putting a key under it, deletes or extends them); an admin passes, and
 * an unknown lease has nothing to check.
 */
export function checkLeaseWrite(src: PermissionSource, info: AuthInfo | undefined, id: bigint): void {
  const keys = src.leaseKeys(id);
  if (keys === undefined || keys.length === 0 || src.store.isAdmin(info)) return;
  for (const key of keys) src.store.checkPut(info, key);
}

/** Read permission on every key attached to lease `id` (its TimeToLive with keys, LeaseLeases); an admin passes. */
export function checkLeaseRead(src: PermissionSource, info: AuthInfo | undefined, id: bigint): void {
  const keys = src.leaseKeys(id);
  if (keys === undefined || keys.length === 0 || src.store.isAdmin(info)) return;
  for (const key of keys) src.store.checkRange(info, key, NO_RANGE_END);
}
