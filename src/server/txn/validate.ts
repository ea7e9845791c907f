/**
 * The request checks etcd's API layer makes before proposing anything
 * (etcd `v3rpc/key.go`). A request that fails here changes nothing
 * anywhere. Failures throw {@link EtcdError}; the API edge maps the kind to
 * etcd's wire text ("etcdserver: key is not provided", …).
 * @module
 */

import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../../pkg/errors.js";

export function checkRangeRequest(r: RangeRequest): void {
  if (r.key.length === 0) throw new EtcdError("EmptyKey");
}

export function checkPutRequest(r: PutRequest): void {
  if (r.key.length === 0) throw new EtcdError("EmptyKey");
  if (r.ignoreValue && r.value.length !== 0) throw new EtcdError("ValueProvided");
  if (r.ignoreLease && r.lease !== 0n) throw new EtcdError("LeaseProvided");
}

export function checkDeleteRequest(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw new EtcdError("EmptyKey");
}

/**
 * Everything etcd's Txn handler checks: the op counts and per-op checks
 * ({@link checkTxnOps}), then that no key is put twice or put under a
 * delete ({@link checkIntervals}, on each branch).
 */
export function checkTxnRequest(r: TxnRequest, maxTxnOps: number): void {
  checkTxnOps(r, maxTxnOps);
  // Overlaps are checked after the counts so a huge request cannot make this quadratic.
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

/**
 * etcd's `checkTxnRequest`: at each level max(compares, success, failure)
 * must not exceed `maxTxnOps`, and a nested txn gets what is left of the
 * budget (maxTxnOps minus that level's count). Compare keys must be set;
 * each op is checked as its own request would be; an empty op is refused
 * with "key not found", as etcd does.
 */
export function checkTxnOps(r: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) throw new EtcdError("TooManyOps");
  for (const c of r.compare) {
    if (c.key.length === 0) throw new EtcdError("EmptyKey");
  }
  for (const op of r.success) checkRequestOp(op, maxTxnOps - opc);
  for (const op of r.failure) checkRequestOp(op, maxTxnOps - opc);
}

function checkRequestOp(op: RequestOp, maxTxnOps: number): void {
  const req = op.request;
  switch (req?.$case) {
    case "requestRange":
      return checkRangeRequest(req.value);
    case "requestPut":
      return checkPutRequest(req.value);
    case "requestDeleteRange":
      return checkDeleteRequest(req.value);
    case "requestTxn":
      return checkTxnOps(req.value, maxTxnOps);
    default:
      throw new EtcdError("KeyNotFound");
  }
}

/**
 * A set of delete intervals [begin, end) over latin1 key strings, where an
 * empty `end` means "no upper bound" (etcd's StringAffine intervals). A
 * point k is covered when begin <= k < end.
 *
 * Note, as in etcd: a delete's range_end is taken literally, so a "\0"
 * range end (meaning "every key >= key" to the store) gives the interval
 * [key, "\0"), which covers no key; such a delete never conflicts.
 */
class DeleteIntervals {
  #intervals: [begin: string, end: string][] = [];
  #sorted: [begin: string, end: string][] | undefined;
  /** maxEnd[i]: the largest end among sorted[0..i] ("" = unbounded wins). */
  #maxEnd: string[] = [];

  add(begin: string, end: string): void {
    this.#intervals.push([begin, end]);
    this.#sorted = undefined;
  }

  addAll(other: DeleteIntervals): void {
    for (const [b, e] of other.#intervals) this.add(b, e);
  }

  covers(point: string): boolean {
    if (this.#intervals.length === 0) return false;
    const sorted = this.#index();
    // Intervals with begin <= point form a prefix of the sorted list.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]![0] <= point) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return false;
    const maxEnd = this.#maxEnd[lo - 1]!;
    return maxEnd === "" || point < maxEnd;
  }

  #index(): [string, string][] {
    if (this.#sorted !== undefined) return this.#sorted;
    const sorted = [...this.#intervals].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    this.#maxEnd = new Array<string>(sorted.length);
    let max: string | undefined;
    for (let i = 0; i < sorted.length; i++) {
      const end = sorted[i]![1];
      if (max === undefined || max !== "" && (end === "" || end > max)) max = end;
      this.#maxEnd[i] = max;
    }
    this.#sorted = sorted;
    return sorted;
  }
}

const latin1 = (b: Buffer): string => b.toString("latin1");

/**
 * etcd's `checkIntervals`: within one list of ops (and the txns nested in
 * it) a key may not be put twice, nor put where a delete of the same list
 * or of a nested txn applies. A key put in both the success and the
 * failure branch of one nested txn is fine (only one branch runs). Throws
 * `DuplicateKey`; returns the puts and deletes for the level above.
 */
export function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: DeleteIntervals } {
  const dels = new DeleteIntervals();
  for (const op of ops) {
    if (op.request?.$case !== "requestDeleteRange") continue;
    const d = op.request.value;
    const key = latin1(d.key);
    // A single-key delete is the point interval [key, key + "\0").
    dels.add(key, d.rangeEnd.length !== 0 ? latin1(d.rangeEnd) : key + "\0");
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.request?.$case !== "requestTxn") continue;
    const then = checkIntervals(op.request.value.success);
    const otherwise = checkIntervals(op.request.value.failure);
    for (const k of then.puts) {
      if (puts.has(k) || dels.covers(k)) throw new EtcdError("DuplicateKey");
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || dels.covers(k)) throw new EtcdError("DuplicateKey");
      puts.add(k);
    }
    dels.addAll(then.dels);
    dels.addAll(otherwise.dels);
  }
  for (const op of ops) {
    if (op.request?.$case !== "requestPut") continue;
    const k = latin1(op.request.value.key);
    if (puts.has(k) || dels.covers(k)) throw new EtcdError("DuplicateKey");
    puts.add(k);
  }
  return { puts, dels };
}
