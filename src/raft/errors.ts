/**
 * Typed failures of the raft library. Callers branch on the class (or on
 * `code`), never on message text. The messages keep etcd's wording where etcd
 * has a well-known string, which helps when comparing logs side by side.
 * @module
 */

/** Every distinct failure the library reports. */
export type RaftErrorCode =
  | "ProposalDropped"
  | "Compacted"
  | "SnapshotOutOfDate"
  | "Unavailable"
  | "SnapshotTemporarilyUnavailable"
  | "StepLocalMsg"
  | "StepPeerNotFound"
  | "InvalidConfig"
  | "InvalidConfChange"
  | "ReadyNotAdvanced"
  | "BootstrapNonEmpty";

/** Base class of the library's expected (operating) errors. */
export class RaftError extends Error {
  override readonly name: string = "RaftError";
  readonly code: RaftErrorCode;

  constructor(code: RaftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A proposal was not appended: there is no leader, forwarding is disabled, a
 * leadership transfer is in progress, the uncommitted-size limit is reached,
 * or this node was removed. The proposer should fail fast and may retry.
 */
export class ProposalDroppedError extends RaftError {
  override readonly name = "ProposalDroppedError";
  constructor(detail?: string) {
    super("ProposalDropped", detail === undefined ? "raft proposal dropped" : `raft proposal dropped: ${detail}`);
  }
}

/** Storage: the requested index is at or below the last compaction point. */
export class CompactedError extends RaftError {
  override readonly name = "CompactedError";
  constructor() {
    super("Compacted", "requested index is unavailable due to compaction");
  }
}

/** Storage: the snapshot offered is not newer than the one already held. */
export class SnapshotOutOfDateError extends RaftError {
  override readonly name = "SnapshotOutOfDateError";
  constructor() {
    super("SnapshotOutOfDate", "requested index is older than the existing snapshot");
  }
}

/** Storage: the requested entry is beyond the last index. */
export class UnavailableError extends RaftError {
  override readonly name = "UnavailableError";
  constructor() {
    super("Unavailable", "requested entry at index is unavailable");
  }
}

/** Storage: a snapshot is being produced; raft retries on a later heartbeat. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  override readonly name = "SnapshotTemporarilyUnavailableError";
  constructor() {
    super("SnapshotTemporarilyUnavailable", "snapshot is temporarily unavailable");
  }
}

/** RawNode.step: a local-only message type arrived from the network. */
export class StepLocalMsgError extends RaftError {
  override readonly name = "StepLocalMsgError";
  constructor() {
    super("StepLocalMsg", "raft: cannot step raft local message");
  }
}

/** RawNode.step: a response came from a peer that is not in the configuration. */
export class StepPeerNotFoundError extends RaftError {
  override readonly name = "StepPeerNotFoundError";
  constructor() {
    super("StepPeerNotFound", "raft: cannot step as peer not found");
  }
}

/** The Config given to RawNode is unusable. */
export class InvalidConfigError extends RaftError {
  override readonly name = "InvalidConfigError";
  constructor(detail: string) {
    super("InvalidConfig", `raft: invalid config: ${detail}`);
  }
}

/** A configuration change cannot be applied to the current configuration. */
export class InvalidConfChangeError extends RaftError {
  override readonly name = "InvalidConfChangeError";
  constructor(detail: string) {
    super("InvalidConfChange", detail);
  }
}

/** RawNode.ready() was called again before advance() acknowledged the last Ready. */
export class ReadyNotAdvancedError extends RaftError {
  override readonly name = "ReadyNotAdvancedError";
  constructor() {
    super("ReadyNotAdvanced", "raft: ready() called before advance() of the previous Ready");
  }
}

/** RawNode.bootstrap on a storage that already holds entries, or with no peers. */
export class BootstrapError extends RaftError {
  override readonly name = "BootstrapError";
  constructor(detail: string) {
    super("BootstrapNonEmpty", `raft: cannot bootstrap: ${detail}`);
  }
}

/**
 * A broken internal invariant (etcd panics here). Never expected in a correct
 * program; the node must not continue, as its state may be corrupt.
 */
export class RaftInvariantError extends Error {
  override readonly name = "RaftInvariantError";
}

/** Throws a {@link RaftInvariantError} with `message`. */
export function invariant(message: string): never {
  throw new RaftInvariantError(message);
}
