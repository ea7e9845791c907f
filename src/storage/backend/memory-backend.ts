/**
 * An in-memory {@link Backend} for tests: the same batching and visibility
 * rules as the LMDB one, without a file. `commit()` moves the batch into the
 * committed state at once. {@link MemoryBackend.crash} models a process
 * kill: it returns a backend holding only what was committed.
 * @module
 */

import { OrderedMap } from "../btree/ordered-map.js";
import type { Backend, BackendReadView, BackendStats, Entry, KeyRange, PreCommitHook } from "./backend.js";
import { CopiedReadView } from "./copied-read-view.js";
import { hashBuckets } from "./hash.js";
import { BUCKETS, DEFAULT_HASH_IGNORES, type Bucket, type IgnoreKey } from "./schema.js";
import { WriteBuffer, collectRange, keyString, lookupLayers, mergeWalk, overlayInRange } from "./write-buffer.js";

export interface MemoryBackendOptions {
  /** etcd `--backend-batch-limit`; default 10000. */
  batchLimit?: number;
}

type Committed = Map<Bucket, OrderedMap<Entry>>;

/** Per-entry bookkeeping overhead counted by `size()`, roughly a B+tree leaf slot. */
const ENTRY_OVERHEAD_BYTES = 16;

export class MemoryBackend implements Backend {
  readonly batchLimit: number;
  #committed: Committed;
  #pending = new WriteBuffer();
  #commits = 0;
  #closed = false;
  readonly #hooks: PreCommitHook[] = [];

  constructor(options: MemoryBackendOptions = {}, committed?: Committed) {
    this.batchLimit = options.batchLimit ?? 10_000;
    this.#committed = committed ?? new Map(BUCKETS.map((b) => [b, new OrderedMap<Entry>()]));
  }

  get(bucket: Bucket, key: Uint8Array): Buffer | undefined {
    this.#checkOpen();
    const pending = lookupLayers([this.#pending], bucket, key);
    if (pending !== undefined) return pending ?? undefined;
    return this.#tree(bucket).get(keyString(key))?.value;
  }

  view<T>(bucket: Bucket, key: Uint8Array, read: (value: Buffer) => T): T | undefined {
    const value = this.get(bucket, key);
    return value === undefined ? undefined : read(value);
  }

  forEach(bucket: Bucket, visit: (key: Buffer, value: Buffer) => boolean | void, range?: KeyRange): void {
    this.#checkOpen();
    const overlay = overlayInRange([this.#pending], bucket, range);
    const start = range?.start === undefined ? "" : keyString(range.start);
    const end = range?.end === undefined ? undefined : keyString(range.end);
    mergeWalk(
      overlay,
      (v) => this.#tree(bucket).forEachInRange(start, end, (_k, e) => v(e.key, e.value)),
      visit,
    );
  }

  range(bucket: Bucket, range?: KeyRange, limit = 0): Entry[] {
    return collectRange(this, bucket, range, limit);
  }

  put(bucket: Bucket, key: Uint8Array, value: Uint8Array): void {
    this.#checkOpen();
    this.#pending.put(bucket, key, value);
  }

  delete(bucket: Bucket, key: Uint8Array): void {
    this.#checkOpen();
    this.#pending.delete(bucket, key);
  }

  pendingOps(): number {
    return this.#pending.ops;
  }

  addPreCommitHook(hook: PreCommitHook): () => void {
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  commit(): Promise<void> {
    this.#checkOpen();
    this.#applyPending();
    return Promise.resolve();
  }

  commitIfFull(): void {
    if (this.#pending.ops >= this.batchLimit && !this.#closed) this.#applyPending();
  }

  hash(ignores: readonly IgnoreKey[] = DEFAULT_HASH_IGNORES): number {
    this.#checkOpen();
    return hashBuckets(this, ignores);
  }

  size(): number {
    let bytes = 0;
    for (const tree of this.#committed.values()) {
      tree.forEach((_k, e) => {
        bytes += e.key.length + e.value.length + ENTRY_OVERHEAD_BYTES;
      });
    }
    return bytes;
  }

  sizeInUse(): number {
    return this.size();
  }

  defrag(): Promise<void> {
    this.#checkOpen();
    return Promise.resolve();
  }

  stats(): BackendStats {
    return { commits: this.#commits, pendingOps: this.#pending.ops, inFlightBatches: 0 };
  }

  /** Commits the pending batch, then copies the list of committed entries (not their bytes): later writes do not reach the view. */
  async readView(): Promise<BackendReadView> {
    await this.commit();
    return new CopiedReadView(
      BUCKETS.map((bucket) => {
        const entries: [Buffer, Buffer][] = [];
        this.#tree(bucket).forEach((_k, e) => {
          entries.push([e.key, e.value]);
        });
        return [bucket, entries] as const;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#applyPending();
    this.#closed = true;
  }

  /**
   * A process kill: returns a new backend with only the committed data
   * (pending writes are lost) and closes this one.
   */
  crash(): MemoryBackend {
    const copy: Committed = new Map();
    for (const [bucket, tree] of this.#committed) {
      const t = new OrderedMap<Entry>();
      tree.forEach((k, e) => {
        t.set(k, { key: Buffer.from(e.key), value: Buffer.from(e.value) });
      });
      copy.set(bucket, t);
    }
    this.#closed = true;
    return new MemoryBackend({ batchLimit: this.batchLimit }, copy);
  }

  #applyPending(): void {
    for (const hook of this.#hooks) hook(this.#pending);
    if (this.#pending.ops === 0) return;
    for (const [bucket, w] of this.#pending.all()) {
      const tree = this.#tree(bucket);
      const k = keyString(w.key);
      if (w.value === null) tree.delete(k);
      else tree.set(k, { key: w.key, value: w.value });
    }
    this.#pending = new WriteBuffer();
    this.#commits++;
  }

  #tree(bucket: Bucket): OrderedMap<Entry> {
    return this.#committed.get(bucket)!;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error("backend: closed");
  }
}
