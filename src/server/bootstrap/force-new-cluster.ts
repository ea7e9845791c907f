/**
 * --force-new-cluster: restart a member as the only member of its cluster
 * (disaster recovery when a quorum is lost for good). As etcd does: the
 * uncommitted tail of the WAL is discarded, then conf changes that add this
 * member (if needed) and remove every other member are appended and
 * committed by fiat. Applied as usual, they leave a single voter that elects
 * itself; the data and the cluster id are kept.
 * @module
 */
import { ConfChange, ConfChangeType, EntryType, type ConfState, type Entry, type HardState } from "../../gen/raftpb/raft.js";
import { encodeMember } from "../membership/member.js";

export interface ForcedLog {
  entries: Entry[];
  /** The entries appended here (to be written to the WAL). */
  appended: Entry[];
  hardState: HardState;
}

/** Members in the configuration: the snapshot's, then every conf change after it. */
export function configuredIds(snapshotConf: ConfState | undefined, entries: readonly Entry[]): bigint[] {
  const ids = new Set<bigint>([...(snapshotConf?.voters ?? []), ...(snapshotConf?.learners ?? [])]);
  for (const e of entries) {
    if (e.Type !== EntryType.EntryConfChange) continue;
    const cc = ConfChange.decode(e.Data);
    if (cc.type === ConfChangeType.ConfChangeAddNode || cc.type === ConfChangeType.ConfChangeAddLearnerNode) ids.add(cc.nodeId);
    else if (cc.type === ConfChangeType.ConfChangeRemoveNode) ids.delete(cc.nodeId);
  }
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function forceNewCluster(self: bigint, snapshotConf: ConfState | undefined, hardState: HardState, walEntries: readonly Entry[]): ForcedLog {
  const committed = walEntries.filter((e) => e.Index <= hardState.commit);
  const ids = configuredIds(snapshotConf, committed);
  const appended: Entry[] = [];
  let next = hardState.commit + 1n;
  const append = (cc: Omit<ConfChange, "id">): void => {
    appended.push({ Term: hardState.term, Index: next++, Type: EntryType.EntryConfChange, Data: Buffer.from(ConfChange.encode({ ...cc, id: 0n }).finish()) });
  };
  // Add self first: raft never lets the voter set become empty.
  if (!ids.includes(self)) {
    append({ type: ConfChangeType.ConfChangeAddNode, nodeId: self, context: encodeMember({ id: self, name: "", peerUrls: ["http://localhost:2380"], clientUrls: [], isLearner: false }) });
  }
  for (const id of ids) if (id !== self) append({ type: ConfChangeType.ConfChangeRemoveNode, nodeId: id, context: Buffer.alloc(0) });
  const last = appended[appended.length - 1]?.Index ?? hardState.commit;
  return { entries: [...committed, ...appended], appended, hardState: { ...hardState, commit: last } };
}
