/**
 * The durable raft log: the WAL (and snapshot files) on disk, mirrored into
 * raft's MemoryStorage once durable. The Ready loop persists through this.
 * @module
 */
import type { Entry, HardState, Snapshot } from "../../gen/raftpb/raft.js";
import type { MemoryStorage } from "../../raft/index.js";
import type { Snapshotter } from "../../snap/snapshotter.js";
import type { Wal } from "../../wal/wal.js";

export class RaftLog {
  readonly #wal: Wal;
  readonly #storage: MemoryStorage;
  readonly #snapshotter: Snapshotter;

  constructor(wal: Wal, storage: MemoryStorage, snapshotter: Snapshotter) {
    this.#wal = wal;
    this.#storage = storage;
    this.#snapshotter = snapshotter;
  }

  get wal(): Wal {
    return this.#wal;
  }

  get storage(): MemoryStorage {
    return this.#storage;
  }

  /** Appends entries and the hard state durably (fsync when `mustSync`), then exposes them to raft. */
  async save(hardState: HardState | undefined, entries: Entry[], mustSync: boolean): Promise<void> {
    await this.#wal.save(hardState, entries, mustSync);
    this.#storage.append(entries);
    if (hardState !== undefined) this.#storage.setHardState(hardState);
  }

  /**
   * Persists a snapshot received from the leader: the snapshot file first,
   * then its marker in the WAL (so a restart finds the snapshot the WAL
   * refers to), then raft's storage.
   */
  async saveReceivedSnapshot(snapshot: Snapshot): Promise<void> {
    const meta = snapshot.metadata!;
    await this.#snapshotter.save(snapshot);
    await this.#wal.saveSnapshot({ index: meta.index, term: meta.term, ...(meta.confState ? { confState: meta.confState } : {}) });
    this.#storage.applySnapshot(snapshot);
  }
}
