/**
 * What the proposer proposes to (its ProposalTarget), over this member's
 * raft node: proposals go
 * into raft and wake the Ready loop. Raft drops a proposal it cannot take
 * (no leader, a leader transfer in progress); clients then see etcd's
 * errors: "no leader" or "request timed out, possibly due to previous
 * leader failure".
 * @module
 */
import type { ConfChange } from "../../gen/raftpb/raft.js";
import { EtcdError } from "../../pkg/errors.js";
import { ProposalDroppedError } from "../../raft/index.js";
import type { RawNode } from "./node.js";

export interface RaftTargetDeps {
  raft: Pick<RawNode, "propose" | "proposeConfChange">;
  driver: { wake(): void };
  leadership: { readonly hasLeader: boolean };
  hardState: { readonly commit: bigint };
  applied: { readonly value: bigint };
}

export class RaftProposalTarget {
  readonly #deps: RaftTargetDeps;

  constructor(deps: RaftTargetDeps) {
    this.#deps = deps;
  }

  propose(data: Buffer): void {
    try {
      this.#deps.raft.propose(data);
    } catch (err) {
      throw this.#refusal(err);
    }
  }

  proposeConfChange(cc: ConfChange): void {
    try {
      this.#deps.raft.proposeConfChange(cc);
    } catch (err) {
      throw this.#refusal(err);
    }
  }

  wake(): void {
    this.#deps.driver.wake();
  }

  committedIndex(): bigint {
    return this.#deps.hardState.commit;
  }

  appliedIndex(): bigint {
    return this.#deps.applied.value;
  }

  #refusal(err: unknown): unknown {
    if (err instanceof ProposalDroppedError) return new EtcdError(this.#deps.leadership.hasLeader ? "TimeoutDueToLeaderFail" : "NoLeader", { cause: err });
    return err;
  }
}
