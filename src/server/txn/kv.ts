/**
 * The narrow view of the store the request semantics need (the mvcc
 * `KVStore` satisfies it): read views, the write txn, compaction.
 * @module
 */

import type { CompactResult } from "../../storage/mvcc/kvstore.js";
import type { ReadView, TxnWrite } from "../../storage/mvcc/types.js";

export interface KV {
  /** The current revision. */
  readonly rev: bigint;
  read(): ReadView;
  write(): TxnWrite;
  compact(rev: bigint): CompactResult;
}
