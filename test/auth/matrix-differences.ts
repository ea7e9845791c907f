/**
 * Where ours may and may not differ from real etcd 3.4.23 in the auth
 * matrix: the deliberate differences (a later etcd's fix we follow, with the
 * place in etcd's source) and the open ones (bugs found and reported).
 */
import type { Identity, TokenKind } from "./matrix-fixture.js";

export interface Difference {
  row: string;
  identities: readonly Identity[];
  /** What ours must answer in those cells. */
  ours: string;
  /** The later etcd change we follow, and where it is in etcd's source. */
  why: string;
  /** Only with this kind of token; both when absent. */
  tokens?: TokenKind;
}

const USER_EMPTY = "INVALID_ARGUMENT: etcdserver: user name is empty";
const INVALID_TOKEN = "UNAUTHENTICATED: etcdserver: invalid auth token";
const DENIED = "PERMISSION_DENIED: etcdserver: permission denied";
const OLD_REVISION = "INVALID_ARGUMENT: etcdserver: revision of auth store is old";
const USER_NOT_FOUND = "FAILED_PRECONDITION: etcdserver: user name not found";
const NOT_ROOT = ["without permission", "with permission", "token before a change"] as const;

/**
 * What a bad token gets. A deleted user's simple token is dropped with the
 * user (invalid); a deleted user's JWT stays valid until it expires and names
 * a user that is gone, so it meets the check itself: a key check finds the
 * token older than the auth store, a root check finds no such user.
 */
function badTokens(row: string, why: string, ours: string, deletedUserJwt: string | undefined): Difference[] {
  return [
    { row, identities: ["malformed token", "expired token"], ours, why },
    { row, identities: ["deleted user"], ours, why, tokens: "simple" },
    ...(deletedUserJwt === undefined ? [] : [{ row, identities: ["deleted user"] as const, ours: deletedUserJwt, why, tokens: "jwt" as const }]),
  ];
}

/** The answers of a check that needs a valid token and then something of the user (etcd 3.5's form, codes from togRPCError). */
function checked(row: string, why: string, denied: readonly Identity[], deletedUserJwt: string): Difference[] {
  return [{ row, identities: ["no token"], ours: USER_EMPTY, why }, ...badTokens(row, why, INVALID_TOKEN, deletedUserJwt), { row, identities: denied, ours: DENIED, why }];
}

/** A key check: as {@link checked}, and a JWT issued before an auth change is refused as older than the auth store. */
function keysChecked(row: string, why: string): Difference[] {
  return [...checked(row, why, ["without permission"], OLD_REVISION), { row, identities: ["token before a change"], ours: OLD_REVISION, why, tokens: "jwt" }];
}

const NESTED_TXN = "etcd 3.5 checks the operations of nested txns (server/etcdserver/apply/auth.go, checkTxnReqsPermission, case RequestOp_RequestTxn); 3.4 skips them, so anyone may write any key inside one";
const FROM_KEY_WATCH =
  "newer etcd checks a from-key range (end \\0) as the open range (server/auth/range_perm_cache.go, checkKeyInterval, isOpenEnded); 3.4 checked its first key only, so a user could watch keys beyond the permission";
const WATCH_DENIED = "canceled: rpc error: code = PermissionDenied desc = etcdserver: permission denied";
const LEASE_RENEW = "etcd 3.5 checks write permission on the lease's keys before a renewal (v3_server.go checkLeaseRenew); 3.4 renews for anyone";
const LEASE_TTL_KEYS = "etcd 3.5 checks read permission on the lease's keys when keys are asked for (v3_server.go checkLeaseTimeToLive); 3.4 lists them to anyone";
const LEASE_LIST = "etcd 3.5 checks read permission on the keys of every lease (v3_server.go checkLeaseLeases); 3.4 lists leases to anyone";
const MOVE_LEADER = "etcd 3.5 lets only root move the leader (api/v3rpc/maintenance.go authMaintenanceServer.MoveLeader, isPermitted); 3.4 checks nothing";
const ALARM = "etcd 3.5 lets only root change alarms, GET stays open (authMaintenanceServer.Alarm); 3.4 lets anyone raise one";
const TTL_CALLER = "newer etcd requires a caller for TimeToLive even without keys (v3_server.go LeaseTimeToLive, requireAuthInfo); 3.4 answers anyone";
const MAINTENANCE_CODES =
  'etcd 3.5 maps the root-only refusal through togRPCError (api/v3rpc/maintenance.go authMaintenanceServer); 3.4 sends the auth package\'s raw error as UNKNOWN "auth: …", on which clients cannot tell to re-authenticate';

