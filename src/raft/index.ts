/**
 * The raft library's public surface. See README.md for the Ready contract.
 * @module
 */
export { RawNode } from "./raw-node.js";
export type { Peer } from "./raw-node.js";
export type { Config } from "./config.js";
export { DEFAULT_MAX_INFLIGHT_MSGS, DEFAULT_MAX_SIZE_PER_MSG } from "./config.js";
export { StateType, SnapshotStatus, stateTypeString } from "./types.js";
export type { Ready, SoftState, Status, ProgressStatus } from "./types.js";
export { ReadOnlyOption } from "./read-only.js";
export type { ReadState } from "./read-only.js";
export { MemoryStorage } from "./storage.js";
export type { Storage } from "./storage.js";
export { ProgressState } from "./tracker/progress.js";
export {
  asV2,
  confChangeFromEntry,
  confChangeToEntry,
  confChangeV2,
  confChangesFromString,
  confChangesToString,
  enterJoint,
  isConfChangeV2,
  leaveJoint,
} from "./confchange/conf-change.js";
export type { AnyConfChange } from "./confchange/conf-change.js";
export {
  BootstrapError,
  CompactedError,
  InvalidConfChangeError,
  InvalidConfigError,
  ProposalDroppedError,
  RaftError,
  RaftInvariantError,
  ReadyNotAdvancedError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  StepLocalMsgError,
  StepPeerNotFoundError,
  UnavailableError,
} from "./errors.js";
export type { RaftErrorCode } from "./errors.js";
export { isEmptyHardState, isEmptySnap, mustSync, NONE } from "./util.js";
export { describeEntry, describeMessage, describeReady } from "./describe.js";
