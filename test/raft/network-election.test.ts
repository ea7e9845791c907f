/**
 * Layer 2 (simulated network): leader election, PreVote and CheckQuorum.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/gen/raftpb/raft.js";
import { StateType } from "../../src/raft/types.js";
import { Network } from "./helpers/network.js";
import { msg } from "./helpers/raft-helpers.js";

const ids = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

function states(net: Network): string {
  return [...net.nodes.values()].map((n) => `${n.id}:${StateType[n.node.raft.state]}@${n.node.raft.term}`).join(" ");
}

describe("election", () => {
  for (const preVote of [false, true]) {
    test(`a majority elects a leader; a minority cannot (preVote=${preVote})`, () => {
      const cases: Array<{ size: number; down: bigint[]; state: StateType; term: bigint }> = [
        { size: 3, down: [], state: StateType.Leader, term: 1n },
        { size: 3, down: [3n], state: StateType.Leader, term: 1n },
        { size: 3, down: [2n, 3n], state: preVote ? StateType.PreCandidate : StateType.Candidate, term: preVote ? 0n : 1n },
        { size: 5, down: [4n, 5n], state: StateType.Leader, term: 1n },
        { size: 5, down: [3n, 4n, 5n], state: preVote ? StateType.PreCandidate : StateType.Candidate, term: preVote ? 0n : 1n },
      ];
      for (const [i, c] of cases.entries()) {
        const net = new Network(ids(c.size), { node: { preVote } });
        for (const d of c.down) net.isolate(d);
        net.campaign(1n);
        assert.equal(net.raft(1n).state, c.state, `case ${i}: ${states(net)}`);
        assert.equal(net.raft(1n).term, c.term, `case ${i}`);
      }
    });
  }

  test("a single-voter group elects itself and commits alone", () => {
    const net = new Network([1n]);
    net.campaign(1n);
    assert.equal(net.raft(1n).state, StateType.Leader);
    assert.equal(net.raft(1n).raftLog.committed, 1n);
    net.propose(1n, "solo");
    assert.deepEqual(net.node(1n).appliedData, ["solo"]);
  });

  test("every node can become leader in turn, and the log stays identical", () => {
    for (const preVote of [false, true]) {
      const net = new Network(ids(3), { node: { preVote } });
      for (const c of ids(3)) {
        net.campaign(c);
        assert.equal(net.leader(), c, `preVote=${preVote}: ${states(net)}`);
        net.propose(c, `from ${c}`);
      }
      const logs = ids(3).map((id) => net.raft(id).raftLog.allEntries().map((e) => `${e.Term}/${e.Index}`).join(","));
      assert.equal(new Set(logs).size, 1);
      assert.deepEqual(net.node(2n).appliedData, ["from 1", "from 2", "from 3"]);
    }
  });

  test("a candidate with a stale log cannot win; the one with the newest log does", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.propose(1n, "a");
    // 3 misses the next entry.
    net.cut(1n, 3n);
    net.propose(1n, "b");
    net.recover();
    net.isolate(1n);
    net.campaign(3n);
    assert.notEqual(net.raft(3n).state, StateType.Leader, "2 refuses: 3's log is behind");
    net.campaign(2n);
    assert.equal(net.raft(2n).state, StateType.Leader);
  });

  test("dueling candidates: the loser follows once a leader is elected", () => {
    const net = new Network(ids(3));
    net.cut(1n, 3n);
    net.campaign(1n);
    net.campaign(3n);
    assert.equal(net.raft(1n).state, StateType.Leader);
    assert.equal(net.raft(3n).state, StateType.Candidate);
    net.recover();
    // 3 campaigns again at a higher term but its log is behind: 1 and 2 move
    // to its term and refuse; a new election brings a leader back.
    net.campaign(3n);
    assert.equal(net.raft(3n).state, StateType.Follower);
    net.campaign(1n);
    assert.equal(net.leader(), 1n);
    assert.equal(net.raft(3n).lead, 1n);
  });

  test("randomized timeouts elect exactly one leader by ticking alone", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const net = new Network(ids(5), { seed, node: { preVote: seed % 2 === 0 } });
      let rounds = 0;
      while (net.leaders().length === 0 && rounds < 200) {
        net.tickAll();
        rounds++;
      }
      assert.equal(net.leaders().length, 1, `seed ${seed}: ${states(net)}`);
    }
  });
});

describe("PreVote", () => {
  test("a partitioned node does not inflate its term, and rejoins without disruption", () => {
    const net = new Network(ids(3), { node: { preVote: true } });
    net.campaign(1n);
    net.isolate(3n);
    for (let i = 0; i < 5; i++) net.tick(3n, 30);
    assert.equal(net.raft(3n).term, 1n, "pre-votes fail, so the term never moves");
    assert.equal(net.raft(3n).state, StateType.PreCandidate);
    net.recover();
    net.tickAll(3);
    assert.equal(net.leader(), 1n);
    assert.equal(net.raft(1n).term, 1n, "no disruption");
    assert.equal(net.raft(3n).state, StateType.Follower);
  });

  test("without PreVote the same partition forces an election when it heals", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    net.tick(3n, 30);
    assert.ok(net.raft(3n).term > 1n);
    net.recover();
    // 3 times out again as candidate; its votes carry the higher term.
    net.tickAll(25);
    assert.ok(net.raft(1n).term > 1n, "the rejoining node's higher term deposed the leader");
  });

  test("a pre-candidate with a stale term learns the current term from rejections", () => {
    // Node 3 misses a term change, then campaigns with pre-vote.
    const net = new Network(ids(3), { node: { preVote: true } });
    net.campaign(1n);
    net.isolate(3n);
    net.campaign(2n);
    assert.equal(net.raft(2n).term, 2n);
    net.recover();
    net.campaign(3n);
    assert.equal(net.raft(3n).term, 2n, "moved to the term carried by the rejections");
    assert.equal(net.raft(3n).state, StateType.Follower);
    assert.equal(net.leader(), 2n);
  });
});

describe("CheckQuorum", () => {
  test("a leader steps down when it has not heard from a quorum for an election timeout", () => {
    const net = new Network(ids(3), { node: { checkQuorum: true } });
    net.campaign(1n);
    net.isolate(1n);
    net.tick(1n, 10);
    assert.equal(net.raft(1n).state, StateType.Leader, "one timeout: still within the window");
    net.tick(1n, 10);
    assert.equal(net.raft(1n).state, StateType.Follower);
  });

  test("followers ignore votes while they hear from a leader (leader lease)", () => {
    const net = new Network(ids(3), { node: { checkQuorum: true } });
    net.campaign(1n);
    net.send(msg({ type: MessageType.MsgVote, from: 3n, to: 2n, term: 5n, index: 100n, logTerm: 100n }));
    assert.equal(net.raft(2n).term, 1n, "in lease: the vote is ignored entirely");
    assert.equal(net.raft(2n).vote, 1n);
  });

  test("a stuck candidate with a higher term is freed by the leader's response", () => {
    const net = new Network(ids(3), { node: { checkQuorum: true } });
    net.campaign(1n);
    net.isolate(1n);
    net.campaign(3n);
    net.campaign(3n);
    assert.equal(net.raft(3n).state, StateType.Candidate);
    assert.equal(net.raft(3n).term, 3n);
    net.recover();
    // 3 rejects 1's heartbeats with its higher term; 1 steps down and a new
    // election at a higher term lets everyone agree again.
    net.tickAll(1);
    assert.equal(net.raft(1n).state, StateType.Follower);
    assert.equal(net.raft(1n).term, 3n);
    net.campaign(1n);
    assert.equal(net.leader(), 1n);
    assert.equal(net.raft(3n).term, net.raft(1n).term);
  });

  test("a leader transfer overrides the lease (the vote is forced)", () => {
    const net = new Network(ids(3), { node: { checkQuorum: true } });
    net.campaign(1n);
    net.node(1n).node.transferLeader(2n);
    net.stabilize();
    assert.equal(net.leader(), 2n);
  });
});

describe("learners", () => {
  test("a learner never campaigns but receives the log", () => {
    const net = new Network(ids(3), { learners: [3n] });
    net.node(3n).node.tick();
    for (let i = 0; i < 100; i++) net.tick(3n);
    assert.equal(net.raft(3n).state, StateType.Follower);
    assert.equal(net.raft(3n).term, 0n);
    net.campaign(1n);
    net.propose(1n, "to learner");
    assert.deepEqual(net.node(3n).appliedData, ["to learner"]);
    // Commit needs 2 of the 2 voters, not the learner.
    net.isolate(2n);
    net.propose(1n, "needs 2");
    assert.deepEqual(net.node(3n).appliedData, ["to learner"]);
  });

  test("a learner that is asked for a vote grants it (it may have been promoted)", () => {
    const net = new Network(ids(3), { learners: [2n] });
    net.send(msg({ type: MessageType.MsgVote, from: 1n, to: 2n, term: 2n, index: 0n, logTerm: 0n }));
    assert.equal(net.raft(2n).vote, 1n);
  });
});

describe("terms reach nodes that cannot campaign", () => {
  test("a learner that heard a higher term answers the stale leader, which steps down so the log flows again", () => {
    // Without CheckQuorum and PreVote a node with a higher term normally
    // campaigns, which spreads its term. A learner cannot: it answers the
    // leader's appends with its term instead (found by the randomized runs).
    const net = new Network(ids(3), { learners: [3n] });
    net.campaign(1n);
    net.propose(1n, "a");
    // A stray candidate (a removed member, say) reaches only the learner.
    net.send(msg({ type: MessageType.MsgVote, from: 9n, to: 3n, term: 7n, index: 100n, logTerm: 100n }));
    assert.equal(net.raft(3n).term, 7n);
    net.tickAll(1);
    assert.equal(net.raft(1n).state, StateType.Follower, "the leader learned term 7 and stepped down");
    net.tickAll(30);
    const l = net.leader();
    assert.ok(net.raft(l).term > 7n);
    net.propose(l, "b");
    assert.deepEqual(net.node(3n).appliedData, ["a", "b"], "the learner receives entries again");
  });
});
