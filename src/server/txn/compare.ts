/**
 * Txn compares as etcd evaluates them (etcd `applyCompare` / `compareKV`):
 * a compare may cover a range (range_end, same conventions as Range) and
 * holds only if it holds for every key in it. On a missing key, VERSION,
 * CREATE, MOD and LEASE compare against 0 and VALUE always fails.
 * @module
 */

import { Compare_CompareResult, Compare_CompareTarget, type Compare } from "../../gen/etcdserverpb/rpc.js";
import type { KeyValue } from "../../gen/mvccpb/kv.js";
import type { ReadView } from "../../storage/mvcc/types.js";

const EMPTY = Buffer.alloc(0);
const ZERO_KV: KeyValue = { key: EMPTY, createRevision: 0n, modRevision: 0n, version: 0n, value: EMPTY, lease: 0n };

/** True when every compare holds (an empty list holds). */
export function applyCompares(view: ReadView, compares: readonly Compare[]): boolean {
  for (const c of compares) {
    if (!applyCompare(view, c)) return false;
  }
  return true;
}

export function applyCompare(view: ReadView, c: Compare): boolean {
  let kvs: KeyValue[];
  try {
    kvs = view.range(c.key, c.rangeEnd).kvs;
  } catch {
    // etcd treats a failed read as a failed compare.
    return false;
  }
  if (kvs.length === 0) {
    // There is no way to tell a missing value from an empty one: a value compare on nothing fails.
    if (c.target === Compare_CompareTarget.VALUE) return false;
    return compareKV(c, ZERO_KV);
  }
  return kvs.every((kv) => compareKV(c, kv));
}

function cmpInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The compare's operand for its target; a union holding another target counts as 0 / empty, as in etcd. */
function compareKV(c: Compare, kv: KeyValue): boolean {
  const u = c.targetUnion;
  let result = 0;
  switch (c.target) {
    case Compare_CompareTarget.VALUE:
      result = Buffer.compare(kv.value, u?.$case === "value" ? u.value : EMPTY);
      break;
    case Compare_CompareTarget.CREATE:
      result = cmpInt(kv.createRevision, u?.$case === "createRevision" ? u.value : 0n);
      break;
    case Compare_CompareTarget.MOD:
      result = cmpInt(kv.modRevision, u?.$case === "modRevision" ? u.value : 0n);
      break;
    case Compare_CompareTarget.VERSION:
      result = cmpInt(kv.version, u?.$case === "version" ? u.value : 0n);
      break;
    case Compare_CompareTarget.LEASE:
      result = cmpInt(kv.lease, u?.$case === "lease" ? u.value : 0n);
      break;
    default:
      // Unknown target: etcd compares nothing (result 0).
      break;
  }
  switch (c.result) {
    case Compare_CompareResult.EQUAL:
      return result === 0;
    case Compare_CompareResult.NOT_EQUAL:
      return result !== 0;
    case Compare_CompareResult.GREATER:
      return result > 0;
    case Compare_CompareResult.LESS:
      return result < 0;
    default:
      // Unknown result: etcd lets the compare pass.
      return true;
  }
}