const ALARM_GET_CODES =
  'an Alarm GET goes through the log, which resolves the caller\'s token; etcd 3.5 maps the refusal through togRPCError (api/v3rpc/maintenance.go Alarm), 3.4 sends the raw "auth: invalid auth token" as UNKNOWN';

/** Cells where real etcd 3.4.23 predates a fix of a later etcd (checked in its source) that we follow. */
export const DELIBERATE_DIFFERENCES: readonly Difference[] = [
  { row: "KV.Txn nested put m/n", identities: ["no token"], ours: USER_EMPTY, why: NESTED_TXN },
  { row: "KV.Txn nested put m/n", identities: ["deleted user"], ours: OLD_REVISION, why: NESTED_TXN, tokens: "jwt" },
  { row: "KV.Txn nested put m/n", identities: ["without permission"], ours: DENIED, why: NESTED_TXN },
  { row: "KV.Txn nested put m/n", identities: ["token before a change"], ours: OLD_REVISION, why: NESTED_TXN, tokens: "jwt" },
  { row: "KV.Txn nested put secret/n", identities: ["with permission"], ours: DENIED, why: NESTED_TXN },
  { row: "KV.Txn nested put secret/n", identities: ["token before a change"], ours: DENIED, why: NESTED_TXN, tokens: "simple" },
  { row: "Watch create from-key m/", identities: ["with permission"], ours: WATCH_DENIED, why: FROM_KEY_WATCH },
  { row: "Watch create from-key m/", identities: ["token before a change"], ours: WATCH_DENIED, why: FROM_KEY_WATCH, tokens: "simple" },
  ...keysChecked("Lease.LeaseKeepAlive (m/kept attached)", LEASE_RENEW),
  ...keysChecked("Lease.LeaseTimeToLive keys (m/kept attached)", LEASE_TTL_KEYS),
  ...keysChecked("Lease.LeaseLeases", LEASE_LIST),
  { row: "Lease.LeaseTimeToLive without keys", identities: ["no token"], ours: USER_EMPTY, why: TTL_CALLER },
  ...badTokens("Lease.LeaseTimeToLive without keys", TTL_CALLER, INVALID_TOKEN, undefined),
  ...checked("Maintenance.MoveLeader (unknown id)", MOVE_LEADER, NOT_ROOT, USER_NOT_FOUND),
  ...checked("Maintenance.Alarm ACTIVATE (NONE, unknown member)", ALARM, NOT_ROOT, USER_NOT_FOUND),
  ...["Maintenance.Defragment", "Maintenance.Hash", "Maintenance.HashKV", "Maintenance.Snapshot (first chunk)"].flatMap((row) => checked(row, MAINTENANCE_CODES, NOT_ROOT, USER_NOT_FOUND)),
  { row: "Auth.AuthStatus", identities: ["no token", ...NOT_ROOT, "root"], ours: "OK", why: "AuthStatus is etcd 3.5's RPC (3.4: unimplemented); it needs no role, only a valid token if one is given" },
  { row: "Auth.AuthStatus", identities: ["deleted user"], ours: "OK", why: "etcd 3.5's AuthStatus needs no role: a deleted user's JWT is still a valid token", tokens: "jwt" },
  ...badTokens("Auth.AuthStatus", "AuthStatus goes through the log like etcd 3.5's, so a bad token is refused", INVALID_TOKEN, undefined),
  ...badTokens("Maintenance.Alarm GET", ALARM_GET_CODES, INVALID_TOKEN, undefined),
];

/**
 * Cells where ours differs from real etcd without a reason: bugs found by
 * this matrix and reported to the branch that owns the code. The row still
 * runs and prints its table, marked TODO instead of failed; a listed cell
 * that comes to match fails the row, so the list is kept true.
 */
export const OPEN_DIFFERENCES: ReadonlyArray<{ row: string; identities: readonly Identity[]; bug: string; tokens?: TokenKind }> = [];

export const applies =
  (tokens: TokenKind) =>
  (d: { tokens?: TokenKind }): boolean =>
    d.tokens === undefined || d.tokens === tokens;

/** What ours must answer in a cell: the deliberate difference listed for it, else what real etcd answered. */
export function expectedOfOurs(tokens: TokenKind, row: string, identity: Identity, real: string): string {
  return DELIBERATE_DIFFERENCES.filter(applies(tokens)).find((d) => d.row === row && d.identities.includes(identity))?.ours ?? real;
}

