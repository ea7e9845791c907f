/**
 * The {@link Backend} on LMDB (the `lmdb` package): one environment file at
 * `<data-dir>/member/snap/db` (etcd's layout, `noSubdir`), one LMDB named
 * database per bucket, binary keys and values.
 *
 * Writes: the pending batch lives in a {@link WriteBuffer}. `commit()` hands
 * the whole batch to lmdb-js as asynchronous puts issued in one synchronous
 * loop; lmdb-js writes everything queued in one event turn as a single LMDB
 * transaction on its writer thread, so the main thread only pays for
 * queueing (well under a microsecond per write, see README). Until that
 * transaction is visible, the sealed batch stays in an in-flight layer that
 * reads consult, so readers see either all of a batch or none of it.
 * Durability: lmdb-js commits, then syncs (overlappingSync); `commit()`
 * resolves after the sync.
 * @module
 */

import { mkdirSync, renameSync, rmSync, statSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { SystemClock, type Clock } from "../../pkg/clock.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import type { Backend, BackendReadView, BackendStats, Entry, KeyRange, PreCommitHook, SnapshotFiles } from "./backend.js";
import { hashBuckets } from "./hash.js";
import { LmdbReadView } from "./lmdb-read-view.js";
import { BUCKETS, DEFAULT_HASH_IGNORES, type Bucket, type IgnoreKey } from "./schema.js";
import { WriteBuffer, lookupLayers, mergeWalk, overlayInRange, toBuffer } from "./write-buffer.js";

export interface LmdbBackendOptions {
  /** The data file; see {@link backendPath}. */
  path: string;
  /** etcd `--backend-batch-limit`; default 10000. */
  batchLimit?: number;
  /** Address space reserved for the map (not disk space); default 10 GiB, etcd's initial mmap size. */
  mapSize?: number;
  logger?: Logger;
  /** Told how long each batch that carried writes took from sealing to durable (etcd_disk_backend_commit_duration_seconds). */
  onCommitted?: (seconds: number) => void;
  /** Where those durations are read; default the process clock. */
  clock?: Pick<Clock, "nowMs">;
}

/** etcd's data file location inside a data dir. */
export function backendPath(dataDir: string): string {
  return join(dataDir, "member", "snap", "db");
}

const DEFAULT_MAP_SIZE = 10 * 1024 * 1024 * 1024;

type Db = Database<Buffer, Buffer>;

/** lmdb-js returns one promise per transaction; with separateFlushed it carries the sync promise. */
type CommitPromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

interface Engine {
  root: RootDatabase<Buffer, Buffer>;
  dbs: Map<Bucket, Db>;
}

function openEngine(path: string, mapSize: number): Engine {
  mkdirSync(dirname(path), { recursive: true });
  const root = open<Buffer, Buffer>({
    path,
    noSubdir: true,
    maxDbs: BUCKETS.length + 2,
    mapSize,
    // Resolve write promises at commit (visible) and expose the sync separately.
    separateFlushed: true,
    keyEncoding: "binary",
    encoding: "binary",
  });
  const dbs = new Map<Bucket, Db>();
  for (const bucket of BUCKETS) {
    dbs.set(bucket, root.openDB<Buffer, Buffer>(bucket, { keyEncoding: "binary", encoding: "binary" }));
  }
  return { root, dbs };
}

export class LmdbBackend implements Backend, SnapshotFiles {
  readonly batchLimit: number;
  readonly path: string;
  readonly #mapSize: number;
  readonly #log: Logger;
  readonly #onCommitted: ((seconds: number) => void) | undefined;
  readonly #clock: Pick<Clock, "nowMs">;
  #engine: Engine;
  #pending = new WriteBuffer();
  /** Sealed batches handed to lmdb-js and not yet visible there, oldest first. */
  readonly #inFlight: WriteBuffer[] = [];
  /** Resolves when the last sealed batch is durable. */
  #lastDurable: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  /** Set while defrag swaps files: commits wait for it. */
  #defrag: Promise<void> | undefined;
  #commits = 0;
  /** The data file's size, re-read when a commit lands (the only time it grows) and after defrag. */
  #fileSize = 0;
  #closed = false;
  readonly #hooks: PreCommitHook[] = [];

  constructor(options: LmdbBackendOptions) {
    this.path = options.path;
    this.batchLimit = options.batchLimit ?? 10_000;
    this.#mapSize = options.mapSize ?? DEFAULT_MAP_SIZE;
    this.#log = options.logger ?? nullLogger;
    this.#onCommitted = options.onCommitted;
    this.#clock = options.clock ?? new SystemClock();
    this.#engine = openEngine(this.path, this.#mapSize);
    this.#refreshSize();
  }

  get(bucket: Bucket, key: Uint8Array): Buffer | undefined {
    const layered = this.#layers();
    const pending = lookupLayers(layered, bucket, key);
    if (pending !== undefined) return pending ?? undefined;
    return this.#db(bucket).getBinary(toBuffer(key));
  }

  view<T>(bucket: Bucket, key: Uint8Array, read: (value: Buffer) => T): T | undefined {
    const layered = this.#layers();
    const pending = lookupLayers(layered, bucket, key);
    if (pending === null) return undefined;
    if (pending !== undefined) return read(pending);
    // lmdb-js's scratch buffer: valid until the next read, which is all `read` may assume.
    const value = this.#db(bucket).getBinaryFast(toBuffer(key));
    return value === undefined ? undefined : read(value);
  }

  forEach(bucket: Bucket, visit: (key: Buffer, value: Buffer) => boolean | void, range?: KeyRange): void {
    const overlay = overlayInRange(this.#layers(), bucket, range);
    const db = this.#db(bucket);
    const options: { start?: Buffer; end?: Buffer } = {};
    if (range?.start !== undefined) options.start = toBuffer(range.start);
    if (range?.end !== undefined) options.end = toBuffer(range.end);
    mergeWalk(
      overlay,
      (v) => {
        for (const { key, value } of db.getRange(options)) {
          if (v(key, value) === false) return;
        }
      },
      visit,
    );
  }

  range(bucket: Bucket, range?: KeyRange, limit = 0): Entry[] {
    const out: Entry[] = [];
    this.forEach(
      bucket,
      (key, value) => {
        out.push({ key, value });
        return limit <= 0 || out.length < limit;
      },
      range,
    );
    return out;
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
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error("backend: closed"));
    if (this.#defrag !== undefined) return this.#defrag.then(() => this.commit());
    this.#seal();
    return this.#lastDurable;
  }

  commitIfFull(): void {
    if (this.#pending.ops < this.batchLimit || this.#defrag !== undefined) return;
    if (this.#failure !== undefined || this.#closed) return;
    this.#seal();
  }

  hash(ignores: readonly IgnoreKey[] = DEFAULT_HASH_IGNORES): number {
    return hashBuckets(this, ignores);
  }

  /** Cheap enough for a per-request quota check: no file system call. */
  size(): number {
    return this.#fileSize;
  }

  #refreshSize(): void {
    this.#fileSize = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  /** Pages reachable from any database (tree pages of every bucket, the catalog and the free list) plus the two meta pages. */
  sizeInUse(): number {
    let pages = 2;
    const count = (s: StatLike): void => {
      pages += (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0);
    };
    let pageSize = 4096;
    for (const db of this.#engine.dbs.values()) {
      const s = db.getStats() as StatLike & { pageSize?: number };
      pageSize = s.pageSize ?? pageSize;
      count(s);
    }
    const rootStats = this.#engine.root.getStats() as { root?: StatLike; free?: StatLike };
    if (rootStats.root !== undefined) count(rootStats.root);
    if (rootStats.free !== undefined) count(rootStats.free);
    return Math.min(pages * pageSize, this.size());
  }

  /**
   * Writes a consistent, compacted copy of everything committed so far to
   * `path` — the database a snapshot sends to a follower. Pending writes are
   * committed first, so the copy holds at least what was applied when called.
   */
  async copyTo(path: string): Promise<void> {
    await this.commit();
    this.removeCopy(path);
    await this.#engine.root.backup(path, true);
  }

  /** Opens the copy at `path` read-only just long enough to read `keys` of `bucket`. */
  readFromCopy(path: string, bucket: Bucket, keys: readonly Uint8Array[]): (Buffer | undefined)[] {
    const root = open<Buffer, Buffer>({ path, noSubdir: true, readOnly: true, keyEncoding: "binary", encoding: "binary", maxDbs: BUCKETS.length + 2 });
    try {
      const db = root.openDB<Buffer, Buffer>(bucket, { keyEncoding: "binary", encoding: "binary" });
      return keys.map((key) => {
        const value = db.getBinary(toBuffer(key));
        return value === undefined ? undefined : Buffer.from(value);
      });
    } finally {
      void root.close();
    }
  }

  /** A copy is its data file plus the lock file LMDB keeps beside it. */
  removeCopy(path: string): void {
    rmSync(path, { force: true });
    rmSync(`${path}-lock`, { force: true });
  }

  /**
   * Replaces the whole content with the database file at `path` (a snapshot
   * from the leader): pending writes are committed first (they are about to
   * be superseded anyway), every reader switches to the new file at once, and
   * the file is moved into this backend's place.
   */
  async replaceWith(path: string): Promise<void> {
    await this.commit();
    let release!: () => void;
    this.#defrag = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const old = this.#engine;
      this.#engine = openEngine(path, this.#mapSize);
      await old.root.close();
      renameSync(path, this.path);
      if (existsSync(`${path}-lock`)) renameSync(`${path}-lock`, `${this.path}-lock`);
      this.#refreshSize();
      this.#log.info({ path: this.path, size: this.size() }, "replaced backend with a snapshot");
    } finally {
      this.#defrag = undefined;
      release();
    }
  }

  async defrag(): Promise<void> {
    await this.commit();
    let release!: () => void;
    this.#defrag = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = this.size();
    const tmp = `${this.path}.defrag`;
    try {
      rmSync(tmp, { force: true });
      rmSync(`${tmp}-lock`, { force: true });
      // A compacting copy of the committed state; reads keep using the old file meanwhile.
      await this.#engine.root.backup(tmp, true);
      // Switch every reader to the copy at once, then retire the old file.
      const old = this.#engine;
      this.#engine = openEngine(tmp, this.#mapSize);
      await old.root.close();
      renameSync(tmp, this.path);
      if (existsSync(`${tmp}-lock`)) renameSync(`${tmp}-lock`, `${this.path}-lock`);
      this.#refreshSize();
      this.#log.info({ path: this.path, sizeBefore: before, sizeAfter: this.size() }, "defragmented backend");
    } finally {
      this.#defrag = undefined;
      release();
    }
  }

  stats(): BackendStats {
    return { commits: this.#commits, pendingOps: this.#pending.ops, inFlightBatches: this.#inFlight.length };
  }

  /**
   * Commits the pending batch, then opens one LMDB read transaction over
   * every bucket (see {@link LmdbReadView}). Writes, commits and reads go on
   * while it is open. A view that is never closed blocks nothing, but keeps
   * the pages it sees from being reused until the backend closes: callers
   * close it in a `finally` (the snapshot stream does).
   */
  async readView(): Promise<BackendReadView> {
    await this.commit();
    this.#checkOpen();
    const engine = this.#engine;
    const txn = engine.root.useReadTransaction();
    return new LmdbReadView(txn, engine.dbs, () => this.#engine === engine && !this.#closed);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.commit();
    } finally {
      this.#closed = true;
      await this.#engine.root.close();
    }
  }

  /** Hands the pending batch to lmdb-js as one transaction. */
  #seal(): void {
    const batch = this.#pending;
    for (const hook of this.#hooks) hook(batch);
    if (batch.ops === 0) return;
    this.#pending = new WriteBuffer();
    this.#inFlight.push(batch);
    this.#commits++;
    const sealedAt = this.#clock.nowMs();
    let txn: CommitPromise | undefined;
    // All writes queued in this synchronous loop land in the same LMDB transaction.
    for (const [bucket, w] of batch.all()) {
      const db = this.#db(bucket);
      txn = (w.value === null ? db.remove(w.key) : db.put(w.key, w.value)) as CommitPromise;
    }
    const committed = txn!;
    const visible = committed.then(
      () => {
        const i = this.#inFlight.indexOf(batch);
        if (i >= 0) this.#inFlight.splice(i, 1);
        this.#refreshSize();
      },
      (err: unknown) => this.#fail(err),
    );
    // Durable = committed, then synced. A failed commit rejects here at once instead of
    // waiting on a sync that will never come.
    const durable = committed.then(() => committed.flushed);
    const onCommitted = this.#onCommitted;
    if (onCommitted !== undefined) durable.then(() => onCommitted((this.#clock.nowMs() - sealedAt) / 1000), () => undefined);
    const previous = this.#lastDurable;
    this.#lastDurable = Promise.all([previous, visible, durable]).then(() => {
      if (this.#failure !== undefined) throw this.#failure;
    });
    // A failure is reported through commit(); nobody may be awaiting this one yet.
    this.#lastDurable.catch(() => undefined);
  }

  #fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.#failure === undefined) {
      this.#failure = error;
      this.#log.error({ err: error.message, path: this.path }, "backend commit failed");
    }
  }

  #layers(): WriteBuffer[] {
    if (this.#inFlight.length === 0) return this.#pending.ops === 0 ? [] : [this.#pending];
    return this.#pending.ops === 0 ? this.#inFlight : [...this.#inFlight, this.#pending];
  }

  #db(bucket: Bucket): Db {
    return this.#engine.dbs.get(bucket)!;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error("backend: closed");
  }
}

interface StatLike {
  treeBranchPageCount?: number;
  treeLeafPageCount?: number;
  overflowPages?: number;
}
