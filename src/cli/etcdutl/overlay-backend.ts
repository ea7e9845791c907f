/**
 * A {@link Backend} that reads a database file and never writes it: reads
 * go to the file (a bbolt file through its reader, or an LMDB backend),
 * writes stay in memory on top of it. `hashkv` opens our mvcc store over
 * it, so the store may resume a compaction the file left scheduled (as
 * etcd's store does on open) while the file stays as it was and memory
 * holds only those writes, not the database.
 * @module
 */
import type { BoltFile } from "../../storage/bbolt/index.js";
import { DEFAULT_HASH_IGNORES, type Backend, type BackendReadView, type BackendReader, type BackendStats, type Bucket, type Entry, type IgnoreKey, type KeyRange } from "../../storage/backend/index.js";
import { hashBuckets } from "../../storage/backend/hash.js";
import { WriteBuffer, collectRange, lookupLayers, mergeWalk, overlayInRange } from "../../storage/backend/write-buffer.js";

/** What the overlay reads from: ordered walks and point reads of the file's buckets. */
export type StoredBuckets = Pick<BackendReader, "get" | "forEach">;

export class OverlayBackend implements Backend {
  readonly batchLimit = Number.MAX_SAFE_INTEGER;
  readonly #base: StoredBuckets;
  readonly #writes = new WriteBuffer();

  constructor(base: StoredBuckets) {
    this.#base = base;
  }

  get(bucket: Bucket, key: Uint8Array): Buffer | undefined {
    const written = lookupLayers([this.#writes], bucket, key);
    if (written !== undefined) return written ?? undefined;
    return this.#base.get(bucket, key);
  }

  view<T>(bucket: Bucket, key: Uint8Array, read: (value: Buffer) => T): T | undefined {
    const value = this.get(bucket, key);
    return value === undefined ? undefined : read(value);
  }

  forEach(bucket: Bucket, visit: (key: Buffer, value: Buffer) => boolean | void, range?: KeyRange): void {
    mergeWalk(overlayInRange([this.#writes], bucket, range), (v) => this.#base.forEach(bucket, v, range), visit);
  }

  range(bucket: Bucket, range?: KeyRange, limit = 0): Entry[] {
    return collectRange(this, bucket, range, limit);
  }

  put(bucket: Bucket, key: Uint8Array, value: Uint8Array): void {
    this.#writes.put(bucket, key, value);
  }

  delete(bucket: Bucket, key: Uint8Array): void {
    this.#writes.delete(bucket, key);
  }

  addPreCommitHook(): () => void {
    return () => undefined;
  }

  pendingOps(): number {
    return 0;
  }

  /** The writes stay in memory: there is nowhere they may go. */
  commit(): Promise<void> {
    return Promise.resolve();
  }

  commitIfFull(): void {}

  hash(ignores: readonly IgnoreKey[] = DEFAULT_HASH_IGNORES): number {
    return hashBuckets(this, ignores);
  }

  size(): number {
    return 0;
  }

  sizeInUse(): number {
    return 0;
  }

  defrag(): Promise<void> {
    return Promise.reject(new Error("etcdutl: the file is open read-only"));
  }

  readView(): Promise<BackendReadView> {
    return Promise.reject(new Error("etcdutl: the file is open read-only"));
  }

  stats(): BackendStats {
    return { commits: 0, pendingOps: 0, inFlightBatches: 0 };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A bbolt file's buckets as {@link StoredBuckets}: walks read pages as they go; a point read scans its bucket (only `meta`'s few keys are read so). */
export function boltBuckets(file: BoltFile): StoredBuckets {
  const walk = (bucket: Bucket, visit: (key: Buffer, value: Buffer) => boolean | void, range?: KeyRange): void => {
    const contents = file.bucket(bucket);
    if (contents === undefined) return;
    for (const [k, v] of contents.entries()) {
      if (range?.start !== undefined && Buffer.compare(k, range.start) < 0) continue;
      if (range?.end !== undefined && Buffer.compare(k, range.end) >= 0) return;
      // The reader may reuse its buffers: the visitor gets its own.
      if (visit(Buffer.from(k), Buffer.from(v)) === false) return;
    }
  };
  return {
    forEach: walk,
    get(bucket, key) {
      let found: Buffer | undefined;
      walk(bucket, (k, v) => {
        if (!k.equals(key)) return true;
        found = v;
        return false;
      });
      return found;
    },
  };
}
