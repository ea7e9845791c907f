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

import { mkdirSync, readdirSync, renameSync, rmSync, statSync, existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { SystemClock, type Clock } from "../../pkg/clock.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import type { Backend, BackendReadView, BackendStats, Entry, KeyRange, PreCommitHook, SnapshotFiles } from "./backend.js";
import { BatchLog } from "./batch-log.js";
import { hashBuckets } from "./hash.js";
import { fsyncDir, fsyncPath } from "../../pkg/fsio.js";
import { humanBytes } from "../../pkg/human-bytes.js";
import { LmdbReadView } from "./lmdb-read-view.js";
import { BUCKETS, DEFAULT_HASH_IGNORES, type Bucket, type IgnoreKey } from "./schema.js";
import { WriteBuffer, collectRange, lookupLayers, mergeWalk, overlayInRange, toBuffer } from "./write-buffer.js";

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
  /** Told how long each defrag took (etcd_disk_backend_defrag_duration_seconds). */
  onDefragmented?: (seconds: number) => void;
  /**
   * Bytes of keys and values committed during a defrag that may wait to be
   * replayed into the copy; past it, commits are held until the copy has
   * caught up. Default {@link DEFAULT_DEFRAG_BACKLOG_BYTES}.
   */
  defragBacklogLimitBytes?: number;
}

/** What the last defrag did, for logs, tests and measurements. */
export interface DefragReport {
  readonly tookMs: number;
  /** How long commits waited at the switch (or, after a backlog overflow, from then on). */
  readonly commitsHeldMs: number;
  /** Catch-up replays made into the copy while commits went on. */
  readonly catchUpRounds: number;
  /** Batches committed during the defrag, all replayed into the copy. */
  readonly replayedBatches: number;
  /** True when the backlog passed its limit and commits were held early. */
  readonly backlogOverflowed: boolean;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
}

/** etcd's data file location inside a data dir. */
export function backendPath(dataDir: string): string {
  return join(dataDir, "member", "snap", "db");
}

const DEFAULT_MAP_SIZE = 10 * 1024 * 1024 * 1024;

export const DEFAULT_DEFRAG_BACKLOG_BYTES = 64 * 1024 * 1024;
/** A backlog this small is replayed while commits are held: a few milliseconds of work. */
const SWITCH_BACKLOG_BYTES = 1024 * 1024;
/** Catch-up rounds before holding commits anyway (a write rate the replay cannot outrun). */
const MAX_CATCH_UP_ROUNDS = 16;
const DEFRAG_SUFFIX = ".defrag";

/** Where a defrag writes its copy; a leftover one is a defrag that a crash interrupted. */
export function defragCopyPath(path: string): string {
  return `${path}${DEFRAG_SUFFIX}`;
}

type Db = Database<Buffer, Buffer>;

/** lmdb-js returns one promise per transaction; with separateFlushed it carries the sync promise. */
type CommitPromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

interface Engine {
  root: RootDatabase<Buffer, Buffer>;
  dbs: Map<Bucket, Db>;
  /**
   * Keeps this engine open for a reader that must go on reading it after a
   * switch to another file (a read view); call the returned function when done.
   */
  pin(): () => void;
  /** Closes the engine now, or when the last pin is released. */
  retire(): Promise<void>;
  /** True once the environment is closed: its transactions and cursors are gone. */
  readonly closed: () => boolean;
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
  return withPins(root, dbs);
}

function withPins(root: RootDatabase<Buffer, Buffer>, dbs: Map<Bucket, Db>): Engine {
  let pins = 0;
  let retired = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= root.close().then(() => {
      closed = true;
    });
    return closing;
  };
  return {
    root,
    dbs,
    pin() {
      pins++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        pins--;
        // Nobody awaits this close; a failure to release a retired file leaves nothing to do.
        if (retired && pins === 0) close().catch(() => undefined);
      };
    },
    retire() {
      retired = true;
      return pins === 0 ? close() : Promise.resolve();
    },
    closed: () => closed,
  };
}

/** Removes what an interrupted defrag left beside `path` (its copy and the copy's lock file). */
function removeDefragLeftovers(path: string, log: Logger): void {
  const dir = dirname(path);
  if (!existsSync(dir)) return;
  const prefix = basename(defragCopyPath(path));
  for (const name of readdirSync(dir)) {
    if (name !== prefix && name !== `${prefix}-lock`) continue;
    rmSync(join(dir, name), { force: true });
    log.warn({ path: join(dir, name) }, "removed a copy left by an interrupted defragmentation");
  }
}

/**
 * Writes `batches` into `engine`, oldest first, as one LMDB transaction (all
 * queued in one synchronous loop); resolves when it is durable.
 */
async function replayInto(engine: Engine, batches: readonly WriteBuffer[]): Promise<void> {
  let txn: CommitPromise | undefined;
  for (const batch of batches) {
    for (const [bucket, w] of batch.all()) {
      const db = engine.dbs.get(bucket)!;
      txn = (w.value === null ? db.remove(w.key) : db.put(w.key, w.value)) as CommitPromise;
    }
  }
  if (txn === undefined) return;
  await txn;
  await txn.flushed;
}

