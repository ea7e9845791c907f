/**
 * The replicated membership state: who is in the cluster (with their URLs
 * and names), who was removed, and the cluster version. Changed only by the
 * apply loop; persisted in the backend's members / members_removed /
 * cluster buckets inside the same batch as the entry that changed it.
 * @module
 */
import { ConfChangeType, type ConfChange } from "../../gen/raftpb/raft.js";
import type { ErrorKind } from "../../pkg/errors.js";
import type { Backend } from "../../storage/backend/backend.js";
import { decodeConfChangeContext, decodeMember, encodeMember, memberKey, type Member } from "./member.js";

const CLUSTER_VERSION_KEY = Buffer.from("clusterVersion");
const REMOVED_MARK = Buffer.from("removed");

export class MembershipStore {
  readonly #backend: Backend;
  readonly #members = new Map<bigint, Member>();
  readonly #removed = new Set<bigint>();
  #clusterVersion: string | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.reload();
  }

  /** Re-reads everything from the backend (after a snapshot replaced it). */
  reload(): void {
    this.#members.clear();
    this.#removed.clear();
    this.#backend.forEach("members", (_k, v) => {
      const m = decodeMember(v);
      this.#members.set(m.id, m);
    });
    this.#backend.forEach("members_removed", (k) => {
      this.#removed.add(BigInt(`0x${k.toString("latin1")}`));
    });
    const version = this.#backend.get("cluster", CLUSTER_VERSION_KEY);
    this.#clusterVersion = version?.toString("utf8");
  }

  /** Members in ascending id order (the order etcd lists them). */
  members(): Member[] {
    return [...this.#members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  member(id: bigint): Member | undefined {
    return this.#members.get(id);
  }

  isRemoved(id: bigint): boolean {
    return this.#removed.has(id);
  }

  get clusterVersion(): string | undefined {
    return this.#clusterVersion;
  }

  add(m: Member): void {
    this.#members.set(m.id, m);
    this.#backend.put("members", memberKey(m.id), encodeMember(m));
  }

  remove(id: bigint): void {
    this.#members.delete(id);
    this.#removed.add(id);
    this.#backend.delete("members", memberKey(id));
    this.#backend.put("members_removed", memberKey(id), REMOVED_MARK);
  }

  /** Records the name and client URLs a member published after starting. */
  setAttributes(id: bigint, name: string, clientUrls: readonly string[]): void {
    const m = this.#members.get(id);
    if (m === undefined) return; // removed meanwhile: etcd ignores it too
    this.add({ ...m, name, clientUrls: [...clientUrls] });
  }

  setPeerUrls(id: bigint, peerUrls: readonly string[]): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    this.add({ ...m, peerUrls: [...peerUrls] });
  }

  /** Voting members (not learners), ascending by id. */
  votingMembers(): Member[] {
    return this.members().filter((m) => !m.isLearner);
  }

  /**
   * Whether a conf change may be applied, decided from replicated state only
   * so every member decides the same (etcd's ValidateConfigurationChange).
   */
  validate(cc: ConfChange, maxLearners: number): ErrorKind | undefined {
    const id = cc.nodeId;
    if (this.#removed.has(id)) return "MemberNotFound";
    switch (cc.type) {
      case ConfChangeType.ConfChangeAddNode:
      case ConfChangeType.ConfChangeAddLearnerNode: {
        const { member, isPromote } = decodeConfChangeContext(cc.context);
        const existing = this.#members.get(id);
        if (isPromote) {
          if (existing === undefined) return "MemberNotFound";
          if (!existing.isLearner) return "MemberNotLearner";
          return undefined;
        }
        if (existing !== undefined) return "MemberExist";
        if (this.#peerUrlTaken(member.peerUrls)) return "PeerURLExist";
        if (member.isLearner && this.members().filter((m) => m.isLearner).length + 1 > maxLearners) return "TooManyLearners";
        return undefined;
      }
      case ConfChangeType.ConfChangeRemoveNode:
        return this.#members.has(id) ? undefined : "MemberNotFound";
      case ConfChangeType.ConfChangeUpdateNode: {
        if (!this.#members.has(id)) return "MemberNotFound";
        return this.#peerUrlTaken(decodeMember(cc.context).peerUrls, id) ? "PeerURLExist" : undefined;
      }
      default:
        return "MemberNotFound";
    }
  }

  /**
   * --strict-reconfig-check before adding a voter: enough members have
   * started to keep a quorum of the larger cluster (or it is the 1 → 2 case
   * of restoring a cluster from one member).
   */
  isReadyToAddVotingMember(): boolean {
    const voters = this.votingMembers();
    const members = voters.length + 1;
    const started = voters.filter(isStarted).length;
    if (started === 1 && members === 2) return true;
    return started >= Math.floor(members / 2) + 1;
  }

  /** --strict-reconfig-check before removing voter `id`: the rest still has a started quorum. */
  isReadyToRemoveVotingMember(id: bigint): boolean {
    const rest = this.votingMembers().filter((m) => m.id !== id);
    return rest.filter(isStarted).length >= Math.floor(rest.length / 2) + 1;
  }

  #peerUrlTaken(urls: readonly string[], except?: bigint): boolean {
    for (const m of this.#members.values()) {
      if (m.id === except) continue;
      for (const u of m.peerUrls) if (urls.includes(u)) return true;
    }
    return false;
  }

  promote(id: bigint): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    this.add({ ...m, isLearner: false });
  }

  setClusterVersion(version: string): void {
    this.#clusterVersion = version;
    this.#backend.put("cluster", CLUSTER_VERSION_KEY, Buffer.from(version, "utf8"));
  }
}

/** A member has started once it published its name (etcd's Member.IsStarted). */
export function isStarted(m: Member): boolean {
  return m.name !== "";
}
