/**
 * Layer 2 (simulated network): ReadIndex and leadership transfer.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/gen/raftpb/raft.js";
import { ProposalDroppedError } from "../../src/raft/errors.js";
import { ReadOnlyOption } from "../../src/raft/read-only.js";
import { StateType } from "../../src/raft/types.js";
import { Network } from "./helpers/network.js";

const ids = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

function reads(net: Network, id: bigint): Array<[bigint, string]> {
  return net.node(id).readStates.map((rs) => [rs.index, rs.requestCtx.toString()]);
}

describe("ReadIndex", () => {
  for (const option of [ReadOnlyOption.Safe, ReadOnlyOption.LeaseBased]) {
    test(`answers at the commit index, on the leader and through followers (${ReadOnlyOption[option]})`, () => {
      const net = new Network(ids(3), { node: { readOnlyOption: option, checkQuorum: true } });
      net.campaign(1n);
      net.propose(1n, "a");
      for (const id of ids(3)) {
        net.node(id).node.readIndex(Buffer.from(`r${id}`));
        net.stabilize();
        assert.deepEqual(reads(net, id), [[2n, `r${id}`]], `node ${id}`);
      }
    });
  }

  test("Safe: a leader cut off from the quorum never answers", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(1n);
    net.node(1n).node.readIndex(Buffer.from("stale?"));
    net.tickAll(5);
    assert.deepEqual(reads(net, 1n), []);
  });

  test("several pending reads are confirmed by one heartbeat round, in order", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.ignore(MessageType.MsgHeartbeatResp);
    const n = net.node(1n).node;
    n.readIndex(Buffer.from("x"));
    net.stabilize();
    net.propose(1n, "between");
    n.readIndex(Buffer.from("y"));
    net.stabilize();
    assert.deepEqual(reads(net, 1n), []);
    net.recover();
    net.tickAll(1);
    assert.deepEqual(reads(net, 1n), [
      [1n, "x"],
      [2n, "y"],
    ]);
  });

  test("a new leader holds reads until it commits an entry of its term", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.propose(1n, "a");
    // 2 becomes leader but its first entry cannot commit yet.
    net.ignore(MessageType.MsgAppResp);
    net.campaign(2n);
    net.node(2n).node.readIndex(Buffer.from("held"));
    net.stabilize();
    assert.deepEqual(reads(net, 2n), []);
    net.recover();
    net.tickAll(1);
    assert.deepEqual(reads(net, 2n), [[3n, "held"]]);
  });

  test("a read without a leader is dropped silently (the caller retries)", () => {
    const net = new Network(ids(3));
    net.node(2n).node.readIndex(Buffer.from("nobody"));
    net.stabilize();
    assert.deepEqual(reads(net, 2n), []);
  });
});

describe("leader transfer", () => {
  test("to an up-to-date follower: it campaigns at once and wins", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.propose(1n, "a");
    net.node(1n).node.transferLeader(3n);
    net.stabilize();
    assert.equal(net.leader(), 3n);
    assert.equal(net.raft(1n).state, StateType.Follower);
    net.propose(3n, "b");
    assert.deepEqual(net.node(1n).appliedData, ["a", "b"]);
  });

  test("to a lagging follower: the leader catches it up first", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    for (let i = 0; i < 5; i++) net.propose(1n, `e${i}`);
    net.recover();
    net.node(1n).node.transferLeader(3n);
    net.stabilize();
    assert.equal(net.leader(), 3n);
    assert.equal(net.node(3n).appliedData.length, 5);
  });

  test("proposals are dropped while a transfer is in progress; it aborts after an election timeout", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    net.node(1n).node.transferLeader(3n);
    net.stabilize();
    assert.equal(net.raft(1n).leadTransferee, 3n);
    assert.throws(() => net.node(1n).node.propose(Buffer.from("x")), ProposalDroppedError);
    net.tick(1n, 10);
    assert.equal(net.raft(1n).leadTransferee, 0n);
    assert.equal(net.raft(1n).state, StateType.Leader);
    net.propose(1n, "accepted again");
    assert.deepEqual(net.node(2n).appliedData, ["accepted again"]);
  });

  test("requests to self, to a learner, and from a follower", () => {
    const net = new Network(ids(3), { learners: [3n] });
    net.campaign(1n);
    net.node(1n).node.transferLeader(1n);
    net.node(1n).node.transferLeader(3n);
    net.stabilize();
    assert.equal(net.leader(), 1n);
    assert.equal(net.raft(1n).leadTransferee, 0n);
    // A follower forwards the request to the leader.
    net.node(2n).node.transferLeader(2n);
    net.stabilize();
    assert.equal(net.leader(), 2n);
  });

  test("a second transfer to another node replaces the first", () => {
    const net = new Network(ids(3));
    net.campaign(1n);
    net.isolate(3n);
    net.node(1n).node.transferLeader(3n);
    net.stabilize();
    net.recover();
    net.node(1n).node.transferLeader(2n);
    net.stabilize();
    assert.equal(net.leader(), 2n);
  });
});
