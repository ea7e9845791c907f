/**
 * etcd's KV request semantics over the mvcc store (Range, Put, DeleteRange,
 * Txn, Compact) and the API-edge request checks. See README.md.
 * @module
 */

export { range } from "./range.js";
export { put, putInTxn, deleteRange, deleteRangeInTxn } from "./put.js";
export { txn, isReadOnlyTxn, isSerializableTxn } from "./txn.js";
export { compaction } from "./compaction.js";
export { applyCompare, applyCompares } from "./compare.js";
export { header } from "./header.js";
export { NO_LEASES, type LeaseLookup } from "./leases.js";
export type { KV } from "./kv.js";
export { checkRangeRequest, checkPutRequest, checkDeleteRequest, checkTxnRequest, checkTxnOps, checkIntervals } from "./validate.js";
