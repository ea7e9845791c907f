/**
 * The auth store: users, roles and their key permissions, the enabled flag
 * and the auth revision, kept in the backend's `auth`, `authUsers` and
 * `authRoles` buckets exactly as etcd keeps them (so snapshots move between
 * etcd and us), mirrored in memory. Every mutation is called while applying
 * a log entry, on every member in the same order, and is deterministic: it
 * changes the same state or throws the same EtcdError everywhere. Each
 * successful change bumps the auth revision (a new store starts at 1),
 * except enabling auth, which etcd 3.4 does not count; every change drops
 * the per-user permission cache.
 *
 * Checks (`checkRange`, `checkPut`, `checkDeleteRange`, `checkAdmin`) follow
 * etcd's isOpPermitted: auth off → allowed; no user → "user name is empty";
 * a revision older than the store's → "auth revision is old"; unknown user
 * → permission denied (admin: "user name not found"); root role → allowed;
 * else the user's merged read or write intervals must cover the whole range.
 * @module
 */
import type { Permission, Role, User } from "../gen/authpb/auth.js";
import { EtcdError } from "../pkg/errors.js";
import type { Logger } from "../pkg/logger.js";
import type { Backend } from "../storage/backend/index.js";
import type { AuthInfo } from "./auth-info.js";
import { compareNames, deleteRole, deleteUser, nameKey, readAuthRecords, writeEnabled, writeRevision, writeRole, writeUser } from "./auth-records.js";
import { RangePermissions, type Access } from "./range-permissions.js";

export const ROOT_USER = "root";
export const ROOT_ROLE = "root";

export interface AuthStoreOptions {
  backend: Backend;
  logger: Logger;
}

/** A new user as applied: the password already hashed (bcrypt) before it was proposed. */
export interface NewUser {
  name: string;
  /** bcrypt hash ("$2a$…"); empty for a user without password. */
  hashedPassword: string;
  noPassword: boolean;
}

const EMPTY = Buffer.alloc(0);

export class AuthStore {
  readonly #backend: Backend;
  readonly #logger: Logger;
  #enabled = false;
  #revision = 0n;
  #users = new Map<string, User>();
  #roles = new Map<string, Role>();
  /** user name → merged permissions, built on first check, dropped on every change. */
  #permissions = new Map<string, RangePermissions>();
  readonly #listeners = new Set<() => void>();

