/**
 * Rebuilds a tracker configuration from a ConfState (from a snapshot or from
 * storage at startup) by replaying it as a sequence of changes through the
 * Changer, so that the same validation applies as for live changes.
 * @module
 */
import { ConfChangeType } from "../../gen/raftpb/raft.js";
import type { ConfChangeSingle, ConfState } from "../../gen/raftpb/raft.js";
import { ProgressTracker } from "../tracker/tracker.js";
import { Changer } from "./changer.js";
import type { ChangeResult } from "./changer.js";

/**
 * Splits a ConfState into the changes that build the outgoing config and
 * the changes that then produce the incoming one.
 */
function toConfChangeSingles(cs: ConfState): { outgoing: ConfChangeSingle[]; incoming: ConfChangeSingle[] } {
  const add = (nodeId: bigint): ConfChangeSingle => ({ type: ConfChangeType.ConfChangeAddNode, nodeId });
  const learner = (nodeId: bigint): ConfChangeSingle => ({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId });
  const removeNode = (nodeId: bigint): ConfChangeSingle => ({ type: ConfChangeType.ConfChangeRemoveNode, nodeId });
  // The outgoing voters, added one by one, form a plain config first.
  const outgoing = cs.votersOutgoing.map(add);
  // On top of it: drop the outgoing voters, then add the incoming voters,
  // the learners, and the outgoing voters that become learners later.
  const incoming = [
    ...cs.votersOutgoing.map(removeNode),
    ...cs.voters.map(add),
    ...cs.learners.map(learner),
    ...cs.learnersNext.map(learner),
  ];
  return { outgoing, incoming };
}

/**
 * The configuration described by `cs`, built on an empty tracker with the
 * limits of `chg.tracker` and new members probing from `chg.lastIndex`.
 */
export function restore(chg: Changer, cs: ConfState): ChangeResult {
  const { outgoing, incoming } = toConfChangeSingles(cs);
  let tracker = new ProgressTracker(chg.tracker.maxInflight, chg.tracker.maxInflightBytes);
  tracker.setConfig(chg.tracker.config.clone(), chg.tracker.copyProgress());
  const step = (f: (c: Changer) => ChangeResult): void => {
    const res = f(new Changer(tracker, chg.lastIndex));
    tracker = new ProgressTracker(chg.tracker.maxInflight, chg.tracker.maxInflightBytes);
    tracker.setConfig(res.config, res.progress);
  };
  if (outgoing.length === 0) {
    // Not joint: apply the incoming changes one at a time.
    for (const cc of incoming) step((c) => c.simple([cc]));
  } else {
    // Joint, e.g. (1 2 3)&&(2 3 4): first make (2 3 4) the plain config,
    // then enter the joint config with the incoming changes.
    for (const cc of outgoing) step((c) => c.simple([cc]));
    step((c) => c.enterJoint(cs.autoLeave, incoming));
  }
  return { config: tracker.config, progress: new Map(tracker.progress) };
}
