/**
 * Helpers for the txn tests: request builders with etcd's defaults and a
 * lease table. Not used by production code.
 * @module
 */

import {
  Compare,
  Compare_CompareResult,
  Compare_CompareTarget,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from "../../gen/etcdserverpb/rpc.js";
import type { KVStore } from "../../storage/mvcc/kvstore.js";
import type { LeaseLookup } from "./leases.js";
import { put } from "./put.js";

export const b = (s: string): Buffer => Buffer.from(s, "latin1");
export const FROM_KEY = Buffer.from([0]);

export function rangeReq(key: string, fields: Partial<RangeRequest> = {}): RangeRequest {
  return RangeRequest.fromPartial({ key: b(key), ...fields });
}

export function putReq(key: string, value: string, fields: Partial<PutRequest> = {}): PutRequest {
  return PutRequest.fromPartial({ key: b(key), value: b(value), ...fields });
}

export function delReq(key: string, fields: Partial<DeleteRangeRequest> = {}): DeleteRangeRequest {
  return DeleteRangeRequest.fromPartial({ key: b(key), ...fields });
}

export const opRange = (r: RangeRequest): RequestOp => ({ request: { $case: "requestRange", value: r } });
export const opPut = (r: PutRequest): RequestOp => ({ request: { $case: "requestPut", value: r } });
export const opDel = (r: DeleteRangeRequest): RequestOp => ({ request: { $case: "requestDeleteRange", value: r } });
export const opTxn = (r: TxnRequest): RequestOp => ({ request: { $case: "requestTxn", value: r } });

export function txnReq(compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): TxnRequest {
  return { compare, success, failure };
}

type Target = "version" | "createRevision" | "modRevision" | "value" | "lease";
const TARGETS: Record<Target, Compare_CompareTarget> = {
  version: Compare_CompareTarget.VERSION,
  createRevision: Compare_CompareTarget.CREATE,
  modRevision: Compare_CompareTarget.MOD,
  value: Compare_CompareTarget.VALUE,
  lease: Compare_CompareTarget.LEASE,
};
const RESULTS = {
  "=": Compare_CompareResult.EQUAL,
  "!=": Compare_CompareResult.NOT_EQUAL,
  ">": Compare_CompareResult.GREATER,
  "<": Compare_CompareResult.LESS,
} as const;

/** cmp("k", "version", "=", 2n) — the compare `version("k") = 2`; rangeEnd optional. */
export function cmp(key: string, target: Target, result: keyof typeof RESULTS, operand: bigint | string, rangeEnd?: Buffer): Compare {
  const targetUnion: Compare["targetUnion"] =
    target === "value"
      ? { $case: "value", value: b(String(operand)) }
      : ({ $case: target, value: BigInt(operand) } as Compare["targetUnion"]);
  return { result: RESULTS[result], target: TARGETS[target], key: b(key), targetUnion, rangeEnd: rangeEnd ?? Buffer.alloc(0) };
}

/** A lease table: the leases that exist. */
export function leasesOf(...ids: bigint[]): LeaseLookup {
  const set = new Set(ids);
  return { exists: (id) => set.has(id) };
}

/** Puts key=value pairs one request each (one revision each). */
export function seed(kv: KVStore, pairs: [string, string, bigint?][]): void {
  for (const [k, v, lease] of pairs) put(kv, putReq(k, v, { lease: lease ?? 0n }), leasesOf(lease ?? 0n));
}
