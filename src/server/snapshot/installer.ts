/**
 * Installs a snapshot the leader sent: its database replaces the backend in
 * place, then everything kept in memory is rebuilt from it — leases before
 * keys (so leased keys re-attach), membership, alarms, the consistent
 * index, raft's configuration — watchers catch up from the new store, and
 * the peer set follows the new membership.
 * @module
 */
import type { ConfState, Snapshot } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import type { Lessor } from "../../lease/index.js";
import type { SnapshotFiles } from "../../storage/backend/index.js";
import type { ConsistentIndex } from "../../storage/cindex/index.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { AppliedIndex } from "../apply/applied-index.js";
import type { AlarmStore } from "../maintenance/alarms.js";
import type { MembershipStore } from "../membership/membership-store.js";

export interface SnapshotInstallerDeps {
  /** The database file received with the snapshot at `index`; undefined if none arrived. */
  takeReceived(index: bigint): string | undefined;
  backend: Pick<SnapshotFiles, "replaceWith">;
  cindex: ConsistentIndex;
  lessor: Lessor;
  store: KVStore;
  membership: MembershipStore;
  alarms: AlarmStore;
  /** Raft's configuration holder (the conf-change applier). */
  conf: { confState: ConfState; reset(confState: ConfState): void };
  /** Watchers synced up to `revision` catch up from the new store. */
  restoreWatchers(revision: bigint): void;
  applied: AppliedIndex;
  /** The membership may have changed: peers follow it. */
  onMembersChanged(): void;
  logger: Logger;
}

export class SnapshotInstaller {
  readonly #deps: SnapshotInstallerDeps;

  constructor(deps: SnapshotInstallerDeps) {
    this.#deps = deps;
  }

  async install(snapshot: Snapshot): Promise<void> {
    const d = this.#deps;
    const index = snapshot.metadata?.index ?? 0n;
    const dbPath = d.takeReceived(index);
    if (dbPath === undefined) throw new Error(`raft delivered snapshot ${index} but no database arrived with it`);
    const before = d.store.rev;
    await d.store.compactionIdle();
    await d.backend.replaceWith(dbPath);
    const applied = d.cindex.reload();
    d.lessor.recover();
    d.store.restore();
    d.membership.reload();
    d.alarms.reload();
    d.conf.reset(snapshot.metadata?.confState ?? d.conf.confState);
    d.restoreWatchers(before);
    d.applied.advance(applied.index > index ? applied.index : index);
    d.onMembersChanged();
    d.logger.info({ index: String(index), "consistent-index": String(applied.index), revision: String(d.store.rev) }, "applied a snapshot from the leader");
  }
}
