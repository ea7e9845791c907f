/**
 * Applies committed membership changes (EntryConfChange) and keeps the
 * configuration raft last reported (ConfState): validated against the
 * replicated membership first — a refused change still occupies its log
 * index but changes nothing — then raft's configuration (saved beside the
 * consistent index), the members store, and the peer set. Applying this
 * member's own removal starts {@link MemberRemoval}.
 * @module
 */
import { ConfChangeType, type ConfChange, type ConfState } from "../../gen/raftpb/raft.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Backend } from "../../storage/backend/index.js";
import { saveConfState } from "./conf-state.js";
import { decodeConfChangeContext, decodeMember } from "./member.js";
import type { MembershipStore } from "./membership-store.js";

/** The outcome the member that proposed the change waits for (an apply result). */
export type ConfChangeOutcome = { readonly ok: true; readonly response: undefined } | { readonly ok: false; readonly error: EtcdError };

export interface ConfChangeApplierDeps {
  memberId: bigint;
  membership: MembershipStore;
  /** Raft's configuration change; returns the configuration after it. */
  raft: { applyConfChange(cc: ConfChange): ConfState };
  backend: Backend;
  /** Learners allowed at once (--max-learners). */
  maxLearners: number;
  /** The membership changed: peers are added, updated or dropped to match. */
  onMembersChanged(): void;
  /** This member applied its own removal. */
  onRemoved(): void;
}

export class ConfChangeApplier {
  readonly #deps: ConfChangeApplierDeps;
  #confState: ConfState;

  constructor(deps: ConfChangeApplierDeps, initial: ConfState) {
    this.#deps = deps;
    this.#confState = initial;
  }

  /** Raft's configuration as of the last applied change (or installed snapshot). */
  get confState(): ConfState {
    return this.#confState;
  }

  isVoter(id: bigint): boolean {
    return this.#confState.voters.includes(id);
  }

  isLearner(id: bigint): boolean {
    return this.#confState.learners.includes(id);
  }

  /** A snapshot replaced the state: its configuration is now the current one. */
  reset(confState: ConfState): void {
    this.#confState = confState;
  }

  apply(cc: ConfChange): ConfChangeOutcome {
    const d = this.#deps;
    const refused = d.membership.validate(cc, d.maxLearners);
    if (refused !== undefined) return { ok: false, error: new EtcdError(refused) };
    this.#confState = d.raft.applyConfChange(cc);
    saveConfState(d.backend, this.#confState);
    switch (cc.type) {
      case ConfChangeType.ConfChangeAddNode:
      case ConfChangeType.ConfChangeAddLearnerNode: {
        const { member, isPromote } = decodeConfChangeContext(cc.context);
        if (isPromote) d.membership.promote(member.id);
        else d.membership.add(member);
        break;
      }
      case ConfChangeType.ConfChangeRemoveNode:
        d.membership.remove(cc.nodeId);
        if (cc.nodeId === d.memberId) d.onRemoved();
        break;
      case ConfChangeType.ConfChangeUpdateNode:
        d.membership.setPeerUrls(cc.nodeId, decodeMember(cc.context).peerUrls);
        break;
    }
    d.onMembersChanged();
    return { ok: true, response: undefined };
  }
}
