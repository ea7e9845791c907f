import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { nullLogger } from "../../pkg/logger.js";
import { Leadership } from "./leadership.js";
import { RaftRole } from "./node.js";

function setup(progress?: Map<bigint, { match: bigint }>, voters: bigint[] = [1n, 2n, 3n]) {
  const clock = new ManualClock();
  const asked: bigint[] = [];
  let wakes = 0;
  const raft = {
    transferLeader: (id: bigint) => void asked.push(id),
    status: () => ({ progress, config: { voters } }),
  };
  const leadership = new Leadership({ memberId: 1n, raft, wake: () => {
      wakes++;
    }, clock, logger: nullLogger });
  return { clock, asked, leadership, wakes: () => wakes };
}

const follower = (lead: bigint) => ({ lead, raftState: RaftRole.Follower });

test("transfer resolves when the target's leadership is reported, without polling", async () => {
  const { asked, leadership, wakes } = setup();
  leadership.observe({ lead: 1n, raftState: RaftRole.Leader });
  assert.equal(leadership.isLeader, true);
  const moved = leadership.transfer(2n, 5000);
  assert.deepEqual(asked, [2n]);
  assert.equal(wakes(), 1);
  leadership.observe(follower(0n));
  leadership.observe(follower(3n));
  let settled = false;
  void moved.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "another member's leadership does not settle it");
  leadership.observe(follower(2n));
  await moved;
  assert.equal(leadership.leader, 2n);
  assert.equal(leadership.isLeader, false);
});

test("transfer fails with etcd's leader-transfer timeout once the clock passes the timeout; at once when the target already leads", async () => {
  const { clock, leadership } = setup();
  leadership.observe({ lead: 1n, raftState: RaftRole.Leader });
  const moved = leadership.transfer(2n, 1000);
  clock.advance(999);
  clock.advance(1);
  await assert.rejects(moved, (e: unknown) => e instanceof EtcdError && e.kind === "TimeoutLeaderTransfer");
  assert.equal(clock.pendingTimers, 0);
  await leadership.transfer(1n, 1000);
});

test("stop fails waiting transfers as timed out", async () => {
  const { leadership, clock } = setup();
  const moved = leadership.transfer(3n, 1000);
  leadership.stop();
  await assert.rejects(moved, (e: unknown) => e instanceof EtcdError && e.kind === "TimeoutLeaderTransfer");
  assert.equal(clock.pendingTimers, 0);
  await assert.rejects(leadership.transfer(3n, 1000), (e: unknown) => e instanceof EtcdError && e.kind === "TimeoutLeaderTransfer");
});

test("whenLeaderKnown resolves at the first soft state with a leader", async () => {
  const { leadership } = setup();
  let known = false;
  void leadership.whenLeaderKnown().then(() => (known = true));
  leadership.observe(follower(0n));
  await new Promise((r) => setImmediate(r));
  assert.equal(known, false);
  assert.equal(leadership.observe(follower(3n)), 0n, "returns the leader known before");
  await new Promise((r) => setImmediate(r));
  assert.equal(known, true);
});

test("hand-over picks the most caught-up voter other than this member, and only on a leader", () => {
  const onFollower = setup(undefined);
  onFollower.leadership.handOver();
  assert.deepEqual(onFollower.asked, []);
  const progress = new Map([
    [1n, { match: 100n }],
    [2n, { match: 90n }],
    [3n, { match: 95n }],
    [4n, { match: 99n }],
  ]);
  const onLeader = setup(progress, [1n, 2n, 3n]);
  onLeader.leadership.handOver();
  assert.deepEqual(onLeader.asked, [3n], "4 is not a voter");
});
