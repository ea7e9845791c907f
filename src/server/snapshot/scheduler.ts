/**
 * Raft snapshots and log release (--snapshot-count, --max-snapshots,
 * --max-wals). Every `snapshotCount` applied entries the member records a
 * snapshot point: the backend is committed durably first (it is the state a
 * snapshot stands for), then the snapshot file and its WAL marker are
 * written, raft's in-memory log is compacted (keeping a tail for slow
 * followers) and WAL segments and snapshot files beyond --max-wals and
 * --max-snapshots are removed.
 * @module
 */
import type { ConfState } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import type { MemoryStorage } from "../../raft/index.js";
import type { Snapshotter } from "../../snap/snapshotter.js";
import type { Backend } from "../../storage/backend/index.js";
import type { Wal } from "../../wal/wal.js";

/** Entries kept in memory below a snapshot so slow followers can catch up without one (etcd's default). */
export const SNAPSHOT_CATCHUP_ENTRIES = 5000n;

export interface SnapshotDeps {
  storage: MemoryStorage;
  wal: Wal;
  snapshotter: Snapshotter;
  backend: Backend;
  confState(): ConfState;
  snapshotCount: bigint;
  catchupEntries?: bigint;
  /** Files kept (etcd --max-snapshots / --max-wals; 0 keeps all). */
  maxSnapshots: number;
  maxWals: number;
  logger: Logger;
}

export class SnapshotScheduler {
  readonly #deps: SnapshotDeps;
  #snapshotIndex: bigint;
  #running: Promise<void> | undefined;

  constructor(deps: SnapshotDeps, snapshotIndex: bigint) {
    this.#deps = deps;
    this.#snapshotIndex = snapshotIndex;
  }

  get snapshotIndex(): bigint {
    return this.#snapshotIndex;
  }

  /** Called after each apply batch; starts a snapshot when enough entries were applied since the last. */
  maybeSnapshot(applied: bigint): void {
    if (this.#running !== undefined || applied - this.#snapshotIndex <= this.#deps.snapshotCount) return;
    this.#running = this.#take(applied)
      .catch((err: unknown) => this.#deps.logger.error({ error: String(err) }, "failed to take a snapshot"))
      .finally(() => (this.#running = undefined));
  }

  /** Waits for a snapshot in progress (shutdown). */
  async idle(): Promise<void> {
    await this.#running;
  }

  /**
   * Removes snapshot files and WAL segments beyond the configured counts.
   * Run after every snapshot (the only moment files become purgeable) rather
   * than on etcd's 30 s timer.
   */
  async #purge(): Promise<void> {
    const { maxSnapshots, maxWals } = this.#deps;
    const removed = [
      ...(maxSnapshots > 0 ? await this.#deps.snapshotter.purge(maxSnapshots) : []),
      ...(maxWals > 0 ? await this.#deps.wal.purge(maxWals) : []),
    ];
    if (removed.length > 0) this.#deps.logger.info({ files: removed }, "purged old snapshot and WAL files");
  }

  async #take(index: bigint): Promise<void> {
    const { storage, wal, snapshotter, backend, logger } = this.#deps;
    // The backend must hold everything up to `index` durably before the log below it may go.
    await backend.commit();
    const confState = this.#deps.confState();
    const snapshot = storage.createSnapshot(index, confState, Buffer.alloc(0));
    const term = snapshot.metadata!.term;
    await snapshotter.save(snapshot);
    await wal.saveSnapshot({ index, term, confState });
    wal.releaseLockTo(index);
    const compactTo = index - (this.#deps.catchupEntries ?? SNAPSHOT_CATCHUP_ENTRIES);
    if (compactTo >= storage.firstIndex()) storage.compact(compactTo);
    this.#snapshotIndex = index;
    logger.info({ index: String(index), term: String(term) }, "saved snapshot");
    await this.#purge();
  }
}
