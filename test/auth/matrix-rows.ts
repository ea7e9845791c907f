/**
 * The rows of the auth matrix: one request per RPC (and per gateway route),
 * chosen so that it changes nothing that a later row depends on: where the
 * RPC would change the cluster, the request fails harmlessly after the auth
 * check (an unknown member id, a role that does not exist, a peer URL that is
 * taken), and what a row creates is created per cell (leases, lock and
 * election names) and undone by root afterwards.
 */
import { Permission_Type } from "../../src/gen/authpb/auth.js";
import {
  AlarmRequest,
  AlarmRequest_AlarmAction,
  AlarmType,
  AuthDisableRequest,
  AuthEnableRequest,
  AuthRoleAddRequest,
  AuthRoleDeleteRequest,
  AuthRoleGetRequest,
  AuthRoleGrantPermissionRequest,
  AuthRoleListRequest,
  AuthRoleRevokePermissionRequest,
  AuthService,
  AuthStatusRequest,
  AuthUserAddRequest,
  AuthUserChangePasswordRequest,
  AuthUserDeleteRequest,
  AuthUserGetRequest,
  AuthUserGrantRoleRequest,
  AuthUserListRequest,
  AuthUserRevokeRoleRequest,
  AuthenticateRequest,
  ClusterService,
  Compare_CompareResult,
  Compare_CompareTarget,
  CompactionRequest,
  DefragmentRequest,
  DeleteRangeRequest,
  HashKVRequest,
  HashRequest,
  KVService,
  LeaseGrantRequest,
  LeaseKeepAliveRequest,
  LeaseLeasesRequest,
  LeaseRevokeRequest,
  LeaseService,
  LeaseTimeToLiveRequest,
  MaintenanceService,
  MemberAddRequest,
  MemberListRequest,
  MemberPromoteRequest,
  MemberRemoveRequest,
  MemberUpdateRequest,
  MoveLeaderRequest,
  PutRequest,
  RangeRequest,
  SnapshotRequest,
  StatusRequest,
  TxnRequest,
  WatchRequest,
  WatchService,
  type RequestOp,
} from "../../src/gen/etcdserverpb/rpc.js";
import { CampaignRequest, ElectionService, LeaderRequest } from "../../src/gen/v3electionpb/v3election.js";
import { LockRequest, LockService, UnlockRequest } from "../../src/gen/v3lockpb/v3lock.js";
import type { Identity, MatrixServer } from "./matrix-fixture.js";
import { describeAnswer, type Answer } from "./probe.js";

/** What a row's request is sent with. */
export interface Cell {
  readonly m: MatrixServer;
  readonly identity: Identity;
  readonly token: string | undefined;
  /** A root token for preparing and undoing what the cell needs. */
  rootToken(): Promise<string>;
  /** Unique within the matrix run: names what one cell creates. */
  readonly tag: string;
}

export interface Row {
  readonly name: string;
  run(cell: Cell): Promise<string>;
}

const b = (s: string): Buffer => Buffer.from(s);
/** A member id no cluster of the matrix has. */
const UNKNOWN_MEMBER = 0xdeadbeefn;
/** A revision far beyond any the matrix reaches. */
const FUTURE_REVISION = 1_000_000n;

const put = (key: string): RequestOp => ({ request: { $case: "requestPut", value: PutRequest.fromPartial({ key: b(key), value: b("t") }) } });

function unaryRow<Req, Res>(name: string, def: { path: string; requestSerialize(v: Req): Buffer; responseDeserialize(v: Buffer): Res }, request: Req, ok?: (res: Res) => string): Row {
  return { name, run: async (cell) => describeAnswer(await cell.m.probe.unary(def, request, cell.token), ok) };
}

/** A lease of root's with `key` attached, for a cell that may revoke or lock with it; revoked by root after. */
async function withOwnLease(cell: Cell, key: string | undefined, use: (lease: bigint) => Promise<string>): Promise<string> {
  const root = await cell.rootToken();
  const { probe } = cell.m;
  const lease = (await probe.must(LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: 600n }), root)).ID;
  if (key !== undefined) await probe.must(KVService.put, PutRequest.fromPartial({ key: b(key), value: b("l"), lease }), root);
  try {
    return await use(lease);
  } finally {
    // Lease gone (revoked by the cell) is fine: the row's request did it.
    await probe.unary(LeaseService.leaseRevoke, LeaseRevokeRequest.fromPartial({ ID: lease }), await cell.rootToken());
  }
}

