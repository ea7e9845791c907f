/**
 * The multi-version key-value store (etcd's `mvcc.store`): revisions,
 * the in-memory key index over a backend, read views, write transactions,
 * compaction and hashes. Single-threaded: every view and txn is used
 * synchronously, one write txn at a time.
 *
 * The store itself is a {@link ReadView} at the current revision, so a
 * plain range is `store.range(key, end, options)`.
 * @module
 */

import { EtcdError } from "../../pkg/errors.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import type { Backend } from "../backend/backend.js";
import { DEFAULT_HASH_IGNORES, META_KEYS } from "../backend/schema.js";
import { Compactor } from "./compaction.js";
import { hashByRev } from "./hash.js";
import { restoreFromBackend } from "./restore.js";
import { TreeIndex } from "./tree-index.js";
import { revToBytes } from "./revision.js";
import { StoreCore } from "./store-core.js";
import type { CommitObserver, HashKVResult, LeaseHooks, RangeOptions, RangeResult, ReadView, Scheduler, TxnWrite } from "./types.js";
import { WriteTxn } from "./write-txn.js";

export interface KVStoreOptions {
  backend: Backend;
  /** Lease attach/detach hooks (the lessor); absent: leases are stored on keys but nobody is told. */
  lessor?: LeaseHooks;
  /** Called after every write txn that changed something, with its events and new revision. */
  onCommit?: CommitObserver;
  /** Revisions deleted per compaction batch (etcd `--experimental-compaction-batch-limit`); default 1000. */
  compactionBatchLimit?: number;
  /** How compaction yields between batches; default `setImmediate`. Never a timer. */
  schedule?: Scheduler;
  logger?: Logger;
}

export interface CompactResult {
  /** Resolves when the compacted revisions are deleted from the backend and that is durable. */
  physical: Promise<void>;
}

const defaultSchedule: Scheduler = (task) => {
  setImmediate(task);
};

export class KVStore implements ReadView {
  readonly #core: StoreCore;
  readonly #compactor: Compactor;

  /** Opens the store over `backend`, restoring index and revisions from it. */
  constructor(options: KVStoreOptions) {
    const log = options.logger ?? nullLogger;
    this.#core = new StoreCore(options.backend, options.lessor, options.onCommit, log);
    this.#compactor = new Compactor(this.#core, options.compactionBatchLimit ?? 1000, options.schedule ?? defaultSchedule);
    const restored = restoreFromBackend(this.#core);
    log.info(
      {
        currentRevision: String(this.#core.currentRev),
        compactRevision: String(this.#core.compactMainRev),
        keys: restored.keys,
        revisions: restored.revisions,
      },
      "restored mvcc store",
    );
    if (restored.resumeCompactRev !== undefined) {
      log.info({ scheduledCompactRevision: String(restored.resumeCompactRev) }, "resume scheduled compaction");
      this.compact(restored.resumeCompactRev).physical.catch((err: unknown) => {
        log.error({ err: String(err) }, "resumed compaction failed");
      });
    }
  }

  /** Resolves when no compaction is running or queued (before the backend may be replaced). */
  compactionIdle(): Promise<void> {
    return this.#compactor.idle();
  }

  /**
   * Rebuilds the index and revisions from the backend after its content was
   * replaced (a snapshot from the leader). Call only with no write txn open
   * and no compaction pending ({@link compactionIdle}); leased keys are
   * re-attached to the lessor, which must have recovered first.
   */
  restore(): void {
    const core = this.#core;
    if (core.writing) throw new Error("mvcc: restore while a write txn is open");
    core.index = new TreeIndex();
    core.currentRev = 1n;
    core.compactMainRev = -1n;
    const restored = restoreFromBackend(core);
    core.log.info({ currentRevision: String(core.currentRev), compactRevision: String(core.compactMainRev), keys: restored.keys }, "restored mvcc store from a snapshot");
    if (restored.resumeCompactRev !== undefined) {
      this.compact(restored.resumeCompactRev).physical.catch((err: unknown) => {
        core.log.error({ err: String(err) }, "resumed compaction failed");
      });
    }
  }

  /** The current revision: 1 on an empty store, +1 per write txn that changed something. */
  get rev(): bigint {
    return this.#core.currentRev;
  }

  /** The revision of the last compaction, -1 when never compacted. */
  get compactRev(): bigint {
    return this.#core.compactMainRev;
  }

  /** Number of keys in the index (live, or deleted with history left). */
  get indexedKeys(): number {
    return this.#core.index.size;
  }

  range(key: Uint8Array, end: Uint8Array | undefined, options?: RangeOptions): RangeResult {
    return this.#core.rangeKeys(key, end, this.#core.currentRev, options);
  }

  /** A read view pinned at the current revision. */
  read(): ReadView {
    const core = this.#core;
    const rev = core.currentRev;
    return {
      rev,
      compactRev: core.compactMainRev,
      range: (key, end, options) => core.rangeKeys(key, end, rev, options),
    };
  }

  /** Opens the write txn. Use it synchronously and always `end()` it (try/finally). */
  write(): TxnWrite {
    const core = this.#core;
    if (core.closed) throw new Error("mvcc: store closed");
    if (core.writing) throw new Error("mvcc: a write txn is already open");
    core.writing = true;
    return new WriteTxn(core);
  }

  /**
   * Compacts at `rev`: records it as scheduled, compacts the index now
   * (reads below `rev` fail from here on) and queues the backend deletes.
   * Throws `Compacted` at or below the current compact revision and
   * `FutureRev` above the current revision.
   */
  compact(rev: bigint): CompactResult {
    const core = this.#core;
    if (rev <= core.compactMainRev) throw new EtcdError("Compacted");
    if (rev > core.currentRev) throw new EtcdError("FutureRev");
    core.compactMainRev = rev;
    core.backend.put("meta", META_KEYS.scheduledCompactRev, revToBytes({ main: rev, sub: 0n }));
    const keep = core.index.compact(rev);
    core.log.info({ revision: String(rev), keptRevisions: keep.size }, "compacted key index");
    const physical = this.#compactor.enqueue(rev, keep);
    // Callers that do not wait for the deletes must not see an unhandled rejection.
    physical.catch((err: unknown) => core.log.error({ err: String(err) }, "compaction failed"));
    return { physical };
  }

  /** HashKV at `rev` (0: the current revision). Throws `Compacted` / `FutureRev` as etcd does. */
  hashByRev(rev: bigint): HashKVResult {
    return hashByRev(this.#core, rev);
  }

  /** Maintenance.Hash: the backend hash (default ignores) and the current revision. */
  hash(): { hash: number; rev: bigint } {
    return { hash: this.#core.backend.hash(DEFAULT_HASH_IGNORES), rev: this.#core.currentRev };
  }

  /** Stops background compaction (it resumes on the next open). Does not close the backend. */
  async close(): Promise<void> {
    this.#core.closed = true;
    await this.#compactor.idle();
  }
}
