/**
 * Layer 2 (simulated network): log compaction and snapshots.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/gen/raftpb/raft.js";
import { ProgressState } from "../../src/raft/tracker/progress.js";
import { SnapshotStatus } from "../../src/raft/types.js";
import { Network } from "./helpers/network.js";

const ids = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

function appliedEverywhere(net: Network, members: bigint[]): void {
  const want = net.node(members[0]!).state;
  for (const id of members) {
    assert.equal(net.node(id).state.applied, want.applied, `applied of ${id}`);
    assert.equal(net.node(id).state.hash, want.hash, `state of ${id}`);
  }
}

describe("snapshots", () => {
  test("a follower behind the compaction point gets a snapshot, then appends", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    for (let i = 0; i < 20; i++) net.propose(1n, `e${i}`);
    net.node(1n).snapshotAndCompact(0n);
    net.node(2n).snapshotAndCompact(0n);
    assert.ok(net.raft(1n).raftLog.firstIndex() > 2n);
    net.recover();
    net.record = true;
    net.tickAll(1);
    const snaps = net.delivered.filter((m) => m.type === MessageType.MsgSnap && m.to === 3n);
    assert.equal(snaps.length, 1);
    // The leader learns from 3's response that it caught up.
    assert.equal(net.raft(1n).trk.progress.get(3n)!.state, ProgressState.Replicate);
    net.propose(1n, "after");
    appliedEverywhere(net, ids(3));
    assert.deepEqual(net.node(3n).appliedData, ["after"], "the rest came with the snapshot");
  });

  test("a failed snapshot is reported and retried", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    for (let i = 0; i < 5; i++) net.propose(1n, `e${i}`);
    net.node(1n).snapshotAndCompact(0n);
    net.recover();
    net.ignore(MessageType.MsgSnap);
    net.tickAll(1);
    const pr = net.raft(1n).trk.progress.get(3n)!;
    assert.equal(pr.state, ProgressState.Snapshot);
    net.node(1n).node.reportSnapshot(3n, SnapshotStatus.Failure);
    assert.equal(pr.state, ProgressState.Probe);
    assert.equal(pr.pendingSnapshot, 0n);
    net.recover();
    net.tickAll(2);
    appliedEverywhere(net, ids(3));
  });

  test("a reported success lets the leader probe right after the snapshot", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    for (let i = 0; i < 5; i++) net.propose(1n, `e${i}`);
    net.node(1n).snapshotAndCompact(0n);
    net.recover();
    // The snapshot arrives but its (successful) answer is lost.
    net.msgHook = (m) => !(m.from === 3n && m.type === MessageType.MsgAppResp && !m.reject);
    net.tickAll(1);
    const pr = net.raft(1n).trk.progress.get(3n)!;
    assert.equal(pr.state, ProgressState.Snapshot);
    const pending = pr.pendingSnapshot;
    net.node(1n).node.reportSnapshot(3n, SnapshotStatus.Finish);
    assert.equal(pr.state, ProgressState.Probe);
    assert.equal(pr.next, pending + 1n);
    assert.equal(pr.isPaused(), true, "waits for the follower's answer");
    net.recover();
    net.tickAll(2);
    appliedEverywhere(net, ids(3));
  });

  test("a restarted node resumes from its snapshot and replays the rest", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    for (let i = 0; i < 6; i++) net.propose(1n, `e${i}`);
    net.node(2n).snapshotAndCompact(2n);
    net.propose(1n, "e6");
    net.restart(2n);
    assert.equal(net.node(2n).state.applied, 7n, "state machine at the snapshot");
    net.stabilize();
    net.tickAll(1);
    appliedEverywhere(net, ids(3));
    assert.deepEqual(net.node(2n).appliedData, ["e6"], "only entries after the snapshot are replayed");
  });

  test("an outdated snapshot is ignored but answered", () => {
    const net = new Network(ids(2));
    net.campaign(1n);
    for (let i = 0; i < 3; i++) net.propose(1n, `e${i}`);
    const snap = net.node(1n).snapshotAndCompact(0n)!;
    const commit = net.raft(2n).raftLog.committed;
    net.record = true;
    net.send({
      type: MessageType.MsgSnap,
      from: 1n,
      to: 2n,
      term: 1n,
      logTerm: 0n,
      index: 0n,
      entries: [],
      commit: 0n,
      snapshot: snap,
      reject: false,
      rejectHint: 0n,
      context: Buffer.alloc(0),
    });
    assert.equal(net.raft(2n).raftLog.committed, commit);
    const resp = net.delivered.find((m) => m.type === MessageType.MsgAppResp && m.from === 2n);
    assert.equal(resp?.index, commit);
  });
});
