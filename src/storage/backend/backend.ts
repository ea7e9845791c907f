/**
 * The backend contract: an ordered key/value store split into buckets, with
 * one batched write transaction. Modelled on etcd's `backend.Backend`, but
 * single-threaded: there are no locks, every call runs to completion.
 *
 * - Writes (`put`, `delete`) go into the pending batch. They are visible to
 *   every read at once (read-your-writes, like etcd's txReadBuffer).
 * - `commit()` seals the batch and writes it to the engine as ONE atomic
 *   transaction. A reader never sees part of a batch: until the engine has
 *   the whole batch, reads are served from the batch itself.
 * - The backend owns no timer. The server calls `commit()` every
 *   `--backend-batch-interval`, and the consistent index calls
 *   `commitIfFull()` at the end of each applied entry so that a batch that
 *   reached `--backend-batch-limit` is committed at an entry boundary.
 * @module
 */

import type { BucketSource } from "../bbolt/source.js";
import type { Bucket, IgnoreKey } from "./schema.js";

/**
 * Longest key a bucket accepts (LMDB's limit as built into lmdb-js). Keys of
 * the `key` bucket are 17-18 byte revisions; other owners (auth user and
 * role names…) must check their own keys against this before writing.
 */
export const MAX_KEY_BYTES = 1978;

export interface Entry {
  key: Buffer;
  value: Buffer;
}

/** A key range inside one bucket: `start <= key < end`; either bound may be left out. */
export interface KeyRange {
  start?: Uint8Array | undefined;
  end?: Uint8Array | undefined;
}

/** Reads. Returned buffers belong to the caller but must not be modified when they come from the pending batch. */
export interface BackendReader {
  /** The value of `key`, or undefined. Sees the pending batch. */
  get(bucket: Bucket, key: Uint8Array): Buffer | undefined;
  /**
   * Reads `key` without copying: `read` gets a buffer that is valid only
   * during the call (it may be the engine's scratch buffer) and must not
   * keep or modify it. Returns what `read` returns, or undefined when the
   * key is absent. The hot read path of mvcc uses this.
   */
  view<T>(bucket: Bucket, key: Uint8Array, read: (value: Buffer) => T): T | undefined;
  /**
   * Visits entries of `range` in ascending unsigned-byte key order, merged
   * with the pending batch. Stops when `visit` returns false. Writes made
   * from inside `visit` are not seen by the running walk.
   */
  forEach(bucket: Bucket, visit: (key: Buffer, value: Buffer) => boolean | void, range?: KeyRange): void;
  /** Up to `limit` entries of `range` in key order (all when limit is 0 or absent). */
  range(bucket: Bucket, range?: KeyRange, limit?: number): Entry[];
}

export interface BackendWriter {
  /**
   * Adds a put to the pending batch. The backend keeps `key` and `value`
   * by reference until the batch is in the engine: do not modify them.
   * Throws a RangeError at once for an empty key or one longer than
   * {@link MAX_KEY_BYTES} (never later, halfway through a commit).
   */
  put(bucket: Bucket, key: Uint8Array, value: Uint8Array): void;
  /** Adds a delete to the pending batch (deleting an absent key is fine). */
  delete(bucket: Bucket, key: Uint8Array): void;
}

export interface BackendStats {
  /** Commits handed to the engine since open. */
  commits: number;
  /** Writes waiting in the pending batch. */
  pendingOps: number;
  /** Sealed batches not yet visible in the engine. */
  inFlightBatches: number;
}

/**
 * Called right before a batch is sealed (by `commit()` or `commitIfFull()`),
 * to add writes that must ride with it — the consistent index uses this
 * to write its value once per batch instead of once per entry (etcd 3.5's
 * `OnPreCommitUnsafe`). A hook must only write; it must not commit.
 */
export type PreCommitHook = (writer: BackendWriter) => void;

export interface Backend extends BackendReader, BackendWriter {
  /** Registers a hook run before every seal; returns a function that removes it. */
  addPreCommitHook(hook: PreCommitHook): () => void;
  /** Pending ops that make `commitIfFull()` commit (etcd `--backend-batch-limit`). */
  readonly batchLimit: number;
  /** Number of puts/deletes in the pending batch. */
  pendingOps(): number;
  /**
   * Seals the pending batch and hands it to the engine as one transaction.
   * Resolves once that batch (and every batch before it) is durable on disk;
   * only then may the server drop WAL entries at or below the consistent
   * index stored in it. Calling it with an empty batch resolves when all
   * earlier batches are durable. Rejects if the engine failed; after an
   * engine failure every later commit rejects too (the server must stop).
   */
  commit(): Promise<void>;
  /**
   * Commits when the pending batch holds `batchLimit` ops or more. Call only
   * at an apply boundary (the consistent index does). The commit runs in the
   * background; a failure is reported by the next `commit()`.
   */
  commitIfFull(): void;
  /**
   * CRC-32C over every bucket in name order: the bucket name, then each
   * key and value not in `ignores` — etcd's backend Hash.
   */
  hash(ignores?: readonly IgnoreKey[]): number;
  /** Bytes the data file occupies on disk (Status.db_size). */
  size(): number;
  /** Bytes of the pages actually in use (Status.db_size_in_use). */
  sizeInUse(): number;
  /** Rewrites the file without free pages (compacting copy and swap); all data kept. */
  defrag(): Promise<void>;
  /** Commits the pending batch, then opens a {@link BackendReadView} of everything committed. */
  readView(): Promise<BackendReadView>;
  stats(): BackendStats;
  /** Commits what is pending, waits until durable, and releases the engine. */
  close(): Promise<void>;
}

/**
 * What raft snapshots need of a backend kept in a file: a consistent copy
 * of it to send, values read back from such a copy (its metadata), and
 * installing a received copy in its place. The copy's file format is the
 * engine's business; callers only pass paths around.
 */
export interface SnapshotFiles {
  /** Writes a consistent, compacted copy of everything committed (pending writes are committed first) to `path`. */
  copyTo(path: string): Promise<void>;
  /** The values of `keys` in `bucket` of the copy at `path` (undefined where absent); the copy is not kept open. */
  readFromCopy(path: string, bucket: Bucket, keys: readonly Uint8Array[]): (Buffer | undefined)[];
  /** Replaces the whole content with the copy at `path` (which is moved into place). */
  replaceWith(path: string): Promise<void>;
  /** Deletes a copy and whatever the engine keeps beside it. */
  removeCopy(path: string): void;
}

/**
 * A consistent, read-only view of every bucket as of the moment it was
 * opened (committed data only, no pending batch): what Maintenance.Snapshot
 * streams. Commits, reads and defrag go on while it is open; close it when
 * done (an LMDB view holds a read transaction, which keeps old pages alive).
 */
export interface BackendReadView extends BucketSource {
  close(): void;
}
