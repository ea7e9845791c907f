/**
 * Auth when an entry is applied, on every member in log order (etcd's
 * authApplierV3 with newer etcd's fixes): a write is checked against the
 * user and auth revision its proposer put in the header, so a permission
 * revoked between the check on the serving member and the apply still
 * holds; the Auth requests change the auth store under etcd's admin rules
 * and keep the member's simple tokens in step with it.
 * @module
 */
import { hashPasswordSync, ROOT_USER, type AuthInfo, type AuthStore } from "../../auth/index.js";
import { Permission } from "../../gen/authpb/auth.js";
import type { RequestHeader } from "../../gen/etcdserverpb/raft_internal.js";
import type {
  AuthenticateResponse,
  AuthRoleGetResponse,
  AuthRoleListResponse,
  AuthStatusResponse,
  AuthUserGetResponse,
  AuthUserListResponse,
} from "../../gen/etcdserverpb/rpc.js";
import { EtcdError, isEtcdError } from "../../pkg/errors.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { LocalRequest } from "../proposals/codec.js";
import { checkDeleteRange, checkLeaseWrite, checkPut, checkTxn, type PermissionSource } from "./checks.js";
import { dropAllTokens, dropUserTokens, type AuthTokens } from "./tokens.js";

export interface AuthApplyContext extends PermissionSource {
  readonly store: AuthStore;
  readonly tokens: AuthTokens;
  /** --bcrypt-cost, for the one case applying hashes: an entry etcd 3.4 wrote with the password in it. */
  readonly bcryptCost: number;
}

/** The caller an entry names: undefined when its proposer had none (auth off, or no credentials). */
export function callerOf(header: RequestHeader | undefined): AuthInfo | undefined {
  if (header === undefined || header.username === "") return undefined;
  return { username: header.username, revision: header.authRevision };
}

/** The member itself acting as root (etcd's AuthStore.WithRoot): revoking an expired lease. */
export function rootCaller(store: AuthStore): AuthInfo {
  return { username: ROOT_USER, revision: store.revision };
}

/**
 * The error a Put, DeleteRange, Txn, Range or LeaseRevoke entry is refused
 * with, whole, when its caller may not make it; undefined when allowed (or
 * auth is off, or the entry is none of these).
 */
export function refusedByAuth(ctx: AuthApplyContext, req: LocalRequest): EtcdError | undefined {
  if (!ctx.store.enabled) return undefined;
  if (req.put === undefined && req.deleteRange === undefined && req.txn === undefined && req.range === undefined && req.leaseRevoke === undefined) return undefined;
  const info = callerOf(req.header);
  try {
    if (req.put !== undefined) checkPut(ctx, info, req.put);
    else if (req.deleteRange !== undefined) checkDeleteRange(ctx, info, req.deleteRange);
    else if (req.txn !== undefined) checkTxn(ctx, info, req.txn);
    else if (req.range !== undefined) ctx.store.checkRange(info, req.range.key, req.range.rangeEnd);
    else if (req.leaseRevoke !== undefined) checkLeaseWrite(ctx, info, req.leaseRevoke.ID);
    return undefined;
  } catch (err) {
    if (isEtcdError(err)) return err;
    throw err;
  }
}

/** True for the entries {@link applyAuthRequest} applies. */
export function isAuthRequest(req: LocalRequest): boolean {
  return (
    req.authEnable !== undefined ||
    req.authDisable !== undefined ||
    req.authStatus !== undefined ||
    req.authenticate !== undefined ||
    req.authUserAdd !== undefined ||
    req.authUserDelete !== undefined ||
    req.authUserGet !== undefined ||
    req.authUserChangePassword !== undefined ||
    req.authUserGrantRole !== undefined ||
    req.authUserRevokeRole !== undefined ||
    req.authUserList !== undefined ||
    req.authRoleList !== undefined ||
    req.authRoleAdd !== undefined ||
    req.authRoleDelete !== undefined ||
    req.authRoleGet !== undefined ||
    req.authRoleGrantPermission !== undefined ||
    req.authRoleRevokePermission !== undefined
  );
}

/** etcd's needAdminPermission: what only root may change or list. UserGet and RoleGet have their own rule. */
function needsAdmin(req: LocalRequest): boolean {
  return (
    req.authEnable !== undefined ||
    req.authDisable !== undefined ||
    req.authUserAdd !== undefined ||
    req.authUserDelete !== undefined ||
    req.authUserChangePassword !== undefined ||
    req.authUserGrantRole !== undefined ||
    req.authUserRevokeRole !== undefined ||
    req.authRoleAdd !== undefined ||
    req.authRoleGrantPermission !== undefined ||
    req.authRoleRevokePermission !== undefined ||
    req.authRoleDelete !== undefined ||
    req.authUserList !== undefined ||
    req.authRoleList !== undefined
  );
}

/**
 * Applies one Auth entry at raft index `index`. Responses leave the header
 * to the request path. `index` names a simple token: "<prefix>.<index>" is
 * the same on every member.
 */
export function applyAuthRequest(ctx: AuthApplyContext, req: LocalRequest, index: bigint): ApplyResult {
  try {
    return { ok: true, response: applyOne(ctx, req, index) };
  } catch (err) {
    if (isEtcdError(err)) return { ok: false, error: err };
    throw err;
  }
}

