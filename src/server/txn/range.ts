/**
 * Range as etcd applies it (etcd `applierV3backend.Range`): limit with the
 * one-extra fetch that sets `more`, min/max mod/create revision filters
 * (inclusive), sort target and order, keys_only, count_only.
 * @module
 */

import { RangeRequest_SortOrder, RangeRequest_SortTarget, type RangeRequest, type RangeResponse } from "../../gen/etcdserverpb/rpc.js";
import type { KeyValue } from "../../gen/mvccpb/kv.js";
import type { ReadView } from "../../storage/mvcc/types.js";
import { header } from "./header.js";

const EMPTY = Buffer.alloc(0);

type Compare = (a: KeyValue, b: KeyValue) => number;

const byInt = (pick: (kv: KeyValue) => bigint): Compare => (a, b) => {
  const x = pick(a);
  const y = pick(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

const SORTERS: ReadonlyMap<RangeRequest_SortTarget, Compare> = new Map<RangeRequest_SortTarget, Compare>([
  [RangeRequest_SortTarget.KEY, (a, b) => Buffer.compare(a.key, b.key)],
  [RangeRequest_SortTarget.VERSION, byInt((kv) => kv.version)],
  [RangeRequest_SortTarget.CREATE, byInt((kv) => kv.createRevision)],
  [RangeRequest_SortTarget.MOD, byInt((kv) => kv.modRevision)],
  [RangeRequest_SortTarget.VALUE, (a, b) => Buffer.compare(a.value, b.value)],
]);

/**
 * Serves a RangeRequest from `view` (a read view, the store, or a write txn
 * inside a Txn). Throws `FutureRev` / `Compacted` for unreadable revisions.
 */
export function range(view: ReadView, req: RangeRequest): RangeResponse {
  const filtered = req.minModRevision !== 0n || req.maxModRevision !== 0n || req.minCreateRevision !== 0n || req.maxCreateRevision !== 0n;
  // Sorting and filtering need every match; otherwise fetch one extra to know about `more`.
  let limit = req.sortOrder !== RangeRequest_SortOrder.NONE || filtered ? 0n : req.limit;
  if (limit > 0n) limit += 1n;
  const rr = view.range(req.key, req.rangeEnd, { rev: req.revision, limit, countOnly: req.countOnly });
  let kvs = rr.kvs;
  if (filtered) kvs = kvs.filter((kv) => passesFilters(req, kv));

  let order = req.sortOrder;
  // The store returns key order; any other target without an order is sorted ascending.
  if (req.sortTarget !== RangeRequest_SortTarget.KEY && order === RangeRequest_SortOrder.NONE) order = RangeRequest_SortOrder.ASCEND;
  const cmp = SORTERS.get(req.sortTarget);
  // Unknown targets or orders leave the key order (etcd would crash on an unknown target).
  if (cmp !== undefined && order === RangeRequest_SortOrder.ASCEND) kvs = [...kvs].sort(cmp);
  else if (cmp !== undefined && order === RangeRequest_SortOrder.DESCEND) kvs = [...kvs].sort((a, b) => cmp(b, a));

  let more = false;
  if (req.limit > 0n && BigInt(kvs.length) > req.limit) {
    kvs = kvs.slice(0, Number(req.limit));
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { header: header(rr.rev), kvs, more, count: BigInt(rr.count) };
}

function passesFilters(req: RangeRequest, kv: KeyValue): boolean {
  if (req.maxModRevision !== 0n && kv.modRevision > req.maxModRevision) return false;
  if (req.minModRevision !== 0n && kv.modRevision < req.minModRevision) return false;
  if (req.maxCreateRevision !== 0n && kv.createRevision > req.maxCreateRevision) return false;
  if (req.minCreateRevision !== 0n && kv.createRevision < req.minCreateRevision) return false;
  return true;
}
