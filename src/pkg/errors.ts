/**
 * Typed errors shared by every layer. Code inside the server raises an
 * {@link EtcdError} with a {@link ErrorKind}; only the API edge turns a kind
 * into etcd's gRPC status code and wire text (src/api/status.ts), from one
 * table, because etcd clients decide what to do by matching that text.
 * @module
 */

/** Every failure a client can be told about, named after etcd's sentinel errors. */
export type ErrorKind =
  // request validation
  | "EmptyKey"
  | "KeyNotFound"
  | "ValueProvided"
  | "LeaseProvided"
  | "TooManyOps"
  | "DuplicateKey"
  | "RequestTooLarge"
  | "TooManyRequests"
  // mvcc
  | "Compacted"
  | "FutureRev"
  | "NoSpace"
  // lease
  | "LeaseNotFound"
  | "LeaseExist"
  | "LeaseTTLTooLarge"
  // watch
  | "WatchCanceled"
  // membership
  | "MemberExist"
  | "PeerURLExist"
  | "MemberNotEnoughStarted"
  | "MemberBadURLs"
  | "MemberNotFound"
  | "MemberNotLearner"
  | "LearnerNotReady"
  | "TooManyLearners"
  // auth
  | "RootUserNotExist"
  | "RootRoleNotExist"
  | "UserAlreadyExist"
  | "UserEmpty"
  | "UserNotFound"
  | "RoleAlreadyExist"
  | "RoleNotFound"
  | "RoleEmpty"
  | "AuthFailed"
  | "PermissionDenied"
  | "RoleNotGranted"
  | "PermissionNotGranted"
  | "PermissionNotGiven"
  | "AuthNotEnabled"
  | "InvalidAuthToken"
  | "InvalidAuthMgmt"
  | "AuthOldRevision"
  // server and cluster state
  | "NoLeader"
  | "NotLeader"
  | "LeaderChanged"
  | "NotCapable"
  | "Stopped"
  | "Timeout"
  | "TimeoutDueToLeaderFail"
  | "TimeoutDueToConnectionLost"
  | "TimeoutWaitAppliedIndex"
  | "Unhealthy"
  | "Corrupt"
  | "NotSupportedForLearner"
  | "BadLeaderTransferee"
  | "TimeoutLeaderTransfer"
  | "ClusterVersionUnavailable"
  | "WrongDowngradeVersionFormat"
  | "InvalidDowngradeTargetVersion"
  | "DowngradeInProcess"
  | "UnknownMethod"
  // concurrency (v3lock / v3election services)
  | "SessionExpired"
  | "ElectionNotLeader"
  | "ElectionNoLeader"
  | "ElectionMissingLeaderKey";

/** An error with a kind that the API edge knows how to present to clients. */
export class EtcdError extends Error {
  override readonly name = "EtcdError";
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, options?: { cause?: unknown; detail?: string }) {
    super(options?.detail === undefined ? kind : `${kind}: ${options.detail}`, { cause: options?.cause });
    this.kind = kind;
  }
}

/** True when `err` is an {@link EtcdError}, optionally of the given kind. */
export function isEtcdError(err: unknown, kind?: ErrorKind): err is EtcdError {
  return err instanceof EtcdError && (kind === undefined || err.kind === kind);
}

/** Narrows an unknown thrown value to an Error, wrapping non-errors. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * An error another member's API answered with (a request relayed to the
 * leader): the API edge sends its gRPC code and text on unchanged.
 */
export class RelayedError extends Error {
  override readonly name = "RelayedError";
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
