import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfChangeType, type ConfChange, type ConfState } from "../../gen/raftpb/raft.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import { ConfChangeApplier } from "./conf-change-applier.js";
import { loadConfState } from "./conf-state.js";
import { encodeConfChangeContext, type Member } from "./member.js";
import { MembershipStore } from "./membership-store.js";

const member = (id: bigint, isLearner = false): Member => ({ id, name: "", peerUrls: [`http://127.0.0.1:${2380 + Number(id)}`], clientUrls: [], isLearner });
const change = (type: ConfChangeType, m: Member, isPromote = false): ConfChange => ({ id: 0n, type, nodeId: m.id, context: encodeConfChangeContext(m, isPromote) });

function setup(memberId = 1n) {
  const backend = new MemoryBackend();
  const membership = new MembershipStore(backend);
  const raftCalls: ConfChange[] = [];
  let voters: bigint[] = [];
  let learners: bigint[] = [];
  const events: string[] = [];
  const raft = {
    applyConfChange(cc: ConfChange): ConfState {
      raftCalls.push(cc);
      if (cc.type === ConfChangeType.ConfChangeAddNode) {
        learners = learners.filter((id) => id !== cc.nodeId);
        voters = [...voters, cc.nodeId];
      } else if (cc.type === ConfChangeType.ConfChangeAddLearnerNode) learners = [...learners, cc.nodeId];
      else if (cc.type === ConfChangeType.ConfChangeRemoveNode) voters = voters.filter((id) => id !== cc.nodeId);
      return { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    },
  };
  const applier = new ConfChangeApplier(
    { memberId, membership, raft, backend, maxLearners: 1, onMembersChanged: () => events.push("members"), onRemoved: () => events.push("removed") },
    { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
  );
  return { backend, membership, applier, raftCalls, events };
}

test("an applied change reaches raft, the saved configuration, the members store and the peers", () => {
  const { backend, membership, applier, raftCalls, events } = setup();
  assert.deepEqual(applier.apply(change(ConfChangeType.ConfChangeAddNode, member(1n))), { ok: true, response: undefined });
  assert.deepEqual(applier.apply(change(ConfChangeType.ConfChangeAddLearnerNode, member(2n, true))), { ok: true, response: undefined });
  assert.equal(raftCalls.length, 2);
  assert.deepEqual(applier.confState.voters, [1n]);
  assert.equal(applier.isVoter(1n), true);
  assert.equal(applier.isLearner(2n), true);
  assert.deepEqual(loadConfState(backend)?.learners, [2n]);
  assert.deepEqual(membership.members().map((m) => [m.id, m.isLearner]), [[1n, false], [2n, true]]);
  assert.deepEqual(events, ["members", "members"]);

  applier.apply(change(ConfChangeType.ConfChangeAddNode, member(2n), true));
  assert.equal(membership.member(2n)?.isLearner, false);
  assert.equal(applier.isVoter(2n), true);
});

test("a refused change keeps its log index but changes nothing: raft, members and peers untouched", () => {
  const { membership, applier, raftCalls, events } = setup();
  applier.apply(change(ConfChangeType.ConfChangeAddNode, member(1n)));
  const result = applier.apply(change(ConfChangeType.ConfChangeAddNode, member(1n)));
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.kind, "MemberExist");
  assert.equal(raftCalls.length, 1);
  assert.equal(membership.members().length, 1);
  assert.deepEqual(events, ["members"]);
});

test("applying this member's own removal starts the removal; another member's does not", () => {
  const { applier, events } = setup(1n);
  applier.apply(change(ConfChangeType.ConfChangeAddNode, member(1n)));
  applier.apply(change(ConfChangeType.ConfChangeAddNode, member(2n)));
  applier.apply({ id: 0n, type: ConfChangeType.ConfChangeRemoveNode, nodeId: 2n, context: Buffer.alloc(0) });
  assert.deepEqual(events, ["members", "members", "members"]);
  applier.apply({ id: 0n, type: ConfChangeType.ConfChangeRemoveNode, nodeId: 1n, context: Buffer.alloc(0) });
  assert.deepEqual(events, ["members", "members", "members", "removed", "members"]);
  assert.deepEqual(applier.confState.voters, []);
});

test("reset: an installed snapshot's configuration becomes the current one", () => {
  const { applier } = setup();
  applier.reset({ voters: [5n], learners: [6n], votersOutgoing: [], learnersNext: [], autoLeave: false });
  assert.equal(applier.isVoter(5n), true);
  assert.equal(applier.isLearner(6n), true);
});
