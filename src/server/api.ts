/**
 * The narrow interfaces the API layer sees. Services in src/api depend on
 * these, never on the server's internals, so a handler can be tested with a
 * fake and the server can change shape without touching the wire layer.
 * Every method resolves with a complete response (header included) or
 * rejects with an EtcdError.
 * @module
 */
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentResponse,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  DowngradeRequest,
  DowngradeResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
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
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  SnapshotResponse,
  StatusResponse,
  TxnRequest,
  TxnResponse,
} from "../gen/etcdserverpb/rpc.js";

import type { Credentials } from "./auth/credentials.js";

export type { Credentials } from "./auth/credentials.js";

/**
 * The part of an AbortSignal a waiter uses: whether the caller gave up, and
 * a listener for when it does. An AbortSignal is one. The gRPC edge passes
 * its call's own (src/api/rpc) on the KV hot path instead of an AbortSignal,
 * because creating an AbortSignal per call costs more CPU than the rest of a
 * unary Put on our server (measured: ~25 µs against ~15 µs).
 */
export interface Cancellation {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * Every KV method takes the caller's credentials last: reads are checked on
 * this member after their ReadIndex barrier, writes carry the resolved user
 * and auth revision in the proposal and are checked when applied.
 */
export interface KvApi {
  range(req: RangeRequest, signal?: Cancellation, creds?: Credentials): Promise<RangeResponse>;
  put(req: PutRequest, signal?: Cancellation, creds?: Credentials): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest, signal?: Cancellation, creds?: Credentials): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest, signal?: Cancellation, creds?: Credentials): Promise<TxnResponse>;
  compact(req: CompactionRequest, signal?: Cancellation, creds?: Credentials): Promise<CompactionResponse>;
}

export interface MaintenanceApi {
  moveLeader(req: MoveLeaderRequest, signal?: AbortSignal): Promise<MoveLeaderResponse>;
  alarm(req: AlarmRequest, signal?: AbortSignal): Promise<AlarmResponse>;
  defragment(): Promise<DefragmentResponse>;
  status(): Promise<StatusResponse>;
  hash(): Promise<HashResponse>;
  hashKV(req: HashKVRequest): Promise<HashKVResponse>;
  /**
   * The backend as a bbolt file in etcd's snapshot format (the database, then
   * its SHA-256), in order, as responses with `remainingBytes` counting down;
   * the last one has `remainingBytes` 0. Pulled at the reader's pace; ends
   * early (and releases the view) when `signal` aborts or the consumer stops.
   */
  snapshot(signal: AbortSignal): AsyncIterable<SnapshotResponse>;
  /** etcd 3.6's Downgrade (VALIDATE, ENABLE, CANCEL). */
  downgrade(req: DowngradeRequest, signal?: AbortSignal): Promise<DowngradeResponse>;
}

export interface ClusterApi {
  memberList(req: MemberListRequest, signal?: AbortSignal): Promise<MemberListResponse>;
  memberAdd(req: MemberAddRequest, signal?: AbortSignal): Promise<MemberAddResponse>;
  memberRemove(req: MemberRemoveRequest, signal?: AbortSignal): Promise<MemberRemoveResponse>;
  memberUpdate(req: MemberUpdateRequest, signal?: AbortSignal): Promise<MemberUpdateResponse>;
  /** A follower sends the promotion on to the leader with the caller's credentials (the leader checks them again). */
  memberPromote(req: MemberPromoteRequest, signal?: AbortSignal, creds?: Credentials): Promise<MemberPromoteResponse>;
}

/** What every response header is built from. */
export interface HeaderSource {
  header(revision?: bigint): ResponseHeader;
  /** False while the member knows no leader (the `hasleader` metadata check). */
  hasLeader(): boolean;
  /** True while this member is a raft learner (it then serves only Status and serializable reads). */
  isLearner?(): boolean;
  /**
   * Subscribes a stream that requires a leader (`hasleader` metadata) to
   * the member losing it for three election timeouts; returns the
   * unsubscribe function.
   */
  onLeaderLost?(listener: () => void): () => void;
}

