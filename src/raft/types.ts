/**
 * Public value types of the library: node roles, the volatile soft state,
 * the Ready batch, snapshot status and the status snapshot.
 * @module
 */
import type { ConfState, Entry, HardState, Message, Snapshot } from "../gen/raftpb/raft.js";
import type { ReadState } from "./read-only.js";
import type { ProgressState } from "./tracker/progress.js";

/** The role a node plays. Values match etcd's StateType. */
export enum StateType {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

const STATE_NAMES = ["StateFollower", "StateCandidate", "StateLeader", "StatePreCandidate"] as const;

export function stateTypeString(s: StateType): string {
  return STATE_NAMES[s];
}

/** Volatile state, useful for logging and for knowing the leader. Not persisted. */
export interface SoftState {
  lead: bigint;
  raftState: StateType;
}

/**
 * One batch of work for the application, returned by RawNode.ready(). See
 * README.md for the order in which the parts must be handled.
 */
export interface Ready {
  /** Present only when changed since the last Ready. */
  softState?: SoftState;
  /** Present only when changed. Persist before sending `messages`. */
  hardState?: HardState;
  /** Answers to ReadIndex requests, in request order. */
  readStates: ReadState[];
  /** Entries to append to stable storage before sending `messages`. */
  entries: Entry[];
  /** A snapshot to persist and apply (before `committedEntries`). */
  snapshot?: Snapshot;
  /** Committed entries to apply, in order. Already persisted, or in `entries` of this Ready. */
  committedEntries: Entry[];
  /** Messages to send after `entries`, `hardState` and `snapshot` are durable. */
  messages: Message[];
  /** Whether the hard state or entries must be fsynced before sending messages. */
  mustSync: boolean;
}

/** The outcome of sending a snapshot, reported with RawNode.reportSnapshot. */
export enum SnapshotStatus {
  Finish = 1,
  Failure = 2,
}

/** A read-only copy of one member's Progress. */
export interface ProgressStatus {
  match: bigint;
  next: bigint;
  state: ProgressState;
  pendingSnapshot: bigint;
  recentActive: boolean;
  paused: boolean;
  inflight: number;
  isLearner: boolean;
}

/** A point-in-time description of a node. */
export interface Status {
  id: bigint;
  hardState: HardState;
  softState: SoftState;
  applied: bigint;
  /** Per-member progress; present only on the leader. */
  progress?: Map<bigint, ProgressStatus>;
  leadTransferee: bigint;
  /** The active membership. */
  config: ConfState;
}
