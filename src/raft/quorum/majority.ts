/**
 * A simple majority configuration: a set of voters of which more than half
 * must agree.
 * @module
 */
import { compareBig } from "../util.js";
import { INFINITE_INDEX, VoteResult } from "./quorum.js";
import type { AckedIndexer } from "./quorum.js";

export class MajorityConfig {
  readonly ids: Set<bigint>;

  constructor(ids?: Iterable<bigint>) {
    this.ids = new Set(ids);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: bigint): boolean {
    return this.ids.has(id);
  }

  /** The ids sorted ascending. */
  slice(): bigint[] {
    return [...this.ids].sort(compareBig);
  }

  clone(): MajorityConfig {
    return new MajorityConfig(this.ids);
  }

  /** "(1 2 3)": sorted ids in parentheses. */
  toString(): string {
    return `(${this.slice().join(" ")})`;
  }

  /**
   * The largest index acknowledged by a majority: sort the acked indexes
   * (unknown voters count as 0) and take the one a majority is at or above.
   * An empty configuration commits everything ({@link INFINITE_INDEX}).
   */
  committedIndex(l: AckedIndexer): bigint {
    const n = this.ids.size;
    if (n === 0) return INFINITE_INDEX;
    const srt: bigint[] = new Array<bigint>(n);
    let k = 0;
    for (const id of this.ids) srt[k++] = l.ackedIndex(id) ?? 0n;
    // Insertion sort: configurations are small and this runs on every ack.
    for (let i = 1; i < n; i++) {
      const v = srt[i]!;
      let j = i;
      while (j > 0 && srt[j - 1]! > v) {
        srt[j] = srt[j - 1]!;
        j--;
      }
      srt[j] = v;
    }
    // With ascending order, the element at n - (n/2 + 1) is the highest index
    // that at least a majority (n/2 + 1 voters) has reached.
    return srt[n - ((n >> 1) + 1)]!;
  }

  /**
   * Counts `votes` (true = granted) against this configuration. An empty
   * configuration wins any vote (so a joint config with an empty half reduces
   * to the other half).
   */
  voteResult(votes: ReadonlyMap<bigint, boolean>): VoteResult {
    const n = this.ids.size;
    if (n === 0) return VoteResult.VoteWon;
    let yes = 0;
    let missing = 0;
    for (const id of this.ids) {
      const v = votes.get(id);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = (n >> 1) + 1;
    if (yes >= q) return VoteResult.VoteWon;
    if (yes + missing >= q) return VoteResult.VotePending;
    return VoteResult.VoteLost;
  }
}
