/**
 * The public shapes of the multi-version store: views, transactions, hooks.
 *
 * Range bounds follow the wire convention of `RangeRequest`: an empty (or
 * absent) `end` is the single key `key`; `end = "\0"` is every key >= key;
 * otherwise the half-open range [key, end).
 * @module
 */

import type { Event, KeyValue } from "../../gen/mvccpb/kv.js";

/**
 * How the store tells the lessor about keys (the lessor itself comes in a
 * later issue). Called as etcd's mvcc calls its lessor: a put with a lease
 * attaches; overwriting a key detaches its old lease first (also when the
 * new put carries the same lease, which it then re-attaches); a delete
 * detaches; restore attaches every live key that has a lease.
 */
export interface LeaseHooks {
  attach(lease: bigint, key: Buffer): void;
  detach(lease: bigint, key: Buffer): void;
}

export interface RangeOptions {
  /** Read at this revision; <= 0 or absent reads the view's revision. */
  rev?: bigint;
  /** At most this many kvs (count still counts all); <= 0 or absent: no limit. */
  limit?: bigint | number;
  /** Only count; no kvs are read. */
  countOnly?: boolean;
}

export interface RangeResult {
  /** The matching key-values in key order, at most `limit`. */
  kvs: KeyValue[];
  /** Number of keys in the range at the read revision, regardless of limit. */
  count: number;
  /** The revision of the view (not the read revision): what `header.revision` reports. */
  rev: bigint;
}

export interface ReadView {
  /**
   * For a read view: the store revision when it was opened. For a write
   * txn: the revision it started from (its changes get `rev + 1`), as
   * etcd's `TxnWrite.Rev()`.
   */
  readonly rev: bigint;
  /** The compaction revision when the view was opened (-1 when never compacted): etcd's `FirstRev()`. */
  readonly compactRev: bigint;
  /** Throws `EtcdError` `FutureRev` / `Compacted` for an unreadable revision. */
  range(key: Uint8Array, end: Uint8Array | undefined, options?: RangeOptions): RangeResult;
}

export interface TxnEnd {
  /** The store revision after the txn (unchanged when the txn changed nothing). */
  rev: bigint;
  /** PUT and DELETE events in op order; empty when nothing changed. */
  events: Event[];
}

/**
 * A write transaction. Runs synchronously from `store.write()` to `end()`;
 * only one can be open at a time. Its reads see its own earlier writes.
 */
export interface TxnWrite extends ReadView {
  /** Puts key=value with `lease` (0 for none); returns the revision of the change. */
  put(key: Uint8Array, value: Uint8Array, lease: bigint): bigint;
  /**
   * Deletes the keys of the range that exist; returns how many and the
   * revision to report (the txn's new revision if this txn changed anything
   * so far, else the current one).
   */
  deleteRange(key: Uint8Array, end: Uint8Array | undefined): { deleted: number; rev: bigint };
  /** The changes so far (deletes have createRevision 0). */
  changes(): readonly KeyValue[];
  /** Finishes: assigns the revision if anything changed, writes to the batch, notifies the observer. */
  end(): TxnEnd;
}

/** Receives every committed change set, in revision order (the watchable store hooks in here). */
export type CommitObserver = (events: Event[], rev: bigint) => void;

/** Runs a task later, off the current call stack (default `setImmediate`). */
export type Scheduler = (task: () => void) => void;

export interface HashKVResult {
  /** CRC-32C of the key bucket up to `hashRevision`, as etcd's HashByRev. */
  hash: number;
  /** The compaction revision when hashed (-1 when never compacted). */
  compactRevision: bigint;
  /** The revision hashed up to. */
  hashRevision: bigint;
  /** The store's current revision (the response header's revision). */
  currentRevision: bigint;
}
