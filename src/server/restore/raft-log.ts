/**
 * The raft side of a restored member, as etcd's restore writes it: a WAL
 * whose metadata names the member and the cluster, one committed AddNode
 * entry per member at term 1 (the member as JSON in the context, as a new
 * cluster's bootstrap carries it), a hard state voting for the first member
 * and committing them all; then a snapshot at the last of them (file and
 * WAL marker) whose ConfState has every member as a voter. The server
 * restarts from that snapshot as a member of the new cluster; the backend
 * says it applied up to the same index.
 * @module
 */
import { Metadata } from "../../gen/etcdserverpb/etcdserver.js";
import { ConfChange, ConfChangeType, EntryType, type ConfState, type Entry, type HardState } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import { Snapshotter } from "../../snap/snapshotter.js";
import { Wal } from "../../wal/wal.js";
import { confChangeContext } from "../bootstrap/bootstrap.js";
import type { NewCluster } from "./new-cluster.js";
import { confStateOf } from "./new-cluster.js";

export interface WrittenLog {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/** The term every restored log starts in. */
export const RESTORED_TERM = 1n;

export async function writeRestoredLog(cluster: NewCluster, walDir: string, snapDir: string, logger: Logger): Promise<WrittenLog> {
  const metadata = Buffer.from(Metadata.encode({ NodeID: cluster.local.id, ClusterID: cluster.clusterId }).finish());
  const entries: Entry[] = cluster.members.map((m, i) => ({
    Term: RESTORED_TERM,
    Index: BigInt(i + 1),
    Type: EntryType.EntryConfChange,
    Data: Buffer.from(ConfChange.encode({ type: ConfChangeType.ConfChangeAddNode, nodeId: m.id, context: confChangeContext(m), id: 0n }).finish()),
  }));
  const commit = BigInt(entries.length);
  const hardState: HardState = { term: RESTORED_TERM, vote: cluster.members[0]!.id, commit };
  const confState = confStateOf(cluster);
  const wal = await Wal.create(walDir, metadata, { logger });
  try {
    await wal.save(hardState, entries, true);
    await new Snapshotter(snapDir, logger).save({ data: Buffer.alloc(0), metadata: { index: commit, term: RESTORED_TERM, confState } });
    await wal.saveSnapshot({ index: commit, term: RESTORED_TERM, confState });
  } finally {
    await wal.close();
  }
  return { hardState, confState };
}