/** Request limits the API edge enforces before anything reaches the server. */
export interface ApiLimits {
  maxTxnOps: number;
  maxRequestBytes: number;
}

import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from "../gen/etcdserverpb/rpc.js";

/**
 * With auth enabled (etcd 3.5.9+/3.4.26+ rules): revoking or renewing a lease
 * needs write permission on every key attached to it, TimeToLive and Leases
 * read permission on them; root may do all.
 */
export interface LeaseApi {
  grant(req: LeaseGrantRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseGrantResponse>;
  revoke(req: LeaseRevokeRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseRevokeResponse>;
  /** One keepalive round: renews on the leader; TTL 0 for a lease that does not exist. */
  keepAlive(req: LeaseKeepAliveRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseKeepAliveResponse>;
  /** TTL −1 (not an error) for a lease that does not exist. */
  timeToLive(req: LeaseTimeToLiveRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseTimeToLiveResponse>;
  leases(req: LeaseLeasesRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseLeasesResponse>;
}

/** Watch streams, transport-independent (the gRPC service and the HTTP gateway drive the same sessions). */
export type { WatchApi, WatchSessionApi, WatchSink } from "./watch/api.js";

/** Where the leader is, for a member that must send a request on to it. */
export interface LeaderLocator {
  /** The leader's member id, 0 when none is known. */
  leader(): bigint;
  /** Client URLs a member published (empty until it started). */
  clientUrls(id: bigint): readonly string[];
}

/**
 * How a member that is not the leader reaches the leader for what only the
 * leader answers: lease renewals and TimeToLive (the leader's lessor) and
 * learner promotion (the leader knows the learner's progress). The server
 * declares it; the composition root supplies one (a gRPC client to the
 * leader's client URL) built over the server's {@link LeaderLocator}.
 */
export interface LeaderForwarder {
  /** The renewed TTL, or 0 when the leader does not know the lease. */
  renew(id: bigint, signal: AbortSignal, creds?: Credentials): Promise<bigint>;
  /** The leader's answer, or undefined when it does not know the lease. */
  timeToLive(req: LeaseTimeToLiveRequest, signal: AbortSignal, creds?: Credentials): Promise<LeaseTimeToLiveResponse | undefined>;
  memberPromote(req: MemberPromoteRequest, signal?: AbortSignal, creds?: Credentials): Promise<MemberPromoteResponse>;
  /** Releases connections; the server calls it when it stops. */
  close(): void;
}

import type { LockRequest, LockResponse, UnlockRequest, UnlockResponse } from "../gen/v3lockpb/v3lock.js";
import type {
  CampaignRequest,
  CampaignResponse,
  LeaderRequest,
  LeaderResponse,
  ProclaimRequest,
  ProclaimResponse,
  ResignRequest,
  ResignResponse,
} from "../gen/v3electionpb/v3election.js";

/** Lock and Election act as their caller: every key they read, write or watch is checked with `creds`. */
export interface LockApi {
  lock(req: LockRequest, signal?: AbortSignal, creds?: Credentials): Promise<LockResponse>;
  unlock(req: UnlockRequest, signal?: AbortSignal, creds?: Credentials): Promise<UnlockResponse>;
}

export interface ElectionApi {
  campaign(req: CampaignRequest, signal?: AbortSignal, creds?: Credentials): Promise<CampaignResponse>;
  proclaim(req: ProclaimRequest, signal?: AbortSignal, creds?: Credentials): Promise<ProclaimResponse>;
  leader(req: LeaderRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaderResponse>;
  /** Leader values until `signal` aborts; pull-driven, so a slow consumer sees the latest. */
  observe(req: LeaderRequest, signal: AbortSignal, creds?: Credentials): AsyncIterable<LeaderResponse>;
  resign(req: ResignRequest, signal?: AbortSignal, creds?: Credentials): Promise<ResignResponse>;
}

import type {
  AuthDisableRequest,
  AuthDisableResponse,
  AuthEnableRequest,
  AuthEnableResponse,
  AuthenticateRequest,
  AuthenticateResponse,
  AuthRoleAddRequest,
  AuthRoleAddResponse,
  AuthRoleDeleteRequest,
  AuthRoleDeleteResponse,
  AuthRoleGetRequest,
  AuthRoleGetResponse,
  AuthRoleGrantPermissionRequest,
  AuthRoleGrantPermissionResponse,
  AuthRoleListRequest,
  AuthRoleListResponse,
  AuthRoleRevokePermissionRequest,
  AuthRoleRevokePermissionResponse,
  AuthStatusRequest,
  AuthStatusResponse,
  AuthUserAddRequest,
  AuthUserAddResponse,
  AuthUserChangePasswordRequest,
  AuthUserChangePasswordResponse,
  AuthUserDeleteRequest,
  AuthUserDeleteResponse,
  AuthUserGetRequest,
  AuthUserGetResponse,
  AuthUserGrantRoleRequest,
  AuthUserGrantRoleResponse,
  AuthUserListRequest,
  AuthUserListResponse,
  AuthUserRevokeRoleRequest,
  AuthUserRevokeRoleResponse,
} from "../gen/etcdserverpb/rpc.js";

/**
 * etcdserverpb.Auth with etcd's semantics: every change goes through the log
 * and is checked when applied (management needs root, except a user reading
 * itself and the roles it has); Authenticate checks the password on this
 * member off the event loop, then proposes the token's issue.
 */
export interface AuthApi {
  authEnable(req: AuthEnableRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthEnableResponse>;
  authDisable(req: AuthDisableRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthDisableResponse>;
  authStatus(req: AuthStatusRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthStatusResponse>;
  /** A token sent along is checked after the password, as etcd's proposal checks it: an invalid one is "invalid auth token". */
  authenticate(req: AuthenticateRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthenticateResponse>;
  userAdd(req: AuthUserAddRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserAddResponse>;
  userGet(req: AuthUserGetRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserGetResponse>;
  userList(req: AuthUserListRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserListResponse>;
  userDelete(req: AuthUserDeleteRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserDeleteResponse>;
  userChangePassword(req: AuthUserChangePasswordRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserChangePasswordResponse>;
  userGrantRole(req: AuthUserGrantRoleRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserGrantRoleResponse>;
  userRevokeRole(req: AuthUserRevokeRoleRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthUserRevokeRoleResponse>;
  roleAdd(req: AuthRoleAddRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthRoleAddResponse>;
  roleGet(req: AuthRoleGetRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthRoleGetResponse>;
  roleList(req: AuthRoleListRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthRoleListResponse>;
  roleDelete(req: AuthRoleDeleteRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthRoleDeleteResponse>;
  roleGrantPermission(req: AuthRoleGrantPermissionRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthRoleGrantPermissionResponse>;
  roleRevokePermission(req: AuthRoleRevokePermissionRequest, signal?: Cancellation, creds?: Credentials): Promise<AuthRoleRevokePermissionResponse>;
  /**
   * Resolves when the caller may use what etcd reserves for root (auth off,
   * or a user with the root role); rejects with etcd's error otherwise
   * ("user name is empty", "invalid auth token", "user name not found",
   * "permission denied"). The API's auth interceptor calls it before
   * Defragment, Snapshot, Hash, HashKV, MoveLeader, Alarm (but GET),
   * MemberAdd/Remove/Update/Promote.
   */
  checkAdmin(creds: Credentials | undefined, signal?: Cancellation): Promise<void>;
  /**
   * Resolves when `creds` carry no token or a valid one; rejects with
   * "invalid auth token" otherwise. etcd resolves the caller of every
   * request it puts in the log, so the API's interceptor checks it for an
   * Alarm GET, which goes through the log but needs no role.
   */
  checkToken(creds: Credentials | undefined, signal?: Cancellation): Promise<void>;
}
