/**
 * The multi-version store: revisions, key index, transactions, compaction, hashes. See README.md.
 * @module
 */

export { KVStore, type KVStoreOptions, type CompactResult } from "./kvstore.js";
export type {
  ReadView,
  TxnWrite,
  TxnEnd,
  RangeOptions,
  RangeResult,
  LeaseHooks,
  CommitObserver,
  Scheduler,
  HashKVResult,
} from "./types.js";
export { type Revision, revToBytes, bytesToRev, isTombstoneKey, compareRev } from "./revision.js";
export { encodeKeyValue, decodeKeyValue } from "./kv-codec.js";
