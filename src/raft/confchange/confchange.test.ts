import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfChangeType } from "../../gen/raftpb/raft.js";
import type { ConfChangeSingle, ConfState } from "../../gen/raftpb/raft.js";
import { SeededRandom } from "../../pkg/random.js";
import { InvalidConfChangeError } from "../errors.js";
import { ProgressTracker } from "../tracker/tracker.js";
import { Changer } from "./changer.js";
import type { ChangeResult } from "./changer.js";
import { confChangesFromString, confChangesToString, enterJoint, leaveJoint } from "./conf-change.js";
import { restore } from "./restore.js";
import { sortedIds } from "../util.js";

function tracker(res?: ChangeResult): ProgressTracker {
  const t = new ProgressTracker(10);
  if (res !== undefined) t.setConfig(res.config, res.progress);
  return t;
}

function apply(t: ProgressTracker, f: (c: Changer) => ChangeResult): ProgressTracker {
  return tracker(f(new Changer(t, 10n)));
}

test("simple changes: add, promote, demote, remove, and their limits", () => {
  let t = tracker();
  t = apply(t, (c) => c.simple(confChangesFromString("v1")));
  t = apply(t, (c) => c.simple(confChangesFromString("v2")));
  t = apply(t, (c) => c.simple(confChangesFromString("l3")));
  assert.equal(t.config.toString(), "voters=(1 2) learners=(3)");
  t = apply(t, (c) => c.simple(confChangesFromString("v3")));
  assert.equal(t.config.toString(), "voters=(1 2 3)");
  t = apply(t, (c) => c.simple(confChangesFromString("l2")));
  assert.equal(t.config.toString(), "voters=(1 3) learners=(2)");
  assert.equal(t.progress.get(2n)?.isLearner, true);
  assert.throws(() => apply(t, (c) => c.simple(confChangesFromString("v4 v5"))), /more than one voter changed/);
  assert.throws(() => apply(t, (c) => c.simple(confChangesFromString("r1 r3"))), /removed all voters|more than one voter/);
  // Learner changes and updates never count as voter changes.
  t = apply(t, (c) => c.simple(confChangesFromString("l4 l5 u1")));
  assert.equal(t.config.toString(), "voters=(1 3) learners=(2 4 5)");
  // New members probe from the last index.
  assert.equal(t.progress.get(4n)?.next, 10n);
  assert.equal(t.progress.get(4n)?.recentActive, true);
});

test("joint consensus: enter, learnersNext, leave", () => {
  let t = tracker();
  for (const s of ["v1", "v2", "v3"]) t = apply(t, (c) => c.simple(confChangesFromString(s)));
  // Replace 3 by 4 and demote 1 to learner in one joint step.
  t = apply(t, (c) => c.enterJoint(true, confChangesFromString("r3 v4 l1")));
  assert.equal(t.config.toString(), "voters=(2 4)&&(1 2 3) learners_next=(1) autoleave");
  assert.equal(t.progress.get(1n)?.isLearner, false, "still voting in the outgoing half");
  assert.throws(() => apply(t, (c) => c.enterJoint(false, [])), /already joint/);
  assert.throws(() => apply(t, (c) => c.simple(confChangesFromString("v5"))), /in joint config/);
  t = apply(t, (c) => c.leaveJoint());
  assert.equal(t.config.toString(), "voters=(2 4) learners=(1)");
  assert.equal(t.progress.has(3n), false);
  assert.equal(t.progress.get(1n)?.isLearner, true);
  assert.throws(() => apply(t, (c) => c.leaveJoint()), /non-joint/);
});

test("conf change helpers classify transitions", () => {
  const v2 = (changes: string, transition = 0) => ({ transition, changes: confChangesFromString(changes), context: Buffer.alloc(0) });
  assert.equal(enterJoint(v2("v1")), undefined);
  assert.deepEqual(enterJoint(v2("v1 v2")), { autoLeave: true });
  assert.deepEqual(enterJoint(v2("v1", 1)), { autoLeave: true });
  assert.deepEqual(enterJoint(v2("v1", 2)), { autoLeave: false });
  assert.equal(leaveJoint(v2("")), true);
  assert.equal(leaveJoint(v2("", 2)), false);
  assert.equal(confChangesToString(confChangesFromString(" v1  l2 r3 u4 ")), "v1 l2 r3 u4");
});

function randomChanges(r: SeededRandom, n: number): ConfChangeSingle[] {
  const types = [
    ConfChangeType.ConfChangeAddNode,
    ConfChangeType.ConfChangeAddLearnerNode,
    ConfChangeType.ConfChangeRemoveNode,
  ];
  return Array.from({ length: n }, () => ({ type: types[r.intn(3)]!, nodeId: BigInt(1 + r.intn(9)) }));
}

function sameConfig(a: ProgressTracker, b: ProgressTracker): boolean {
  return a.config.toString() === b.config.toString() && sortedIds(a.progress.keys()).join() === sortedIds(b.progress.keys()).join();
}

test("property: a batch applied one change at a time equals entering and leaving a joint config", () => {
  // Applying changes one by one (each a valid simple change) must reach the
  // same configuration as applying them all jointly and then leaving.
  const r = new SeededRandom(3);
  let compared = 0;
  for (let i = 0; i < 3000; i++) {
    let base = tracker();
    for (const s of ["v1", "v2", "v3"]) base = apply(base, (c) => c.simple(confChangesFromString(s)));
    const ccs = randomChanges(r, 1 + r.intn(5));
    let one = base;
    try {
      for (const cc of ccs) one = apply(one, (c) => c.simple([cc]));
    } catch (err) {
      assert.ok(err instanceof InvalidConfChangeError);
      continue;
    }
    let joint: ProgressTracker;
    try {
      joint = apply(base, (c) => c.enterJoint(false, ccs));
      joint = apply(joint, (c) => c.leaveJoint());
    } catch (err) {
      assert.ok(err instanceof InvalidConfChangeError);
      continue;
    }
    assert.ok(sameConfig(one, joint), `changes ${confChangesToString(ccs)}: ${one.config} vs ${joint.config}`);
    compared++;
  }
  assert.ok(compared > 500, `only ${compared} comparable cases`);
});

test("property: restore(confState) rebuilds the configuration it came from", () => {
  const r = new SeededRandom(4);
  for (let i = 0; i < 2000; i++) {
    let t = tracker();
    t = apply(t, (c) => c.simple(confChangesFromString("v1")));
    // Random walk of valid changes, sometimes ending in a joint config.
    for (let k = 0; k < 6; k++) {
      const ccs = randomChanges(r, 1 + r.intn(3));
      try {
        if (t.config.voters.isJoint()) t = apply(t, (c) => c.leaveJoint());
        else if (r.intn(3) === 0) t = apply(t, (c) => c.enterJoint(r.intn(2) === 0, ccs));
        else t = apply(t, (c) => c.simple(ccs.slice(0, 1)));
      } catch (err) {
        assert.ok(err instanceof InvalidConfChangeError);
      }
    }
    const cs: ConfState = t.confState();
    const res = restore(new Changer(new ProgressTracker(10), 5n), cs);
    const back = tracker(res);
    assert.deepEqual(back.confState(), cs);
  }
});
