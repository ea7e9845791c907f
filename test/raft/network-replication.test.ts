/**
 * Layer 2 (simulated network): log replication under faults, flow control,
 * size limits, proposal forwarding, crash and restart.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/gen/raftpb/raft.js";
import type { Message } from "../../src/gen/raftpb/raft.js";
import { ProposalDroppedError } from "../../src/raft/errors.js";
import { ProgressState } from "../../src/raft/tracker/progress.js";
import { StateType } from "../../src/raft/types.js";
import { Network } from "./helpers/network.js";
import { entsWithTerms, msg } from "./helpers/raft-helpers.js";
import { MemoryStorage } from "../../src/raft/storage.js";
import { emptyConfState } from "../../src/raft/util.js";

const ids = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

function logOf(net: Network, id: bigint): string {
  return net.raft(id).raftLog.allEntries().map((e) => `${e.Term}/${e.Index}`).join(",");
}

function assertConverged(net: Network, members: bigint[]): void {
  const want = logOf(net, members[0]!);
  const commit = net.raft(members[0]!).raftLog.committed;
  for (const id of members) {
    assert.equal(logOf(net, id), want, `log of ${id}`);
    assert.equal(net.raft(id).raftLog.committed, commit, `commit of ${id}`);
  }
}

describe("replication", () => {
  test("proposals at the leader and at followers are replicated and applied everywhere in order", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.propose(1n, "a");
    net.propose(2n, "b"); // forwarded
    net.propose(3n, "c");
    for (const id of ids(3)) assert.deepEqual(net.node(id).appliedData, ["a", "b", "c"]);
    assertConverged(net, ids(3));
  });

  test("an isolated leader's uncommitted entries are replaced by the new leader's", () => {
    const net = new Network(ids(5));
    net.campaign(1n);
    net.propose(1n, "committed");
    net.isolate(1n);
    net.propose(1n, "lost-1");
    net.propose(1n, "lost-2");
    assert.equal(net.raft(1n).raftLog.lastIndex(), 4n);
    net.campaign(2n);
    net.propose(2n, "kept");
    net.recover();
    // The old leader learns the new term, steps down, and its divergent tail
    // (term 1, indexes 3-4) is overwritten.
    net.tickAll(2);
    assert.equal(net.raft(1n).state, StateType.Follower);
    assertConverged(net, ids(5));
    assert.deepEqual(net.node(1n).appliedData, ["committed", "kept"]);
  });

  test("no commit without a majority; commit resumes when the majority is back", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(2n);
    net.isolate(3n);
    net.propose(1n, "waiting");
    assert.equal(net.node(1n).appliedData.length, 0);
    net.recover();
    net.tickAll(1);
    for (const id of ids(3)) assert.deepEqual(net.node(id).appliedData, ["waiting"]);
  });

  test("random drops, delays, reordering and duplicates: logs converge once healed", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const net = new Network(ids(5), { seed });
      net.campaign(1n);
      for (const a of ids(5)) for (const b of ids(5)) if (a !== b) {
        net.drop(a, b, 0.2);
        net.delay(a, b, 0.2);
      }
      net.duplicate(0.2);
      net.reorder();
      for (let i = 0; i < 30; i++) {
        try {
          net.propose(BigInt(1 + (i % 5)), `p${i}`);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
        if (i % 5 === 0) net.tickAll(1);
      }
      net.recover();
      net.releaseDelayed();
      net.tickAll(30);
      const leader = net.leader();
      net.propose(leader, "final");
      assertConverged(net, ids(5));
      const applied = net.node(1n).appliedData;
      assert.equal(applied[applied.length - 1], "final", `seed ${seed}`);
      for (const id of ids(5)) assert.deepEqual(net.node(id).appliedData, applied, `seed ${seed} node ${id}`);
    }
  });

  test("fast back-off: a long divergent tail is skipped a term at a time", () => {
    // Leader log: term 1 x3, then term 5 x20. Follower: term 1 x3, then
    // terms 2,3,4 x20 each (60 divergent entries). Probing entry by entry
    // would take ~60 rejections; by term it takes a handful.
    const leaderTerms = [1, 1, 1, ...Array<number>(20).fill(5)];
    const followerTerms = [1, 1, 1, ...Array<number>(20).fill(2), ...Array<number>(20).fill(3), ...Array<number>(20).fill(4)];
    const cs = { ...emptyConfState(), voters: ids(3) };
    const ls = new MemoryStorage({ confState: cs });
    ls.append(entsWithTerms(...leaderTerms));
    ls.setHardState({ term: 5n, vote: 0n, commit: 3n });
    const fs = new MemoryStorage({ confState: cs });
    fs.append(entsWithTerms(...followerTerms));
    fs.setHardState({ term: 4n, vote: 0n, commit: 3n });
    const ts = new MemoryStorage({ confState: cs });
    ts.append(entsWithTerms(...leaderTerms));
    ts.setHardState({ term: 5n, vote: 0n, commit: 3n });
    const net = new Network(ids(3), { storage: { "1": ls, "2": fs, "3": ts } });
    net.record = true;
    net.campaign(1n);
    assert.equal(net.leader(), 1n);
    const rejects = net.delivered.filter((m) => m.type === MessageType.MsgAppResp && m.from === 2n && m.reject).length;
    assert.ok(rejects <= 3, `${rejects} rejections`);
    assertConverged(net, ids(3));
  });
});

describe("flow control", () => {
  test("the in-flight window caps outstanding appends; acks reopen it", () => {
    const net = new Network(ids(2), { node: { maxInflightMsgs: 3, maxSizePerMsg: 0 } });
    net.campaign(1n);
    const r = net.raft(1n);
    // Hold back 2's answers so the window fills.
    let held: Message[] = [];
    net.msgHook = (m) => {
      if (m.from === 2n) {
        held.push(m);
        return false;
      }
      return true;
    };
    for (let i = 0; i < 10; i++) net.node(1n).node.propose(Buffer.from(`p${i}`));
    net.stabilize();
    const pr = r.trk.progress.get(2n)!;
    assert.equal(pr.state, ProgressState.Replicate);
    assert.equal(pr.inflights.count(), 3);
    assert.equal(pr.isPaused(), true);
    // A heartbeat still gets an empty append through (recovers lost acks).
    net.msgHook = undefined;
    const acks = held;
    held = [];
    net.send(...acks);
    assert.equal(pr.match >= 4n, true);
    net.stabilize();
    assert.equal(net.node(2n).appliedData.length, 10, "everything flows once acks arrive");
  });

  test("maxSizePerMsg splits large batches into several appends", () => {
    const net = new Network(ids(2), { node: { maxSizePerMsg: 2000 } });
    net.campaign(1n);
    net.record = true;
    net.node(1n).node.proposeBatch(Array.from({ length: 10 }, () => Buffer.alloc(500)));
    net.stabilize();
    const apps = net.delivered.filter((m) => m.type === MessageType.MsgApp && m.entries.length > 0);
    assert.ok(apps.length >= 3, `${apps.length} appends`);
    for (const m of apps) assert.ok(m.entries.length <= 4);
    assert.equal(net.node(2n).appliedData.length, 10);
  });

  test("the uncommitted-size limit drops proposals until entries commit", () => {
    const net = new Network(ids(3), { node: { maxUncommittedEntriesSize: 1000 } });
    net.campaign(1n);
    net.isolate(2n);
    net.isolate(3n);
    const n = net.node(1n).node;
    n.propose(Buffer.alloc(600));
    assert.throws(() => n.propose(Buffer.alloc(600)), ProposalDroppedError);
    n.propose(Buffer.alloc(300));
    assert.throws(() => n.propose(Buffer.alloc(200)), ProposalDroppedError);
    // An empty proposal is always accepted.
    n.propose(Buffer.alloc(0));
    net.recover();
    net.tickAll(1);
    assert.equal(net.raft(1n).uncommittedSize, 0, "committed entries release the quota");
    n.propose(Buffer.alloc(900));
  });
});

describe("proposal forwarding", () => {
  test("followers drop proposals without a leader", () => {
    const net = new Network(ids(3));
    assert.throws(() => net.node(2n).node.propose(Buffer.from("x")), ProposalDroppedError);
  });

  test("disableProposalForwarding: followers drop instead of forwarding", () => {
    const net = new Network(ids(3), { node: { disableProposalForwarding: true } });
    net.campaign(1n);
    assert.throws(() => net.node(2n).node.propose(Buffer.from("x")), ProposalDroppedError);
    net.propose(1n, "at leader");
    assert.deepEqual(net.node(2n).appliedData, ["at leader"]);
  });

  test("a candidate drops proposals", () => {
    const net = new Network(ids(3));
    net.isolate(1n);
    net.campaign(1n);
    assert.throws(() => net.node(1n).node.propose(Buffer.from("x")), ProposalDroppedError);
  });
});

describe("crash and restart", () => {
  test("a follower restarted from storage keeps its log and vote and catches up", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.propose(1n, "a");
    net.restart(3n);
    assert.equal(net.raft(3n).term, 1n);
    assert.equal(net.raft(3n).vote, 1n);
    assert.equal(net.raft(3n).raftLog.lastIndex(), 2n);
    net.propose(1n, "b");
    assert.deepEqual(net.node(3n).appliedData, ["a", "b"], "replayed a, then b");
  });

  test("a whole-cluster restart loses no committed entry", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    for (let i = 0; i < 5; i++) net.propose(1n, `e${i}`);
    for (const id of ids(3)) net.restart(id);
    assert.equal(net.leaders().length, 0);
    net.campaign(2n);
    net.propose(2n, "after");
    for (const id of ids(3)) assert.deepEqual(net.node(id).appliedData, ["e0", "e1", "e2", "e3", "e4", "after"]);
  });

  test("a restarted node does not vote twice in a term", () => {
    const net = new Network(ids(3));
    net.isolate(3n);
    net.campaign(1n);
    net.restart(2n);
    assert.equal(net.raft(2n).vote, 1n);
    net.recover();
    net.isolate(1n);
    // 3 asks 2 for a vote in term 1 with a log that would qualify.
    net.send(msg({ type: MessageType.MsgVote, from: 3n, to: 2n, term: 1n, logTerm: 1n, index: 100n }));
    assert.equal(net.raft(2n).vote, 1n);
  });
});