  constructor(options: AuthStoreOptions) {
    this.#backend = options.backend;
    this.#logger = options.logger;
    this.#load();
    // etcd's NewAuthStore: a store that never had a revision starts at 1.
    if (this.#revision === 0n) this.#bumpRevision();
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** The auth revision (etcd's authRevision): bumped by every change but enabling. */
  get revision(): bigint {
    return this.#revision;
  }

  /** Tells `listener` after every change (and after `recover()`); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Re-reads everything from the backend (after a snapshot replaced it). */
  recover(): void {
    this.#load();
    this.#changed();
  }

  // Mutations, applied from the log. Each throws etcd's EtcdError kind on refusal.

  /** Needs user root with role root ("root user does not exist" / "root user does not have root role"); a no-op when already on. */
  enable(): void {
    if (this.#enabled) {
      this.#logger.info({}, "authentication is already enabled; ignored auth enable request");
      return;
    }
    const root = this.#users.get(ROOT_USER);
    if (root === undefined) throw new EtcdError("RootUserNotExist");
    if (!root.roles.includes(ROOT_ROLE)) throw new EtcdError("RootRoleNotExist");
    writeEnabled(this.#backend, true);
    this.#enabled = true;
    this.#logger.info({}, "enabled authentication");
    this.#changed();
  }

  /** A no-op when already off. */
  disable(): void {
    if (!this.#enabled) return;
    writeEnabled(this.#backend, false);
    this.#enabled = false;
    this.#bumpRevision();
    this.#logger.info({}, "disabled authentication");
    this.#changed();
  }

  userAdd(user: NewUser): void {
    if (user.name === "") throw new EtcdError("UserEmpty");
    const key = nameKey(user.name);
    if (this.#users.has(user.name)) throw new EtcdError("UserAlreadyExist");
    this.#putUser({
      name: key,
      password: user.noPassword ? EMPTY : Buffer.from(user.hashedPassword, "latin1"),
      roles: [],
      // etcd always stores the options, even {no_password: false}.
      options: { noPassword: user.noPassword },
    });
    this.#bumpRevision();
    this.#logger.info({ user: user.name }, "added a user");
    this.#changed();
  }

  /** root cannot be deleted while auth is on ("invalid auth management"). */
  userDelete(name: string): void {
    if (this.#enabled && name === ROOT_USER) throw new EtcdError("InvalidAuthMgmt");
    if (!this.#users.has(name)) throw new EtcdError("UserNotFound");
    deleteUser(this.#backend, name);
    this.#users.delete(name);
    this.#bumpRevision();
    this.#logger.info({ user: name }, "deleted a user");
    this.#changed();
  }

  userChangePassword(name: string, hashedPassword: string): void {
    const user = this.#users.get(name);
    if (user === undefined) throw new EtcdError("UserNotFound");
    this.#putUser({ ...user, password: Buffer.from(hashedPassword, "latin1") });
    this.#bumpRevision();
    this.#logger.info({ user: name }, "changed a password of a user");
    this.#changed();
  }

  /** Granting a role twice is a no-op; the role "root" need not exist as a role. */
  userGrantRole(userName: string, role: string): void {
    const user = this.#users.get(userName);
    if (user === undefined) throw new EtcdError("UserNotFound");
    if (role !== ROOT_ROLE && !this.#roles.has(role)) throw new EtcdError("RoleNotFound");
    if (user.roles.includes(role)) {
      this.#logger.warn({ user: userName, role }, "ignored grant role request to a user");
      return;
    }
    this.#putUser({ ...user, roles: [...user.roles, role].sort(compareNames) });
    this.#bumpRevision();
    this.#logger.info({ user: userName, role }, "granted a role to a user");
    this.#changed();
  }

  /** root's root role cannot be revoked while auth is on. */
  userRevokeRole(userName: string, role: string): void {
    if (this.#enabled && userName === ROOT_USER && role === ROOT_ROLE) throw new EtcdError("InvalidAuthMgmt");
    const user = this.#users.get(userName);
    if (user === undefined) throw new EtcdError("UserNotFound");
    const roles = user.roles.filter((r) => r !== role);
    if (roles.length === user.roles.length) throw new EtcdError("RoleNotGranted");
    this.#putUser({ ...user, roles });
    this.#bumpRevision();
    this.#logger.info({ user: userName, role }, "revoked a role from a user");
    this.#changed();
  }

  roleAdd(name: string): void {
    if (name === "") throw new EtcdError("RoleEmpty");
    const key = nameKey(name);
    if (this.#roles.has(name)) throw new EtcdError("RoleAlreadyExist");
    this.#putRole({ name: key, keyPermission: [] });
    this.#bumpRevision();
    this.#logger.info({ role: name }, "created a role");
    this.#changed();
  }

  /** Removes the role from every user too; the root role cannot be deleted while auth is on. */
  roleDelete(name: string): void {
    if (this.#enabled && name === ROOT_ROLE) throw new EtcdError("InvalidAuthMgmt");
    if (!this.#roles.has(name)) throw new EtcdError("RoleNotFound");
    deleteRole(this.#backend, name);
    this.#roles.delete(name);
    for (const user of [...this.#users.values()]) {
      const roles = user.roles.filter((r) => r !== name);
      if (roles.length !== user.roles.length) this.#putUser({ ...user, roles });
    }
    this.#bumpRevision();
    this.#logger.info({ role: name }, "deleted a role");
    this.#changed();
  }

  /**
   * Sets the type of the permission on the same key and range end, else adds
   * it, keeping permissions sorted by key. As in etcd, only the first
   * permission with that key is compared: a second one with another range
   * end is added even if an equal one sits further on.
   */
  roleGrantPermission(roleName: string, perm: Permission): void {
    const role = this.#roles.get(roleName);
    if (role === undefined) throw new EtcdError("RoleNotFound");
    const perms = role.keyPermission.map((p) => ({ ...p }));
    const at = firstWithKeyAtLeast(perms, perm.key);
    const existing = perms[at];
    if (existing !== undefined && existing.key.equals(perm.key) && existing.rangeEnd.equals(perm.rangeEnd)) {
      existing.permType = perm.permType;
    } else {
      perms.push({ key: Buffer.from(perm.key), rangeEnd: Buffer.from(perm.rangeEnd), permType: perm.permType });
      perms.sort((a, b) => Buffer.compare(a.key, b.key));
    }
    this.#putRole({ ...role, keyPermission: perms });
    this.#bumpRevision();
    this.#logger.info({ role: roleName, key: perm.key.toString(), rangeEnd: perm.rangeEnd.toString(), type: perm.permType }, "granted/updated a permission to a role");
    this.#changed();
  }

  roleRevokePermission(roleName: string, key: Uint8Array, rangeEnd: Uint8Array): void {
    const role = this.#roles.get(roleName);
    if (role === undefined) throw new EtcdError("RoleNotFound");
    const perms = role.keyPermission.filter((p) => !(p.key.equals(key) && p.rangeEnd.equals(rangeEnd)));
    if (perms.length === role.keyPermission.length) throw new EtcdError("PermissionNotGranted");
    this.#putRole({ ...role, keyPermission: perms });
    this.#bumpRevision();
    this.#logger.info({ role: roleName, key: Buffer.from(key).toString(), rangeEnd: Buffer.from(rangeEnd).toString() }, "revoked a permission on range");
    this.#changed();
  }

  // Reads.

  user(name: string): User | undefined {
    return this.#users.get(name);
  }
  role(name: string): Role | undefined {
    return this.#roles.get(name);
  }
  /** Sorted, as etcd lists them. */
  userNames(): string[] {
    return [...this.#users.keys()].sort(compareNames);
  }
  roleNames(): string[] {
    return [...this.#roles.keys()].sort(compareNames);
  }
  hasRole(userName: string, role: string): boolean {
    return this.#users.get(userName)?.roles.includes(role) ?? false;
  }

  // Checks: return when allowed, throw EtcdError otherwise. `undefined` info = no credentials.

  checkRange(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.#checkOp(info, "read", key, rangeEnd);
  }
  checkPut(info: AuthInfo | undefined, key: Uint8Array): void {
    this.#checkOp(info, "write", key, EMPTY);
  }
  checkDeleteRange(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.#checkOp(info, "write", key, rangeEnd);
  }
  checkAdmin(info: AuthInfo | undefined): void {
    if (!this.#enabled) return;
    if (info === undefined || info.username === "") throw new EtcdError("UserEmpty");
    const user = this.#users.get(info.username);
    if (user === undefined) throw new EtcdError("UserNotFound");
    if (!user.roles.includes(ROOT_ROLE)) throw new EtcdError("PermissionDenied");
  }
  /** True when auth is off or `info` names a user with the root role (no revision check: etcd's IsAdminPermitted). */
  isAdmin(info: AuthInfo | undefined): boolean {
    if (!this.#enabled) return true;
    return info !== undefined && this.hasRole(info.username, ROOT_ROLE);
  }

  /** etcd's isOpPermitted. */
  #checkOp(info: AuthInfo | undefined, access: Access, key: Uint8Array, rangeEnd: Uint8Array): void {
    if (!this.#enabled) return;
    // etcd tells "no credentials" by a zero revision.
    if (info === undefined || info.revision === 0n || info.username === "") throw new EtcdError("UserEmpty");
    if (info.revision < this.#revision) throw new EtcdError("AuthOldRevision");
    const user = this.#users.get(info.username);
    if (user === undefined) throw new EtcdError("PermissionDenied");
    if (user.roles.includes(ROOT_ROLE)) return;
    if (!this.#permissionsOf(user).permits(access, key, rangeEnd)) throw new EtcdError("PermissionDenied");
  }

  #permissionsOf(user: User): RangePermissions {
    const name = user.name.toString("utf8");
    let perms = this.#permissions.get(name);
    if (perms === undefined) {
      const grants = user.roles.flatMap((r) => this.#roles.get(r)?.keyPermission ?? []);
      perms = new RangePermissions(grants);
      this.#permissions.set(name, perms);
    }
    return perms;
  }

  #load(): void {
    const records = readAuthRecords(this.#backend);
    this.#enabled = records.enabled;
    this.#revision = records.revision;
    this.#users = records.users;
    this.#roles = records.roles;
  }

  #putUser(user: User): void {
    writeUser(this.#backend, user);
    this.#users.set(user.name.toString("utf8"), user);
  }

  #putRole(role: Role): void {
    writeRole(this.#backend, role);
    this.#roles.set(role.name.toString("utf8"), role);
  }

  #bumpRevision(): void {
    this.#revision += 1n;
    writeRevision(this.#backend, this.#revision);
  }

  /** Drops the permission cache and tells the listeners; one failing listener does not keep the others from hearing. */
  #changed(): void {
    this.#permissions.clear();
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        this.#logger.error({ err }, "auth change listener failed");
      }
    }
  }
}

/** Index of the first permission whose key is ≥ `key` (Go's sort.Search over the sorted keys). */
function firstWithKeyAtLeast(perms: readonly Permission[], key: Uint8Array): number {
  let lo = 0;
  let hi = perms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(perms[mid]!.key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
