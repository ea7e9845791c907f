/**
 * Computes the configuration that results from a membership change, without
 * touching the live tracker: each operation works on copies and returns the
 * new configuration and progress map (or throws InvalidConfChangeError),
 * which raft then installs.
 *
 * Joint consensus (Raft thesis §4.3): entering a joint configuration copies
 * the current voters into the outgoing half and applies the changes to the
 * incoming half; decisions then need a majority of both. Leaving drops the
 * outgoing half. A "simple" change may alter at most one voter, which is safe
 * without the joint step.
 * @module
 */
import type { ConfChangeSingle } from "../../gen/raftpb/raft.js";
import { ConfChangeType } from "../../gen/raftpb/raft.js";
import { InvalidConfChangeError } from "../errors.js";
import { Inflights } from "../tracker/inflights.js";
import { Progress } from "../tracker/progress.js";
import type { ProgressMap, ProgressTracker, TrackerConfig } from "../tracker/tracker.js";

export interface ChangeResult {
  config: TrackerConfig;
  progress: ProgressMap;
}

export class Changer {
  readonly tracker: ProgressTracker;
  /** The leader's last index: new members start probing from here. */
  readonly lastIndex: bigint;

  constructor(tracker: ProgressTracker, lastIndex: bigint) {
    this.tracker = tracker;
    this.lastIndex = lastIndex;
  }

  /**
   * Enters a joint configuration: the current voters become the outgoing
   * half and `ccs` are applied to the incoming half.
   */
  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ChangeResult {
    const { config: cfg, progress: prs } = this.#checkAndCopy();
    if (cfg.voters.isJoint()) fail("config is already joint");
    if (cfg.voters.incoming.size === 0) fail("can't make a zero-voter config joint");
    cfg.voters.outgoing.ids.clear();
    for (const id of cfg.voters.incoming.ids) cfg.voters.outgoing.ids.add(id);
    this.#apply(cfg, prs, ccs);
    cfg.autoLeave = autoLeave;
    return checkAndReturn(cfg, prs);
  }

  /**
   * Leaves a joint configuration: learnersNext become learners, and members
   * only in the outgoing half are dropped.
   */
  leaveJoint(): ChangeResult {
    const { config: cfg, progress: prs } = this.#checkAndCopy();
    if (!cfg.voters.isJoint()) fail("can't leave a non-joint config");
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      prs.get(id)!.isLearner = true;
    }
    cfg.learnersNext.clear();
    for (const id of cfg.voters.outgoing.ids) {
      if (!cfg.voters.incoming.has(id) && !cfg.learners.has(id)) prs.delete(id);
    }
    cfg.voters.outgoing.ids.clear();
    cfg.autoLeave = false;
    return checkAndReturn(cfg, prs);
  }

  /**
   * Applies changes directly (no joint step). Refused in a joint config and
   * when more than one voter would change.
   */
  simple(ccs: readonly ConfChangeSingle[]): ChangeResult {
    const { config: cfg, progress: prs } = this.#checkAndCopy();
    if (cfg.voters.isJoint()) fail("can't apply simple config change in joint config");
    this.#apply(cfg, prs, ccs);
    if (symdiff(this.tracker.config.voters.incoming.ids, cfg.voters.incoming.ids) > 1) {
      fail("more than one voter changed without entering joint config");
    }
    return checkAndReturn(cfg, prs);
  }

  #apply(cfg: TrackerConfig, prs: ProgressMap, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      // A zero id is a no-op (etcd uses it for "nothing").
      if (cc.nodeId === 0n) continue;
      switch (cc.type) {
        case ConfChangeType.ConfChangeAddNode:
          this.#makeVoter(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeAddLearnerNode:
          this.#makeLearner(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeRemoveNode:
          remove(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeUpdateNode:
          break;
        default:
          fail(`unexpected conf type ${String(cc.type)}`);
      }
    }
    if (cfg.voters.incoming.size === 0) fail("removed all voters");
  }

  #makeVoter(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.#initProgress(cfg, prs, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.voters.incoming.ids.add(id);
  }

  /**
   * Makes `id` a learner. A voter of the outgoing half cannot become a learner
   * while the joint config lasts, so it is parked in learnersNext instead.
   */
  #makeLearner(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.#initProgress(cfg, prs, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Drop it as a voter, but keep its progress.
    remove(cfg, prs, id);
    prs.set(id, pr);
    if (cfg.voters.outgoing.has(id)) {
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  #initProgress(cfg: TrackerConfig, prs: ProgressMap, id: bigint, isLearner: boolean): void {
    if (isLearner) cfg.learners.add(id);
    else cfg.voters.incoming.ids.add(id);
    const next = this.lastIndex > 1n ? this.lastIndex : 1n;
    const pr = new Progress(next, new Inflights(this.tracker.maxInflight, this.tracker.maxInflightBytes), isLearner);
    // A new member counts as active, so CheckQuorum does not depose the
    // leader before the member had a chance to answer.
    pr.recentActive = true;
    prs.set(id, pr);
  }

  #checkAndCopy(): ChangeResult {
    const cfg = this.tracker.config.clone();
    const prs = this.tracker.copyProgress();
    return checkAndReturn(cfg, prs);
  }
}

/** Removes `id` as voter and learner; its progress stays while it is an outgoing voter. */
function remove(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
  if (!prs.has(id)) return;
  cfg.voters.incoming.ids.delete(id);
  cfg.learners.delete(id);
  cfg.learnersNext.delete(id);
  if (!cfg.voters.outgoing.has(id)) prs.delete(id);
}

function checkAndReturn(cfg: TrackerConfig, prs: ProgressMap): ChangeResult {
  checkInvariants(cfg, prs);
  return { config: cfg, progress: prs };
}

/** Throws unless the configuration and progress map are consistent. */
export function checkInvariants(cfg: TrackerConfig, prs: ProgressMap): void {
  for (const ids of [cfg.voters.ids(), cfg.learners, cfg.learnersNext]) {
    for (const id of ids) if (!prs.has(id)) fail(`no progress for ${id}`);
  }
  // learnersNext: outgoing voters that will become learners on leaving.
  for (const id of cfg.learnersNext) {
    if (!cfg.voters.outgoing.has(id)) fail(`${id} is in LearnersNext, but not Voters[1]`);
    if (prs.get(id)!.isLearner) fail(`${id} is in LearnersNext, but is already marked as learner`);
  }
  // Learners and voters are disjoint.
  for (const id of cfg.learners) {
    if (cfg.voters.outgoing.has(id)) fail(`${id} is in Learners and Voters[1]`);
    if (cfg.voters.incoming.has(id)) fail(`${id} is in Learners and Voters[0]`);
    if (!prs.get(id)!.isLearner) fail(`${id} is in Learners, but is not marked as learner`);
  }
  if (!cfg.voters.isJoint()) {
    if (cfg.learnersNext.size > 0) fail("LearnersNext must be nil when not joint");
    if (cfg.autoLeave) fail("AutoLeave must be false when not joint");
  }
}

function symdiff(l: ReadonlySet<bigint>, r: ReadonlySet<bigint>): number {
  let n = 0;
  for (const id of l) if (!r.has(id)) n++;
  for (const id of r) if (!l.has(id)) n++;
  return n;
}

function fail(msg: string): never {
  throw new InvalidConfChangeError(msg);
}
