/**
 * The term and commit index raft last reported (each Ready's hard state):
 * response headers carry the term; proposals, lease renewals, Status and
 * metrics read the commit index.
 * @module
 */
import type { HardState } from "../../gen/raftpb/raft.js";

export class LastHardState {
  #term: bigint;
  #commit: bigint;

  constructor(restored?: HardState) {
    this.#term = restored?.term ?? 0n;
    this.#commit = restored?.commit ?? 0n;
  }

  get term(): bigint {
    return this.#term;
  }

  get commit(): bigint {
    return this.#commit;
  }

  observe(hs: HardState): void {
    this.#term = hs.term;
    this.#commit = hs.commit;
  }
}
