/**
 * The one table from internal error kinds to what etcd clients see: a gRPC
 * status code and etcd's exact message. Clients (clientv3, etcdctl, the etcd3
 * npm package) branch on these strings, so they are part of the protocol.
 * The HTTP gateway uses the same table.
 * @module
 */
import { status as Status } from "@grpc/grpc-js";
import { type ErrorKind, isEtcdError, RelayedError } from "../pkg/errors.js";
import { RpcError } from "./rpc/contract.js";

export interface WireError {
  readonly code: Status;
  readonly message: string;
}

const table: Record<ErrorKind, WireError> = {
  EmptyKey: { code: Status.INVALID_ARGUMENT, message: "etcdserver: key is not provided" },
  KeyNotFound: { code: Status.INVALID_ARGUMENT, message: "etcdserver: key not found" },
  ValueProvided: { code: Status.INVALID_ARGUMENT, message: "etcdserver: value is provided" },
  LeaseProvided: { code: Status.INVALID_ARGUMENT, message: "etcdserver: lease is provided" },
  TooManyOps: { code: Status.INVALID_ARGUMENT, message: "etcdserver: too many operations in txn request" },
  DuplicateKey: { code: Status.INVALID_ARGUMENT, message: "etcdserver: duplicate key given in txn request" },
  RequestTooLarge: { code: Status.INVALID_ARGUMENT, message: "etcdserver: request is too large" },
  TooManyRequests: { code: Status.RESOURCE_EXHAUSTED, message: "etcdserver: too many requests" },

  Compacted: { code: Status.OUT_OF_RANGE, message: "etcdserver: mvcc: required revision has been compacted" },
  FutureRev: { code: Status.OUT_OF_RANGE, message: "etcdserver: mvcc: required revision is a future revision" },
  NoSpace: { code: Status.RESOURCE_EXHAUSTED, message: "etcdserver: mvcc: database space exceeded" },

  LeaseNotFound: { code: Status.NOT_FOUND, message: "etcdserver: requested lease not found" },
  LeaseExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: lease already exists" },
  LeaseTTLTooLarge: { code: Status.OUT_OF_RANGE, message: "etcdserver: too large lease TTL" },

  WatchCanceled: { code: Status.CANCELLED, message: "etcdserver: watch canceled" },

  MemberExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: member ID already exist" },
  PeerURLExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: Peer URLs already exists" },
  MemberNotEnoughStarted: {
    code: Status.FAILED_PRECONDITION,
    message: "etcdserver: re-configuration failed due to not enough started members",
  },
  MemberBadURLs: { code: Status.INVALID_ARGUMENT, message: "etcdserver: given member URLs are invalid" },
  MemberNotFound: { code: Status.NOT_FOUND, message: "etcdserver: member not found" },
  MemberNotLearner: { code: Status.FAILED_PRECONDITION, message: "etcdserver: can only promote a learner member" },
  LearnerNotReady: {
    code: Status.FAILED_PRECONDITION,
    message: "etcdserver: can only promote a learner member which is in sync with leader",
  },
  TooManyLearners: { code: Status.FAILED_PRECONDITION, message: "etcdserver: too many learner members in cluster" },

  RootUserNotExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: root user does not exist" },
  RootRoleNotExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: root user does not have root role" },
  UserAlreadyExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: user name already exists" },
  UserEmpty: { code: Status.INVALID_ARGUMENT, message: "etcdserver: user name is empty" },
  UserNotFound: { code: Status.FAILED_PRECONDITION, message: "etcdserver: user name not found" },
  RoleAlreadyExist: { code: Status.FAILED_PRECONDITION, message: "etcdserver: role name already exists" },
  RoleNotFound: { code: Status.FAILED_PRECONDITION, message: "etcdserver: role name not found" },
  RoleEmpty: { code: Status.INVALID_ARGUMENT, message: "etcdserver: role name is empty" },
  AuthFailed: {
    code: Status.INVALID_ARGUMENT,
    message: "etcdserver: authentication failed, invalid user ID or password",
  },
  PermissionDenied: { code: Status.PERMISSION_DENIED, message: "etcdserver: permission denied" },
  RoleNotGranted: { code: Status.FAILED_PRECONDITION, message: "etcdserver: role is not granted to the user" },
  PermissionNotGranted: {
    code: Status.FAILED_PRECONDITION,
    message: "etcdserver: permission is not granted to the role",
  },
  PermissionNotGiven: { code: Status.INVALID_ARGUMENT, message: "etcdserver: permission not given" },
  AuthNotEnabled: { code: Status.FAILED_PRECONDITION, message: "etcdserver: authentication is not enabled" },
  InvalidAuthToken: { code: Status.UNAUTHENTICATED, message: "etcdserver: invalid auth token" },
  InvalidAuthMgmt: { code: Status.INVALID_ARGUMENT, message: "etcdserver: invalid auth management" },
  AuthOldRevision: { code: Status.INVALID_ARGUMENT, message: "etcdserver: revision of auth store is old" },

  NoLeader: { code: Status.UNAVAILABLE, message: "etcdserver: no leader" },
  NotLeader: { code: Status.FAILED_PRECONDITION, message: "etcdserver: not leader" },
  LeaderChanged: { code: Status.UNAVAILABLE, message: "etcdserver: leader changed" },
  NotCapable: { code: Status.UNAVAILABLE, message: "etcdserver: not capable" },
  Stopped: { code: Status.UNAVAILABLE, message: "etcdserver: server stopped" },
  Timeout: { code: Status.UNAVAILABLE, message: "etcdserver: request timed out" },
  TimeoutDueToLeaderFail: {
    code: Status.UNAVAILABLE,
    message: "etcdserver: request timed out, possibly due to previous leader failure",
  },
  TimeoutDueToConnectionLost: {
    code: Status.UNAVAILABLE,
    message: "etcdserver: request timed out, possibly due to connection lost",
  },
  TimeoutWaitAppliedIndex: {
    code: Status.UNAVAILABLE,
    message: "etcdserver: request timed out, waiting for the applied index took too long",
  },
  Unhealthy: { code: Status.UNAVAILABLE, message: "etcdserver: unhealthy cluster" },
  Corrupt: { code: Status.DATA_LOSS, message: "etcdserver: corrupt cluster" },
  NotSupportedForLearner: { code: Status.UNAVAILABLE, message: "etcdserver: rpc not supported for learner" },
  BadLeaderTransferee: { code: Status.FAILED_PRECONDITION, message: "etcdserver: bad leader transferee" },
  TimeoutLeaderTransfer: { code: Status.UNAVAILABLE, message: "etcdserver: request timed out, leader transfer took too long" },
  ClusterVersionUnavailable: { code: Status.UNAVAILABLE, message: "etcdserver: cluster version not found during downgrade" },
  WrongDowngradeVersionFormat: { code: Status.INVALID_ARGUMENT, message: "etcdserver: wrong downgrade target version format" },
  InvalidDowngradeTargetVersion: { code: Status.INVALID_ARGUMENT, message: "etcdserver: invalid downgrade target version" },
  DowngradeInProcess: { code: Status.FAILED_PRECONDITION, message: "etcdserver: cluster has a downgrade job in progress" },
  // etcd's ErrUnknownMethod has no gRPC mapping of its own: it goes out as Unknown with its text.
  UnknownMethod: { code: Status.UNKNOWN, message: "etcdserver: unknown method" },

  // The lock and election services return clientv3/concurrency's plain errors,
  // which gRPC sends as Unknown with the error text.
  SessionExpired: { code: Status.UNKNOWN, message: "mutex: session is expired" },
  ElectionNotLeader: { code: Status.UNKNOWN, message: "election: not leader" },
  ElectionNoLeader: { code: Status.UNKNOWN, message: "election: no leader" },
  ElectionMissingLeaderKey: { code: Status.UNKNOWN, message: '"leader" field must be provided' },
};

/** The wire form of a kind. */
export function wireErrorOf(kind: ErrorKind): WireError {
  return table[kind];
}

/** grpc-go's names of the status codes (codes.Code's String), by number. */
const GO_CODE_NAMES = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
] as const;

/**
 * An error as Go's gRPC status prints it (`status.Error(...).Error()`):
 * "rpc error: code = PermissionDenied desc = etcdserver: permission denied".
 * etcd sends this text where an error travels inside a message rather than
 * as the call's status: a refused watch's cancel reason.
 */
export function goStatusText(err: unknown): string {
  const { code, message } = toWireError(err);
  return `rpc error: code = ${GO_CODE_NAMES[code] ?? `Code(${code})`} desc = ${message}`;
}

/**
 * The wire form of anything thrown by a handler: an EtcdError maps through the
 * table; an RpcError or RelayedError carries its own status; anything else
 * goes out as Unknown with its message, as etcd does for errors it has no
 * mapping for.
 */
export function toWireError(err: unknown): WireError {
  if (isEtcdError(err)) return table[err.kind];
  if (err instanceof RelayedError || err instanceof RpcError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: Status.UNKNOWN, message };
}
