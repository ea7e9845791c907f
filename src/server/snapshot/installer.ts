/**
 * Installs a snapshot the leader sent: its database replaces the backend in
 * place, then everything kept in memory is rebuilt from it — leases before
 * keys (so leased keys re-attach), membership, alarms, the consistent
 * index, raft's configuration, the auth store — watchers catch up from the new store, and
 * the peer set follows the new membership.
 * @module
 */
import type { ConfState, Snapshot } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import type { SnapshotFiles } from "../../storage/backend/index.js";

/** Something rebuilt from the backend after it was replaced (lessor, membership, alarms, auth). */
interface Reloadable {
  reload(): void;
}

export interface SnapshotInstallerDeps {
  /** The database file received with the snapshot at `index`; undefined if none arrived. */
  takeReceived(index: bigint): string | undefined;
  backend: Pick<SnapshotFiles, "replaceWith">;
  /** The consistent index, read back from the new database. */
  cindex: { reload(): { index: bigint } };
  /** In-memory state rebuilt from the new database; leases first, so the store's keys re-attach to them. */
  leases: Reloadable;
  /** The mvcc store: quiesced (no compaction running), then restored. */
  store: { readonly rev: bigint; compactionIdle(): Promise<void>; restore(): void };
  membership: Reloadable;
  alarms: Reloadable;
  /** Users, roles, permissions and the enabled flag; tokens go if the snapshot has auth off. */
  auth: Reloadable;
  /** Raft's configuration holder (the conf-change applier). */
  conf: { readonly confState: ConfState; reset(confState: ConfState): void };
  /** Watchers synced up to `revision` catch up from the new store. */
  restoreWatchers(revision: bigint): void;
  /** The applied index moves to the snapshot's. */
  applied: { advance(index: bigint): void };
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
    d.leases.reload();
    d.store.restore();
    d.membership.reload();
    d.alarms.reload();
    d.auth.reload();
    d.conf.reset(snapshot.metadata?.confState ?? d.conf.confState);
    d.restoreWatchers(before);
    d.applied.advance(applied.index > index ? applied.index : index);
    d.onMembersChanged();
    d.logger.info({ index: String(index), "consistent-index": String(applied.index), revision: String(d.store.rev) }, "applied a snapshot from the leader");
  }
}
