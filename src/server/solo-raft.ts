/**
 * Raft for a cluster of exactly one voter. With a single voter, an entry is
 * committed the moment it is durable on that voter, and leadership needs no
 * votes from anyone else; everything else about the contract (Ready, persist
 * before advance, apply committed entries in order, ReadIndex answered only
 * once the leader has committed an entry of its term) is the same as the
 * replicated library, so the server drives both the same way.
 *
 * Durability: the leader counts its own entries as replicated only in
 * advance(), i.e. after the caller persisted them — never on append — so no
 * entry is applied (and acknowledged) before it is on disk.
 * @module
 */
import { ConfChange, ConfChangeType, EntryType, type Entry, type HardState } from "../gen/raftpb/raft.js";
import { EtcdError } from "../pkg/errors.js";
import { RaftRole, type RaftNode, type RaftNodeStatus, type ReadState, type Ready, type SoftState } from "./raft-node.js";

export interface SoloRaftOptions {
  id: bigint;
  /** Persisted state from the WAL on restart. */
  hardState?: HardState;
  /** Entries from the WAL above the snapshot, in index order. */
  entries?: Entry[];
  /** Index of the last snapshot (entries at or below it are not in `entries`). */
  snapshotIndex?: bigint;
  snapshotTerm?: bigint;
  /** Highest index already applied by the application (the consistent index). */
  applied?: bigint;
}

export class SoloRaft implements RaftNode {
  readonly #id: bigint;
  #term: bigint;
  #vote: bigint;
  #commit: bigint;
  #role = RaftRole.Follower;
  #lead = 0n;
  /** Entries above `#appliedTo`, both durable and not yet durable. */
  #log: Entry[] = [];
  /** Entries not yet handed out in a Ready (they start at `#log` index `#log.length - #unstable`). */
  #unstableCount = 0;
  #stableIndex: bigint;
  #lastIndex: bigint;
  /** Highest index handed out as committed. */
  #appliedTo: bigint;
  #readStates: ReadState[] = [];
  /** Index of the empty entry this leader appended when it took office. */
  #termStartIndex = 0n;
  #pendingReads: Buffer[] = [];
  #prevHardState: HardState;
  #prevSoftState: SoftState;