const watchOutcome = (answer: Answer<{ created: boolean; canceled: boolean; cancelReason: string }>): string =>
  describeAnswer(answer, (r) => (r.canceled ? `canceled: ${r.cancelReason}` : r.created ? "created" : "OK"));

const GRPC_ROWS: readonly Row[] = [
  // KV
  unaryRow("KV.Range m/a", KVService.range, RangeRequest.fromPartial({ key: b("m/a") }), (r) => `OK count=${r.count}`),
  unaryRow("KV.Range prefix m/", KVService.range, RangeRequest.fromPartial({ key: b("m/"), rangeEnd: b("m0") }), (r) => `OK count=${r.count}`),
  // [m/, n) reaches past alice's [m/, m0): refused whole, never a partial answer (nothing is stored in [m/zz, n)).
  unaryRow("KV.Range [m/, n)", KVService.range, RangeRequest.fromPartial({ key: b("m/"), rangeEnd: b("n") }), (r) => `OK count=${r.count}`),
  unaryRow("KV.DeleteRange [m/zz, n)", KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: b("m/zz"), rangeEnd: b("n") })),
  // From m/ to the end of the keyspace: secret/x is in it.
  unaryRow("KV.Range from-key m/", KVService.range, RangeRequest.fromPartial({ key: b("m/"), rangeEnd: b("\0") }), (r) => `OK count=${r.count}`),
  unaryRow("KV.Range secret/x", KVService.range, RangeRequest.fromPartial({ key: b("secret/x") }), (r) => `OK count=${r.count}`),
  unaryRow("KV.Range serializable m/a", KVService.range, RangeRequest.fromPartial({ key: b("m/a"), serializable: true }), (r) => `OK count=${r.count}`),
  unaryRow("KV.Put m/p", KVService.put, PutRequest.fromPartial({ key: b("m/p"), value: b("v") })),
  unaryRow("KV.Put m/p prev_kv", KVService.put, PutRequest.fromPartial({ key: b("m/p"), value: b("w"), prevKv: true })),
  unaryRow("KV.Put secret/x", KVService.put, PutRequest.fromPartial({ key: b("secret/x"), value: b("v") })),
  unaryRow("KV.DeleteRange m/none", KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: b("m/none") })),
  unaryRow("KV.DeleteRange m/none prev_kv", KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: b("m/none"), prevKv: true })),
  unaryRow("KV.DeleteRange secret/none", KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: b("secret/none") })),
  unaryRow(
    "KV.Txn compare m/a, put m/t",
    KVService.txn,
    TxnRequest.fromPartial({
      compare: [{ key: b("m/a"), result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.VALUE, targetUnion: { $case: "value", value: b("1") } }],
      success: [put("m/t")],
    }),
    (r) => `OK succeeded=${r.succeeded}`,
  ),
  unaryRow(
    "KV.Txn compare secret/x",
    KVService.txn,
    TxnRequest.fromPartial({
      compare: [{ key: b("secret/x"), result: Compare_CompareResult.GREATER, target: Compare_CompareTarget.VERSION, targetUnion: { $case: "version", value: 0n } }],
      success: [put("m/t")],
    }),
    (r) => `OK succeeded=${r.succeeded}`,
  ),
  unaryRow("KV.Txn failure branch puts secret/x", KVService.txn, TxnRequest.fromPartial({ success: [put("m/t")], failure: [put("secret/x")] }), (r) => `OK succeeded=${r.succeeded}`),
  unaryRow(
    "KV.Txn nested put m/n",
    KVService.txn,
    TxnRequest.fromPartial({ success: [{ request: { $case: "requestTxn", value: TxnRequest.fromPartial({ success: [put("m/n")] }) } }] }),
    (r) => `OK succeeded=${r.succeeded}`,
  ),
  unaryRow(
    "KV.Txn nested put secret/n",
    KVService.txn,
    TxnRequest.fromPartial({ success: [put("m/t"), { request: { $case: "requestTxn", value: TxnRequest.fromPartial({ success: [put("secret/n")] }) } }] }),
    (r) => `OK succeeded=${r.succeeded}`,
  ),
  unaryRow("KV.Compact future revision", KVService.compact, CompactionRequest.fromPartial({ revision: FUTURE_REVISION })),

  // Watch
  {
    name: "Watch create m/ prefix",
    run: async (cell) =>
      watchOutcome(await cell.m.probe.firstOfBidiStream(WatchService.watch, WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: b("m/"), rangeEnd: b("m0") } } }), cell.token)),
  },
  {
    name: "Watch create from-key m/",
    run: async (cell) =>
      watchOutcome(await cell.m.probe.firstOfBidiStream(WatchService.watch, WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: b("m/"), rangeEnd: b("\0") } } }), cell.token)),
  },
  {
    name: "Watch create secret/x",
    run: async (cell) =>
      watchOutcome(await cell.m.probe.firstOfBidiStream(WatchService.watch, WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: b("secret/x") } } }), cell.token)),
  },

  // Lease
  unaryRow("Lease.LeaseGrant", LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: 60n })),
  {
    name: "Lease.LeaseRevoke (m/ key attached)",
    run: (cell) =>
      withOwnLease(cell, `m/lease/${cell.tag}`, async (lease) => describeAnswer(await cell.m.probe.unary(LeaseService.leaseRevoke, LeaseRevokeRequest.fromPartial({ ID: lease }), cell.token))),
  },
  {
    name: "Lease.LeaseRevoke (secret/ key attached)",
    run: (cell) =>
      withOwnLease(cell, `secret/lease/${cell.tag}`, async (lease) =>
        describeAnswer(await cell.m.probe.unary(LeaseService.leaseRevoke, LeaseRevokeRequest.fromPartial({ ID: lease }), cell.token)),
      ),
  },
  {
    name: "Lease.LeaseKeepAlive (m/kept attached)",
    run: async (cell) =>
      describeAnswer(await cell.m.probe.firstOfBidiStream(LeaseService.leaseKeepAlive, LeaseKeepAliveRequest.fromPartial({ ID: cell.m.keptLease }), cell.token), (r) => `OK ttl${r.TTL > 0n ? ">0" : "=0"}`),
  },
  {
    name: "Lease.LeaseTimeToLive keys (m/kept attached)",
    run: async (cell) => describeAnswer(await cell.m.probe.unary(LeaseService.leaseTimeToLive, LeaseTimeToLiveRequest.fromPartial({ ID: cell.m.keptLease, keys: true }), cell.token), (r) => `OK keys=${r.keys.length}`),
  },
  {
    name: "Lease.LeaseTimeToLive without keys",
    run: async (cell) => describeAnswer(await cell.m.probe.unary(LeaseService.leaseTimeToLive, LeaseTimeToLiveRequest.fromPartial({ ID: cell.m.keptLease }), cell.token)),
  },
  unaryRow("Lease.LeaseLeases", LeaseService.leaseLeases, LeaseLeasesRequest.fromPartial({})),

  // Lock and Election: per cell a name under m/ and a lease of root's, revoked after.
  {
    name: "Lock.Lock m/lock/…",
    run: (cell) => withOwnLease(cell, undefined, async (lease) => describeAnswer(await cell.m.probe.unary(LockService.lock, LockRequest.fromPartial({ name: b(`m/lock/${cell.tag}`), lease }), cell.token))),
  },
  {
    name: "Lock.Lock secret/lock/…",
    run: (cell) => withOwnLease(cell, undefined, async (lease) => describeAnswer(await cell.m.probe.unary(LockService.lock, LockRequest.fromPartial({ name: b(`secret/lock/${cell.tag}`), lease }), cell.token))),
  },
  unaryRow("Lock.Unlock m/lock/none", LockService.unlock, UnlockRequest.fromPartial({ key: b("m/lock/none") })),
  {
    name: "Election.Campaign m/elect/…",
    run: (cell) =>
      withOwnLease(cell, undefined, async (lease) =>
        describeAnswer(await cell.m.probe.unary(ElectionService.campaign, CampaignRequest.fromPartial({ name: b(`m/elect/${cell.tag}`), lease, value: b("me") }), cell.token)),
      ),
  },
  unaryRow("Election.Leader m/elect/none", ElectionService.leader, LeaderRequest.fromPartial({ name: b("m/elect/none") })),

  // Cluster: requests refused after the auth check (taken URL, unknown id).
  unaryRow("Cluster.MemberList", ClusterService.memberList, MemberListRequest.fromPartial({})),
  { name: "Cluster.MemberAdd (taken peer URL)", run: async (cell) => describeAnswer(await cell.m.probe.unary(ClusterService.memberAdd, MemberAddRequest.fromPartial({ peerURLs: [`http://127.0.0.1:${cell.m.server.peerPort}`] }), cell.token)) },
  unaryRow("Cluster.MemberRemove (unknown id)", ClusterService.memberRemove, MemberRemoveRequest.fromPartial({ ID: UNKNOWN_MEMBER })),
  unaryRow("Cluster.MemberUpdate (unknown id)", ClusterService.memberUpdate, MemberUpdateRequest.fromPartial({ ID: UNKNOWN_MEMBER, peerURLs: ["http://127.0.0.1:1"] })),
  unaryRow("Cluster.MemberPromote (unknown id)", ClusterService.memberPromote, MemberPromoteRequest.fromPartial({ ID: UNKNOWN_MEMBER })),

  // Maintenance
  unaryRow("Maintenance.Alarm GET", MaintenanceService.alarm, AlarmRequest.fromPartial({ action: AlarmRequest_AlarmAction.GET })),
  {
    // The NONE alarm of a member that does not exist changes nothing a client notices; root takes it
    // back after. (Member id 0 would crash etcd 3.4: it stores the alarm under an empty key.)
    name: "Maintenance.Alarm ACTIVATE (NONE, unknown member)",
    run: async (cell) => {
      const request = AlarmRequest.fromPartial({ action: AlarmRequest_AlarmAction.ACTIVATE, memberID: UNKNOWN_MEMBER, alarm: AlarmType.NONE });
      const answer = describeAnswer(await cell.m.probe.unary(MaintenanceService.alarm, request, cell.token));
      await cell.m.probe.unary(MaintenanceService.alarm, { ...request, action: AlarmRequest_AlarmAction.DEACTIVATE }, await cell.rootToken());
      return answer;
    },
  },
  unaryRow("Maintenance.Status", MaintenanceService.status, StatusRequest.fromPartial({})),
  unaryRow("Maintenance.Defragment", MaintenanceService.defragment, DefragmentRequest.fromPartial({})),
  unaryRow("Maintenance.Hash", MaintenanceService.hash, HashRequest.fromPartial({})),
  unaryRow("Maintenance.HashKV", MaintenanceService.hashKv, HashKVRequest.fromPartial({})),
  { name: "Maintenance.Snapshot (first chunk)", run: async (cell) => describeAnswer(await cell.m.probe.firstOfServerStream(MaintenanceService.snapshot, SnapshotRequest.fromPartial({}), cell.token)) },
  unaryRow("Maintenance.MoveLeader (unknown id)", MaintenanceService.moveLeader, MoveLeaderRequest.fromPartial({ targetID: UNKNOWN_MEMBER })),

  // Auth: every RPC, with requests that change nothing (names that exist or do not).
  unaryRow("Auth.AuthEnable (already on)", AuthService.authEnable, AuthEnableRequest.fromPartial({})),
  unaryRow("Auth.AuthStatus", AuthService.authStatus, AuthStatusRequest.fromPartial({})),
  unaryRow("Auth.Authenticate alice", AuthService.authenticate, AuthenticateRequest.fromPartial({ name: "alice", password: "alice-pw" })),
  unaryRow("Auth.Authenticate wrong password", AuthService.authenticate, AuthenticateRequest.fromPartial({ name: "alice", password: "wrong" })),
  unaryRow("Auth.UserAdd alice (exists)", AuthService.userAdd, AuthUserAddRequest.fromPartial({ name: "alice", password: "x" })),
  unaryRow("Auth.UserGet alice", AuthService.userGet, AuthUserGetRequest.fromPartial({ name: "alice" }), (r) => `OK roles=${r.roles.join(",")}`),
  unaryRow("Auth.UserGet root", AuthService.userGet, AuthUserGetRequest.fromPartial({ name: "root" }), (r) => `OK roles=${r.roles.join(",")}`),
  unaryRow("Auth.UserList", AuthService.userList, AuthUserListRequest.fromPartial({}), (r) => `OK ${r.users.join(",")}`),
  unaryRow("Auth.UserDelete nobody", AuthService.userDelete, AuthUserDeleteRequest.fromPartial({ name: "nobody" })),
  unaryRow("Auth.UserChangePassword nobody", AuthService.userChangePassword, AuthUserChangePasswordRequest.fromPartial({ name: "nobody", password: "x" })),
  unaryRow("Auth.UserGrantRole nobody", AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user: "nobody", role: "writer" })),
  unaryRow("Auth.UserRevokeRole nobody", AuthService.userRevokeRole, AuthUserRevokeRoleRequest.fromPartial({ name: "nobody", role: "writer" })),
  unaryRow("Auth.RoleAdd writer (exists)", AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: "writer" })),
  unaryRow("Auth.RoleGet writer", AuthService.roleGet, AuthRoleGetRequest.fromPartial({ role: "writer" }), (r) => `OK perms=${r.perm.length}`),
  unaryRow("Auth.RoleGet other-reader", AuthService.roleGet, AuthRoleGetRequest.fromPartial({ role: "other-reader" }), (r) => `OK perms=${r.perm.length}`),
  unaryRow("Auth.RoleList", AuthService.roleList, AuthRoleListRequest.fromPartial({}), (r) => `OK ${r.roles.join(",")}`),
  unaryRow("Auth.RoleDelete nope", AuthService.roleDelete, AuthRoleDeleteRequest.fromPartial({ role: "nope" })),
  unaryRow(
    "Auth.RoleGrantPermission nope",
    AuthService.roleGrantPermission,
    AuthRoleGrantPermissionRequest.fromPartial({ name: "nope", perm: { permType: Permission_Type.READ, key: b("z") } }),
  ),
  unaryRow("Auth.RoleRevokePermission nope", AuthService.roleRevokePermission, AuthRoleRevokePermissionRequest.fromPartial({ role: "nope", key: b("z") })),
];