function applyOne(ctx: AuthApplyContext, req: LocalRequest, index: bigint): unknown {
  const { store, tokens } = ctx;
  const caller = callerOf(req.header);
  if (needsAdmin(req)) store.checkAdmin(caller);
  const done = { header: undefined };

  if (req.authEnable !== undefined) {
    store.enable();
    return done;
  }
  if (req.authDisable !== undefined) {
    store.disable();
    dropAllTokens(tokens);
    return done;
  }
  if (req.authStatus !== undefined) {
    return { header: undefined, enabled: store.enabled, authRevision: store.revision } satisfies AuthStatusResponse;
  }
  if (req.authenticate !== undefined) return authenticate(ctx, req.authenticate.name, req.authenticate.simpleToken, index);
  if (req.authUserAdd !== undefined) {
    const r = req.authUserAdd;
    const noPassword = r.options?.noPassword === true;
    store.userAdd({ name: r.name, hashedPassword: noPassword ? "" : hashOf(ctx, r.hashedPassword, r.password), noPassword });
    return done;
  }
  if (req.authUserDelete !== undefined) {
    store.userDelete(req.authUserDelete.name);
    dropUserTokens(tokens, req.authUserDelete.name);
    return done;
  }
  if (req.authUserChangePassword !== undefined) {
    const r = req.authUserChangePassword;
    // A user added without password stays without one (etcd keeps its password empty).
    const noPassword = store.user(r.name)?.options?.noPassword === true;
    store.userChangePassword(r.name, noPassword ? "" : hashOf(ctx, r.hashedPassword, r.password));
    dropUserTokens(tokens, r.name);
    return done;
  }
  if (req.authUserGrantRole !== undefined) {
    store.userGrantRole(req.authUserGrantRole.user, req.authUserGrantRole.role);
    return done;
  }
  if (req.authUserRevokeRole !== undefined) {
    store.userRevokeRole(req.authUserRevokeRole.name, req.authUserRevokeRole.role);
    return done;
  }
  if (req.authUserGet !== undefined) {
    const name = req.authUserGet.name;
    // Anyone may read their own user; anything else needs root.
    if (caller?.username !== name) store.checkAdmin(caller);
    const user = store.user(name);
    if (user === undefined) throw new EtcdError("UserNotFound");
    return { header: undefined, roles: [...user.roles] } satisfies AuthUserGetResponse;
  }
  if (req.authUserList !== undefined) return { header: undefined, users: store.userNames() } satisfies AuthUserListResponse;
  if (req.authRoleAdd !== undefined) {
    store.roleAdd(req.authRoleAdd.name);
    return done;
  }
  if (req.authRoleDelete !== undefined) {
    store.roleDelete(req.authRoleDelete.role);
    return done;
  }
  if (req.authRoleGet !== undefined) {
    const name = req.authRoleGet.role;
    // Anyone may read a role they have; anything else needs root.
    if (caller === undefined || !store.hasRole(caller.username, name)) store.checkAdmin(caller);
    const role = store.role(name);
    if (role === undefined) throw new EtcdError("RoleNotFound");
    return { header: undefined, perm: [...role.keyPermission] } satisfies AuthRoleGetResponse;
  }
  if (req.authRoleList !== undefined) return { header: undefined, roles: store.roleNames() } satisfies AuthRoleListResponse;
  if (req.authRoleGrantPermission !== undefined) {
    const r = req.authRoleGrantPermission;
    store.roleGrantPermission(r.name, r.perm ?? Permission.create());
    return done;
  }
  if (req.authRoleRevokePermission !== undefined) {
    const r = req.authRoleRevokePermission;
    store.roleRevokePermission(r.role, r.key, r.rangeEnd);
    return done;
  }
  throw new Error("applyAuthRequest: not an Auth request");
}

/**
 * etcd's applied Authenticate: the password was checked by the proposing
 * member; here the user must still exist and have a password. A simple
 * token is registered on every member under the same name; a JWT is signed
 * by the member that answers, after this (the answer's token is empty).
 */
function authenticate(ctx: AuthApplyContext, name: string, prefix: string, index: bigint): AuthenticateResponse {
  const { store, tokens } = ctx;
  if (!store.enabled) throw new EtcdError("AuthNotEnabled");
  const user = store.user(name);
  if (user === undefined || user.options?.noPassword === true) throw new EtcdError("AuthFailed");
  if (tokens.kind === "jwt") return { header: undefined, token: "" };
  const token = `${prefix}.${index}`;
  tokens.simple.assign(token, name);
  return { header: undefined, token };
}

/**
 * The bcrypt hash an entry carries: base64 in `hashedPassword`, as etcd
 * 3.5+ proposes it (etcd's selectPassword). An entry etcd 3.4 wrote
 * carries the password itself, hashed here (the only hashing on the apply
 * path).
 */
function hashOf(ctx: AuthApplyContext, hashedPassword: string, password: string): string {
  if (password !== "" && hashedPassword === "") return hashPasswordSync(password, ctx.bcryptCost);
  return Buffer.from(hashedPassword, "base64").toString("latin1");
}