  constructor(options: SoloRaftOptions) {
    this.#id = options.id;
    const hs = options.hardState ?? { term: 0n, vote: 0n, commit: 0n };
    this.#term = hs.term;
    this.#vote = hs.vote;
    this.#commit = hs.commit;
    const snapshotIndex = options.snapshotIndex ?? 0n;
    this.#appliedTo = options.applied !== undefined && options.applied > snapshotIndex ? options.applied : snapshotIndex;
    if (this.#appliedTo > this.#commit) this.#appliedTo = this.#commit;
    this.#log = (options.entries ?? []).filter((e) => e.Index > this.#appliedTo);
    this.#lastIndex = options.entries?.length ? options.entries[options.entries.length - 1]!.Index : snapshotIndex;
    this.#stableIndex = this.#lastIndex;
    this.#prevHardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    this.#prevSoftState = { lead: 0n, raftState: RaftRole.Follower };
  }

  /** Starts a brand-new cluster: one AddNode conf change per initial member, committed at term 1. */
  bootstrap(peers: { id: bigint; context?: Buffer }[]): void {
    if (this.#lastIndex !== 0n) throw new Error("raft: bootstrap of a non-empty log");
    this.#term = 1n;
    for (const peer of peers) {
      const cc = ConfChange.create({ type: ConfChangeType.ConfChangeAddNode, nodeId: peer.id, context: peer.context ?? Buffer.alloc(0) });
      this.#append(EntryType.EntryConfChange, Buffer.from(ConfChange.encode(cc).finish()));
    }
    this.#commit = this.#lastIndex;
  }

  tick(): void {
    if (this.#role !== RaftRole.Leader) this.campaign();
  }

  campaign(): void {
    if (this.#role === RaftRole.Leader) return;
    this.#term += 1n;
    this.#vote = this.#id;
    this.#role = RaftRole.Leader;
    this.#lead = this.#id;
    // A new leader appends an empty entry so that an entry of its own term
    // can commit, which also commits everything before it.
    this.#append(EntryType.EntryNormal, Buffer.alloc(0));
    this.#termStartIndex = this.#lastIndex;
  }

  propose(data: Buffer): void {
    if (this.#role !== RaftRole.Leader) throw new EtcdError("NoLeader", { detail: "raft proposal dropped" });
    this.#append(EntryType.EntryNormal, data);
  }

  step(): void {
    // A single voter receives no messages.
  }

  readIndex(requestCtx: Buffer): void {
    this.#pendingReads.push(requestCtx);
    this.#releaseReads();
  }

  hasReady(): boolean {
    return (
      this.#unstableCount > 0 ||
      this.#committedAvailable() ||
      this.#readStates.length > 0 ||
      this.#hardStateChanged() ||
      this.#prevSoftState.lead !== this.#lead ||
      this.#prevSoftState.raftState !== this.#role
    );
  }

  ready(): Ready {
    const entries = this.#log.slice(this.#log.length - this.#unstableCount);
    const committedEntries: Entry[] = [];
    for (const e of this.#log) {
      if (e.Index > this.#commit || e.Index > this.#stableIndex) break;
      committedEntries.push(e);
    }
    const rd: Ready = { readStates: this.#readStates, entries, committedEntries, messages: [], mustSync: false };
    this.#readStates = [];
    this.#unstableCount = 0;
    if (this.#hardStateChanged()) {
      rd.hardState = { term: this.#term, vote: this.#vote, commit: this.#commit };
      rd.mustSync = this.#term !== this.#prevHardState.term || this.#vote !== this.#prevHardState.vote;
    }
    if (entries.length > 0) rd.mustSync = true;
    if (this.#prevSoftState.lead !== this.#lead || this.#prevSoftState.raftState !== this.#role) {
      rd.softState = { lead: this.#lead, raftState: this.#role };
    }
    return rd;
  }

  advance(rd: Ready): void {
    if (rd.hardState) this.#prevHardState = rd.hardState;
    if (rd.softState) this.#prevSoftState = rd.softState;
    const lastPersisted = rd.entries[rd.entries.length - 1];
    if (lastPersisted && lastPersisted.Index > this.#stableIndex) this.#stableIndex = lastPersisted.Index;
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      this.#appliedTo = lastApplied.Index;
      let drop = 0;
      while (drop < this.#log.length && this.#log[drop]!.Index <= this.#appliedTo) drop++;
      if (drop > 0) this.#log = this.#log.slice(drop);
    }
    // The leader's own durable entries are the quorum: commit what is on disk,
    // provided an entry of the current term is among it.
    if (this.#role === RaftRole.Leader && this.#stableIndex > this.#commit && this.#stableIndex >= this.#termStartIndex) {
      this.#commit = this.#stableIndex;
    }
    this.#releaseReads();
  }

  status(): RaftNodeStatus {
    return {
      id: this.#id,
      hardState: { term: this.#term, vote: this.#vote, commit: this.#commit },
      softState: { lead: this.#lead, raftState: this.#role },
      applied: this.#appliedTo,
    };
  }

  #append(type: EntryType, data: Buffer): void {
    this.#lastIndex += 1n;
    this.#log.push({ Term: this.#term, Index: this.#lastIndex, Type: type, Data: data });
    this.#unstableCount += 1;
  }

  #committedAvailable(): boolean {
    const first = this.#log[0];
    return first !== undefined && first.Index <= this.#commit && first.Index <= this.#stableIndex;
  }

  #hardStateChanged(): boolean {
    const p = this.#prevHardState;
    return p.term !== this.#term || p.vote !== this.#vote || p.commit !== this.#commit;
  }

  /** ReadIndex is safe once the leader has committed an entry of its own term. */
  #releaseReads(): void {
    if (this.#pendingReads.length === 0 || this.#role !== RaftRole.Leader) return;
    if (this.#commit < this.#termStartIndex) return;
    for (const ctx of this.#pendingReads) this.#readStates.push({ index: this.#commit, requestCtx: ctx });
    this.#pendingReads = [];
  }
}