/** A JSON POST to the gateway with the token in `Authorization`, as etcd's gateway reads it. */
function gatewayRow(route: string, what: string, body: Record<string, unknown>): Row {
  return {
    name: `gateway POST ${route} ${what}`.trimEnd(),
    async run(cell) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (cell.token !== undefined) headers["authorization"] = cell.token;
      const res = await fetch(`${cell.m.server.clientUrl}${route}`, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
      const text = await res.text();
      if (res.status === 200) return "HTTP 200";
      return `HTTP ${res.status} ${gatewayError(text)}`;
    },
  };
}

/** The code and message of a gateway error body ({"error", "message", "code"}), or the raw text. */
function gatewayError(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string; code?: number };
    return `code=${parsed.code} ${parsed.message ?? parsed.error}`;
  } catch {
    return text.trim().slice(0, 120);
  }
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

const GATEWAY_ROWS: readonly Row[] = [
  gatewayRow("/v3/kv/range", "m/a", { key: b64("m/a") }),
  gatewayRow("/v3/kv/range", "secret/x", { key: b64("secret/x") }),
  gatewayRow("/v3/kv/put", "m/g", { key: b64("m/g"), value: b64("v") }),
  gatewayRow("/v3/kv/deleterange", "m/none", { key: b64("m/none") }),
  gatewayRow("/v3/kv/txn", "put m/g", { success: [{ request_put: { key: b64("m/g"), value: b64("t") } }] }),
  gatewayRow("/v3/lease/grant", "", { TTL: 60 }),
  gatewayRow("/v3/auth/authenticate", "alice", { name: "alice", password: "alice-pw" }),
  gatewayRow("/v3/auth/user/list", "", {}),
  gatewayRow("/v3/auth/user/get", "alice", { name: "alice" }),
  gatewayRow("/v3/auth/role/list", "", {}),
  gatewayRow("/v3/maintenance/status", "", {}),
  gatewayRow("/v3/cluster/member/list", "", {}),
];

/** Root turns auth off, and it is turned on again at once (no token is needed while it is off). */
const AUTH_DISABLE_ROW: Row = {
  name: "Auth.AuthDisable",
  run: async (cell) => {
    const answer = await cell.m.probe.unary(AuthService.authDisable, AuthDisableRequest.fromPartial({}), cell.token);
    if (answer.ok) await cell.m.probe.must(AuthService.authEnable, AuthEnableRequest.fromPartial({}));
    return describeAnswer(answer);
  },
};

/** Every row, in the order they run: AuthDisable last, so that no other row runs in its wake. */
export const MATRIX_ROWS: readonly Row[] = [...GRPC_ROWS, ...GATEWAY_ROWS, AUTH_DISABLE_ROW];
