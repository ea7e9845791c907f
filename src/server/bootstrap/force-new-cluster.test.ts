import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfChange, ConfChangeType, EntryType, type Entry } from "../../gen/raftpb/raft.js";
import { configuredIds, forceNewCluster } from "./force-new-cluster.js";

const cc = (index: bigint, type: ConfChangeType, nodeId: bigint): Entry => ({
  Term: 2n,
  Index: index,
  Type: EntryType.EntryConfChange,
  Data: Buffer.from(ConfChange.encode({ type, nodeId, context: Buffer.alloc(0), id: 0n }).finish()),
});
const normal = (index: bigint): Entry => ({ Term: 2n, Index: index, Type: EntryType.EntryNormal, Data: Buffer.from("x") });

test("the configuration is the snapshot's plus the conf changes after it", () => {
  const ents = [cc(5n, ConfChangeType.ConfChangeAddLearnerNode, 4n), cc(6n, ConfChangeType.ConfChangeRemoveNode, 2n)];
  assert.deepEqual(configuredIds({ voters: [1n, 2n, 3n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, ents), [1n, 3n, 4n]);
});

test("uncommitted entries are dropped; every other member is removed at the next indexes, committed", () => {
  const wal = [cc(1n, ConfChangeType.ConfChangeAddNode, 1n), cc(2n, ConfChangeType.ConfChangeAddNode, 2n), cc(3n, ConfChangeType.ConfChangeAddNode, 3n), normal(4n), normal(5n)];
  const forced = forceNewCluster(2n, undefined, { term: 2n, vote: 1n, commit: 4n }, wal);
  assert.deepEqual(forced.entries.map((e) => e.Index), [1n, 2n, 3n, 4n, 5n, 6n]);
  assert.deepEqual(forced.appended.map((e) => [e.Index, ConfChange.decode(e.Data).type, ConfChange.decode(e.Data).nodeId]), [
    [5n, ConfChangeType.ConfChangeRemoveNode, 1n],
    [6n, ConfChangeType.ConfChangeRemoveNode, 3n],
  ]);
  assert.deepEqual(forced.hardState, { term: 2n, vote: 1n, commit: 6n });
});
