/**
 * A joint configuration: two majority configurations (incoming and
 * outgoing) that must both agree. Outside of a membership change the outgoing
 * half is empty and the joint config behaves exactly like the incoming one.
 * @module
 */
import { MajorityConfig } from "./majority.js";
import { VoteResult } from "./quorum.js";
import type { AckedIndexer } from "./quorum.js";

export class JointConfig {
  readonly incoming: MajorityConfig;
  readonly outgoing: MajorityConfig;

  constructor(incoming?: MajorityConfig, outgoing?: MajorityConfig) {
    this.incoming = incoming ?? new MajorityConfig();
    this.outgoing = outgoing ?? new MajorityConfig();
  }

  clone(): JointConfig {
    return new JointConfig(this.incoming.clone(), this.outgoing.clone());
  }

  /** Every voter of either half. */
  ids(): Set<bigint> {
    const s = new Set(this.incoming.ids);
    for (const id of this.outgoing.ids) s.add(id);
    return s;
  }

  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** "(1 2 3)" or "(1 2 3)&&(1 2)" when joint. */
  toString(): string {
    if (this.outgoing.size > 0) return `${this.incoming}&&${this.outgoing}`;
    return this.incoming.toString();
  }

  /** The largest index committed in both halves (their minimum). */
  committedIndex(l: AckedIndexer): bigint {
    const a = this.incoming.committedIndex(l);
    const b = this.outgoing.committedIndex(l);
    return a < b ? a : b;
  }

  /** Won only if both halves won; lost if either lost; otherwise pending. */
  voteResult(votes: ReadonlyMap<bigint, boolean>): VoteResult {
    const r1 = this.incoming.voteResult(votes);
    const r2 = this.outgoing.voteResult(votes);
    if (r1 === r2) return r1;
    if (r1 === VoteResult.VoteLost || r2 === VoteResult.VoteLost) return VoteResult.VoteLost;
    return VoteResult.VotePending;
  }
}