export class LmdbBackend implements Backend, SnapshotFiles {
  readonly batchLimit: number;
  readonly path: string;
  readonly #mapSize: number;
  readonly #log: Logger;
  readonly #onCommitted: ((seconds: number) => void) | undefined;
  readonly #onDefragmented: ((seconds: number) => void) | undefined;
  readonly #defragBacklogLimit: number;
  readonly #clock: Pick<Clock, "nowMs">;
  #engine: Engine;
  #pending = new WriteBuffer();
  /** Sealed batches handed to lmdb-js and not yet visible there, oldest first. */
  readonly #inFlight: WriteBuffer[] = [];
  /** Resolves when the last sealed batch is durable. */
  #lastDurable: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  /** Set while commits are held (a defrag's switch, a snapshot's replacement): commits wait for it. */
  #commitsHeld: Promise<void> | undefined;
  #releaseCommits: (() => void) | undefined;
  #commitsHeldSince = 0;
  /** While a defrag copies: every batch sealed since it began, to replay into the copy. */
  #defragLog: BatchLog | undefined;
  #defragOverflowed = false;
  /** Defrags and snapshot replacements replace the file: one at a time. */
  #fileSwaps: Promise<unknown> = Promise.resolve();
  /** What the last finished defrag did. */
  lastDefrag: DefragReport | undefined;
  #commits = 0;
  /** The data file's size, re-read when a commit lands (the only time it grows) and after defrag. */
  #fileSize = 0;
  #closed = false;
  /** Set when close() starts: no defrag may begin after it. */
  #closing = false;
  readonly #hooks: PreCommitHook[] = [];

