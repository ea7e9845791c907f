/**
 * Cluster membership requests. Changes are raft conf changes: proposed,
 * validated when applied (identically on every member) and answered with the
 * member list after the change. --strict-reconfig-check refuses changes that
 * would leave fewer started members than a quorum.
 * @module
 */
import type {
  Member as WireMember,
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
} from "../../gen/etcdserverpb/rpc.js";
import { ConfChangeType } from "../../gen/raftpb/raft.js";
import { EtcdError } from "../../pkg/errors.js";
import { EtcdUrlError, parseEtcdUrl } from "../../pkg/go-url.js";
import type { ClusterApi, Credentials, HeaderSource } from "../api.js";
import { memberIdFor } from "./ids.js";
import { encodeConfChangeContext, encodeMember, type Member } from "./member.js";
import type { MembershipStore } from "./membership-store.js";
import type { Proposer } from "../proposals/proposer.js";
import type { LinearizableReads } from "../proposals/read-index.js";

/** What membership changes need to know about raft on this member. */
export interface RaftView {
  /** Match index per member, on the leader only (undefined elsewhere). */
  progressMatches(): Map<bigint, bigint> | undefined;
  memberId: bigint;
}

/** A learner is promotable once its log matches at least this share of the leader's. */
const LEARNER_READY_PERCENT = 0.9;

export interface ClusterDeps {
  membership: MembershipStore;
  header: HeaderSource;
  proposer: Proposer;
  reads: LinearizableReads;
  raft: RaftView;
  strictReconfigCheck: boolean;
  /** Unix seconds, mixed into a new member's id as etcd does. */
  nowSeconds(): number;
  /** Sends a promotion on to the leader (only the leader knows whether a learner caught up). */
  promoteOnLeader(req: MemberPromoteRequest, signal?: AbortSignal, creds?: Credentials): Promise<MemberPromoteResponse>;
}

export class ClusterRequests implements ClusterApi {
  readonly #deps: ClusterDeps;

  constructor(deps: ClusterDeps) {
    this.#deps = deps;
  }

  async memberList(req: MemberListRequest, signal?: AbortSignal): Promise<MemberListResponse> {
    if (req.linearizable) await this.#deps.reads.barrier(signal);
    return { header: this.#header(), members: this.#wireMembers() };
  }

  async memberAdd(req: MemberAddRequest, signal?: AbortSignal): Promise<MemberAddResponse> {
    const peerUrls = validPeerUrls(req.peerURLs);
    const { membership, strictReconfigCheck } = this.#deps;
    if (strictReconfigCheck && !req.isLearner && !membership.isReadyToAddVotingMember()) throw new EtcdError("MemberNotEnoughStarted");
    // A runtime-added member's id mixes in the time; its name stays empty until it starts.
    const member: Member = { id: memberIdFor(peerUrls, "", this.#deps.nowSeconds()), name: "", peerUrls, clientUrls: [], isLearner: req.isLearner };
    await this.#change(req.isLearner ? ConfChangeType.ConfChangeAddLearnerNode : ConfChangeType.ConfChangeAddNode, member.id, encodeConfChangeContext(member, false), signal);
    return { header: this.#header(), member: toWire(member), members: this.#wireMembers() };
  }

  async memberRemove(req: MemberRemoveRequest, signal?: AbortSignal): Promise<MemberRemoveResponse> {
    const { membership, strictReconfigCheck } = this.#deps;
    const target = membership.member(req.ID);
    if (strictReconfigCheck && target !== undefined && !target.isLearner && !membership.isReadyToRemoveVotingMember(req.ID)) {
      throw new EtcdError("MemberNotEnoughStarted");
    }
    await this.#change(ConfChangeType.ConfChangeRemoveNode, req.ID, Buffer.alloc(0), signal);
    return { header: this.#header(), members: this.#wireMembers() };
  }

  async memberUpdate(req: MemberUpdateRequest, signal?: AbortSignal): Promise<MemberUpdateResponse> {
    const peerUrls = validPeerUrls(req.peerURLs);
    const current = this.#deps.membership.member(req.ID);
    const member: Member = current === undefined
      ? { id: req.ID, name: "", peerUrls, clientUrls: [], isLearner: false }
      : { ...current, peerUrls };
    await this.#change(ConfChangeType.ConfChangeUpdateNode, req.ID, encodeMember(member), signal);
    return { header: this.#header(), members: this.#wireMembers() };
  }

  async memberPromote(req: MemberPromoteRequest, signal?: AbortSignal, creds?: Credentials): Promise<MemberPromoteResponse> {
    const current = this.#deps.membership.member(req.ID);
    if (current === undefined) throw new EtcdError("MemberNotFound");
    if (!current.isLearner) throw new EtcdError("MemberNotLearner");
    if (this.#deps.raft.progressMatches() === undefined) return this.#deps.promoteOnLeader(req, signal, creds);
    this.#checkLearnerReady(req.ID);
    const member: Member = { ...current, isLearner: false };
    await this.#change(ConfChangeType.ConfChangeAddNode, req.ID, encodeConfChangeContext(member, true), signal);
    return { header: this.#header(), members: this.#wireMembers() };
  }

  /** Only the leader knows how far a learner got; elsewhere the request must go to the leader. */
  #checkLearnerReady(id: bigint): void {
    const matches = this.#deps.raft.progressMatches();
    if (matches === undefined) throw new EtcdError("NotLeader");
    const learner = matches.get(id);
    const leader = matches.get(this.#deps.raft.memberId) ?? 0n;
    if (learner !== undefined && Number(learner) < Number(leader) * LEARNER_READY_PERCENT) throw new EtcdError("LearnerNotReady");
  }

  async #change(type: ConfChangeType, nodeId: bigint, context: Buffer, signal?: AbortSignal): Promise<void> {
    const result = await this.#deps.proposer.proposeConfChange({ type, nodeId, context }, signal);
    if (!result.ok) throw result.error;
  }

  #header() {
    // etcd leaves the revision out of Cluster responses.
    return { ...this.#deps.header.header(), revision: 0n };
  }

  #wireMembers(): WireMember[] {
    return this.#deps.membership.members().map(toWire);
  }
}

function toWire(m: Member): WireMember {
  return { ID: m.id, name: m.name, peerURLs: [...m.peerUrls], clientURLs: [...m.clientUrls], isLearner: m.isLearner };
}

/** Peer URLs as etcd validates them (types.NewURLs): parsed, normalized, sorted. */
function validPeerUrls(urls: readonly string[]): string[] {
  if (urls.length === 0) throw new EtcdError("MemberBadURLs");
  try {
    return urls.map((u) => parseEtcdUrl(u).href).sort();
  } catch (err) {
    if (err instanceof EtcdUrlError) throw new EtcdError("MemberBadURLs", { cause: err });
    throw err;
  }
}
