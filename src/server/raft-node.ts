/**
 * The slice of a raft node the server drives. It is exactly the shape of
 * src/raft's RawNode (tick / propose / ready / advance …), so the server's
 * Ready loop does not care whether it runs the replicated library or the
 * single-voter {@link SoloRaft}.
 * @module
 */
import type { ConfState, Entry, HardState, Message, Snapshot } from "../gen/raftpb/raft.js";

export enum RaftRole {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

export interface SoftState {
  lead: bigint;
  raftState: RaftRole;
}

export interface ReadState {
  index: bigint;
  requestCtx: Buffer;
}

/** One batch of work from raft; see src/raft/README.md for the contract. */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  /** Must be durable before messages are sent or the batch is advanced. */
  entries: Entry[];
  snapshot?: Snapshot;
  /** Durable on a quorum: apply in order. */
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

export interface RaftNodeStatus {
  id: bigint;
  hardState: HardState;
  softState: SoftState;
  applied: bigint;
}

export interface RaftNode {
  tick(): void;
  campaign(): void;
  propose(data: Buffer): void;
  step(m: Message): void;
  readIndex(requestCtx: Buffer): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  status(): RaftNodeStatus;
  applyConfChange?(cc: unknown): ConfState;
}
