/**
 * The leader's view of the cluster: the active configuration (voters,
 * learners) and a Progress per member, plus the votes of an election.
 * @module
 */
import type { ConfState } from "../../gen/raftpb/raft.js";
import { JointConfig } from "../quorum/joint.js";
import { MajorityConfig } from "../quorum/majority.js";
import { VoteResult } from "../quorum/quorum.js";
import type { AckedIndexer } from "../quorum/quorum.js";
import { NO_LIMIT, sortedIds } from "../util.js";
import type { Progress } from "./progress.js";

/** The membership: who votes (possibly jointly) and who only learns. */
export class TrackerConfig {
  voters: JointConfig;
  /**
   * Leave the joint configuration automatically once it is applied (set when
   * the joint config was entered with an implicit/auto transition).
   */
  autoLeave: boolean;
  /** Non-voting members. Disjoint from both halves of `voters`. */
  learners: Set<bigint>;
  /**
   * Voters of the outgoing half that become learners when the joint config
   * is left (they cannot be both voter and learner at once).
   */
  learnersNext: Set<bigint>;

  constructor(voters?: JointConfig, autoLeave = false, learners?: Set<bigint>, learnersNext?: Set<bigint>) {
    this.voters = voters ?? new JointConfig();
    this.autoLeave = autoLeave;
    this.learners = learners ?? new Set();
    this.learnersNext = learnersNext ?? new Set();
  }

  clone(): TrackerConfig {
    return new TrackerConfig(this.voters.clone(), this.autoLeave, new Set(this.learners), new Set(this.learnersNext));
  }

  /** e.g. "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(3) autoleave". */
  toString(): string {
    let s = `voters=${this.voters}`;
    if (this.learners.size > 0) s += ` learners=${new MajorityConfig(this.learners)}`;
    if (this.learnersNext.size > 0) s += ` learners_next=${new MajorityConfig(this.learnersNext)}`;
    if (this.autoLeave) s += " autoleave";
    return s;
  }
}

export type ProgressMap = Map<bigint, Progress>;

export class ProgressTracker implements AckedIndexer {
  config: TrackerConfig = new TrackerConfig();
  #progress: ProgressMap = new Map();
  #ids: bigint[] = [];
  votes = new Map<bigint, boolean>();
  readonly maxInflight: number;
  readonly maxInflightBytes: number;

  constructor(maxInflight: number, maxInflightBytes: number = NO_LIMIT) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
  }

  get progress(): ReadonlyMap<bigint, Progress> {
    return this.#progress;
  }

  /** Installs a new configuration and progress map (from the changer). */
  setConfig(cfg: TrackerConfig, prs: ProgressMap): void {
    this.config = cfg;
    this.#progress = prs;
    this.#ids = sortedIds(prs.keys());
  }

  /** A copy of the progress map, for a tentative configuration change. */
  copyProgress(): ProgressMap {
    const m: ProgressMap = new Map();
    for (const [id, pr] of this.#progress) m.set(id, pr.clone());
    return m;
  }

  /** Every member id (voters and learners), ascending. */
  ids(): readonly bigint[] {
    return this.#ids;
  }

  ackedIndex(id: bigint): bigint | undefined {
    return this.#progress.get(id)?.match;
  }

  confState(): ConfState {
    const c = this.config;
    return {
      voters: c.voters.incoming.slice(),
      learners: sortedIds(c.learners),
      votersOutgoing: c.voters.outgoing.slice(),
      learnersNext: sortedIds(c.learnersNext),
      autoLeave: c.autoLeave,
    };
  }

  /** True when the only voter is a single node (and not joint). */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  /** The largest index acknowledged by a quorum of voters. */
  committed(): bigint {
    return this.config.voters.committedIndex(this);
  }

  /** Calls `f` for every member in ascending id order. */
  visit(f: (id: bigint, pr: Progress) => void): void {
    const ids = this.#ids;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      f(id, this.#progress.get(id)!);
    }
  }

  /** Whether a quorum of voters was recently active (for CheckQuorum). */
  quorumActive(): boolean {
    const votes = new Map<bigint, boolean>();
    for (const [id, pr] of this.#progress) {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    }
    return this.config.voters.voteResult(votes) === VoteResult.VoteWon;
  }

  voterNodes(): bigint[] {
    return sortedIds(this.config.voters.ids());
  }

  learnerNodes(): bigint[] {
    return sortedIds(this.config.learners);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records the first vote of `id` (later ones are ignored). */
  recordVote(id: bigint, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** Counts granted and rejected votes among voters, and the election result. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.#progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }
}