  constructor(options: LmdbBackendOptions) {
    this.path = options.path;
    this.batchLimit = options.batchLimit ?? 10_000;
    this.#mapSize = options.mapSize ?? DEFAULT_MAP_SIZE;
    this.#log = options.logger ?? nullLogger;
    this.#onCommitted = options.onCommitted;
    this.#onDefragmented = options.onDefragmented;
    this.#defragBacklogLimit = options.defragBacklogLimitBytes ?? DEFAULT_DEFRAG_BACKLOG_BYTES;
    this.#clock = options.clock ?? new SystemClock();
    removeDefragLeftovers(this.path, this.#log);
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
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error("backend: closed"));
    if (this.#commitsHeld !== undefined) return this.#commitsHeld.then(() => this.commit());
    this.#seal();
    return this.#lastDurable;
  }

  commitIfFull(): void {
    if (this.#pending.ops < this.batchLimit || this.#commitsHeld !== undefined) return;
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
  replaceWith(path: string): Promise<void> {
    return this.#exclusive(async () => {
      await this.commit();
      this.#holdCommits();
      let old: Engine;
      try {
        old = await this.#switchTo(openEngine(path, this.#mapSize), path);
      } finally {
        this.#releaseHeldCommits();
      }
      await old.retire();
      this.#log.info({ path: this.path, size: this.size() }, "replaced backend with a snapshot");
    });
  }

  /**
   * Rewrites the file without its free pages while reads and commits go on.
   *
   * 1. Record every batch sealed from now on (and those still in flight).
   * 2. Write a compacting copy from a read snapshot (`mdb_env_copy2` with
   *    `MDB_CP_COMPACT` on lmdb-js's worker thread); commits continue into
   *    the live file meanwhile.
   * 3. Replay the recorded batches into the copy, round after round, while
   *    the backlog is large.
   * 4. Hold commits, wait for the last live commit, replay the small rest,
   *    sync the copy, rename it over the file and switch readers to it.
   *
   * Only step 4 holds commits, for a time set by the last backlog, not by
   * the database size. If the backlog passes its byte limit first, commits
   * are held from then on (logged), which bounds the recorded batches.
   * A crash at any point leaves the old file intact until the rename (the
   * copy is synced before it), and the next open removes a leftover copy.
   */
  defrag(): Promise<void> {
    // Checked when asked: a defrag asked before close() runs whole, and close() waits for it.
    if (this.#closing) return Promise.reject(new Error("backend: closed"));
    return this.#exclusive(() => this.#defrag());
  }

  async #defrag(): Promise<void> {
    const started = this.#clock.nowMs();
    const sizeBefore = this.size();
    const inUseBefore = this.sizeInUse();
    this.#log.info(
      {
        path: this.path,
        "current-db-size-bytes": sizeBefore,
        "current-db-size": humanBytes(sizeBefore),
        "current-db-size-in-use-bytes": inUseBefore,
        "current-db-size-in-use": humanBytes(inUseBefore),
      },
      "defragmenting",
    );
    const copyPath = defragCopyPath(this.path);
    this.removeCopy(copyPath);
    const log = new BatchLog(this.#defragBacklogLimit);
    // Batches not yet visible may or may not be in the copy's snapshot; replaying them is harmless.
    for (const batch of this.#inFlight) log.record(batch);
    this.#defragLog = log;
    this.#defragOverflowed = false;
    let copy: Engine | undefined;
    let old: Engine | undefined;
    let switched = false;
    let heldMs = 0;
    let rounds = 0;
    try {
      await this.#engine.root.backup(copyPath, true);
      // Sync the copy now, while commits flow: syncing it at the switch would hold them for a time set by its size.
      await fsyncPath(copyPath);
      copy = openEngine(copyPath, this.#mapSize);
      while (this.#commitsHeld === undefined && log.bytes > SWITCH_BACKLOG_BYTES && rounds < MAX_CATCH_UP_ROUNDS) {
        rounds++;
        await replayInto(copy, log.takeAll());
      }
      if (this.#commitsHeld === undefined) {
        // Let the commit in flight finish before holding, so the hold rarely waits for one.
        await this.#lastDurable;
        this.#holdCommits();
      }
      try {
        // Everything sealed is now in the log; wait until the live file has it too.
        await this.#lastDurable;
        this.#defragLog = undefined;
        // Durable when it resolves: lmdb-js syncs the copy after the transaction.
        await replayInto(copy, log.takeAll());
        const switching = copy;
        copy = undefined;
        old = await this.#switchTo(switching, copyPath);
        switched = true;
      } finally {
        heldMs = this.#clock.nowMs() - this.#commitsHeldSince;
        this.#releaseHeldCommits();
      }
      await old.retire();
    } catch (err) {
      this.#log.warn({ path: this.path, error: err instanceof Error ? err.message : String(err) }, "failed to defragment");
      throw err;
    } finally {
      this.#defragLog = undefined;
      // A backlog overflow holds commits from inside the copy phase: a failure there must not keep them held.
      this.#releaseHeldCommits();
      if (copy !== undefined) await copy.root.close();
      // A failed copy (half written by a failed backup, say) goes; a switched one is the data file now.
      if (!switched) this.removeCopy(copyPath);
    }
    const tookMs = this.#clock.nowMs() - started;
    const sizeAfter = this.size();
    const inUseAfter = this.sizeInUse();
    this.lastDefrag = {
      tookMs,
      commitsHeldMs: heldMs,
      catchUpRounds: rounds,
      replayedBatches: log.recorded,
      backlogOverflowed: this.#defragOverflowed,
      sizeBefore,
      sizeAfter,
    };
    this.#log.info(
      {
        path: this.path,
        "current-db-size-bytes-diff": sizeAfter - sizeBefore,
        "current-db-size-bytes": sizeAfter,
        "current-db-size": humanBytes(sizeAfter),
        "current-db-size-in-use-bytes-diff": inUseAfter - inUseBefore,
        "current-db-size-in-use-bytes": inUseAfter,
        "current-db-size-in-use": humanBytes(inUseAfter),
        "took-ms": Math.round(tookMs),
        "commits-held-ms": Math.round(heldMs),
        "replayed-batches": log.recorded,
      },
      "defragmented",
    );
    this.#onDefragmented?.(tookMs / 1000);
  }

  /**
   * Moves the file at `from` (open as `next`, already durable) into this
   * backend's place and points every new reader at it; commits must be held.
   * Returns the old engine, for the caller to retire once commits flow again.
   */
  async #switchTo(next: Engine, from: string): Promise<Engine> {
    try {
      // The lock file first: if that fails, the data file has not moved and the old engine goes on.
      if (existsSync(`${from}-lock`)) renameSync(`${from}-lock`, `${this.path}-lock`);
      renameSync(from, this.path);
    } catch (err) {
      await next.root.close();
      throw err;
    }
    // The data file is the copy now: readers follow it at once, whatever happens next.
    const old = this.#engine;
    this.#engine = next;
    this.#refreshSize();
    try {
      await fsyncDir(dirname(this.path));
    } catch (err) {
      await old.retire();
      throw err;
    }
    return old;
  }

  #holdCommits(): void {
    this.#commitsHeldSince = this.#clock.nowMs();
    this.#commitsHeld = new Promise<void>((resolve) => {
      this.#releaseCommits = resolve;
    });
  }

  #releaseHeldCommits(): void {
    const release = this.#releaseCommits;
    this.#commitsHeld = undefined;
    this.#releaseCommits = undefined;
    release?.();
  }

  /** Runs `task` after every earlier file swap has finished. */
  #exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.#fileSwaps.then(task);
    this.#fileSwaps = run.catch(() => undefined);
    return run;
  }

  /** Called for each sealed batch while a defrag copies. */
  #recordForDefrag(batch: WriteBuffer): void {
    const log = this.#defragLog;
    if (log === undefined || !log.record(batch) || this.#commitsHeld !== undefined) return;
    this.#defragOverflowed = true;
    this.#holdCommits();
    this.#log.warn(
      { path: this.path, "backlog-bytes": log.bytes, "backlog-limit-bytes": log.limitBytes },
      "defragmentation backlog over its limit: holding commits until the copy is done",
    );
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
    // Pinned: a defrag or replaceWith that switches files keeps this environment open until the view closes.
    const unpin = engine.pin();
    const txn = engine.root.useReadTransaction();
    return new LmdbReadView(txn, engine.dbs, () => !engine.closed() && !this.#closed, unpin);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    try {
      await this.#fileSwaps;
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
    this.#recordForDefrag(batch);
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
