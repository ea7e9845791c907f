/**
 * The KV requests the lock and election services make, built as
 * clientv3/concurrency builds them (so the log holds the same requests as
 * with etcd's in-process client), and the synchronous local reads the
 * waiters use to check state right before they subscribe.
 * @module
 */
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  type Compare,
  type RangeResponse,
  type RequestOp,
  type TxnRequest,
} from "../../gen/etcdserverpb/rpc.js";
import type { KeyValue } from "../../gen/mvccpb/kv.js";
import { prefixEnd } from "../../pkg/bytes.js";
import type { KvApi } from "../api.js";
import * as ops from "../txn/index.js";
import type { KVStore } from "../../storage/mvcc/index.js";

/** What the services need of the KV paths (linearizable, through the log). */
export type ConcurrencyKv = Pick<KvApi, "range" | "txn" | "deleteRange">;

/** Go's `%x` of an int64 lease id: lower-case hex, a minus sign for negatives. */
export function leaseHex(lease: bigint): string {
  return lease < 0n ? `-${(-lease).toString(16)}` : lease.toString(16);
}

/** `<prefix><lease hex>`: the key a session holds under a lock or election prefix. */
export function sessionKey(prefix: Buffer, lease: bigint): Buffer {
  return Buffer.concat([prefix, Buffer.from(leaseHex(lease), "latin1")]);
}

export function rangeOf(partial: Partial<RangeRequest>): RangeRequest {
  return RangeRequest.fromPartial(partial);
}

/** The oldest key under `prefix` (clientv3's WithFirstCreate). */
export function firstCreated(prefix: Buffer): RangeRequest {
  return rangeOf({ key: prefix, rangeEnd: prefixEnd(prefix), sortTarget: RangeRequest_SortTarget.CREATE, sortOrder: RangeRequest_SortOrder.ASCEND, limit: 1n });
}

/** The newest key under `prefix` created at or before `maxCreateRev` (WithLastCreate + WithMaxCreateRev). */
export function lastCreatedBefore(prefix: Buffer, maxCreateRev: bigint): RangeRequest {
  return rangeOf({
    key: prefix,
    rangeEnd: prefixEnd(prefix),
    sortTarget: RangeRequest_SortTarget.CREATE,
    sortOrder: RangeRequest_SortOrder.DESCEND,
    limit: 1n,
    maxCreateRevision: maxCreateRev,
  });
}

export function createRevisionIs(key: Buffer, rev: bigint): Compare {
  return { result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.CREATE, key, targetUnion: { $case: "createRevision", value: rev }, rangeEnd: Buffer.alloc(0) };
}

export function putOp(key: Buffer, value: Buffer, lease: bigint): RequestOp {
  return { request: { $case: "requestPut", value: { key, value, lease, prevKv: false, ignoreValue: false, ignoreLease: false } } };
}

export function rangeOp(req: RangeRequest): RequestOp {
  return { request: { $case: "requestRange", value: req } };
}

export function deleteOp(key: Buffer): RequestOp {
  return { request: { $case: "requestDeleteRange", value: { key, rangeEnd: Buffer.alloc(0), prevKv: false } } };
}

export function txnOf(compare: Compare[], success: RequestOp[], failure: RequestOp[]): TxnRequest {
  return { compare, success, failure };
}

/** The range response of op `i` of a txn response. */
export function rangeAt(responses: readonly { response?: { $case: string; value: unknown } | undefined }[], i: number): RangeResponse {
  const r = responses[i]?.response;
  if (r?.$case !== "responseRange") throw new Error(`concurrency: txn response ${i} is not a range`);
  return r.value as RangeResponse;
}

/** Synchronous reads of this member's store, at its current revision. */
export class LocalView {
  readonly #store: KVStore;

  constructor(store: KVStore) {
    this.#store = store;
  }

  get rev(): bigint {
    return this.#store.rev;
  }

  /** The oldest key under `prefix` now. */
  firstCreated(prefix: Buffer): KeyValue | undefined {
    return ops.range(this.#store, firstCreated(prefix)).kvs[0];
  }
}
